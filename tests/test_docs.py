"""The docs site, built by `python tools/build_docs.py` and checked in headless Chromium (Debian's `chromium`).

Every page is opened; a console error, an uncaught page error, a failed request, a broken image or a link to a
missing page or anchor fails the test. Screenshots of the home page, the controller's page, the vision tutorial and the API reference
are saved to `_docs/screenshots/`."""
import os, re, shutil, subprocess, sys
from pathlib import Path
from urllib.parse import urlparse, unquote
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT/'_docs'
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync']

@pytest.fixture(scope='module')
def site():
    if not Path(CHROMIUM).exists():
        if os.environ.get('CI'): pytest.fail('chromium is not installed (.ci/run installs Debian\'s chromium package)')
        pytest.skip('chromium is not installed: apt-get install chromium')
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'build_docs.py')], capture_output=True, text=True, timeout=1800,
                       env={**os.environ, 'MPLBACKEND': 'Agg'})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-6000:]
    return sorted(DOCS.glob('*.html'))

@pytest.fixture(scope='module')
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()

def check_page(browser, path, shot=None):
    "Open `path`; the problems found on it, and its same-site links"
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    problems = []
    page.on('console', lambda m: problems.append(f'console {m.type}: {m.text}') if m.type == 'error' else None)
    page.on('pageerror', lambda e: problems.append(f'page error: {e}'))
    page.on('requestfailed', lambda r: problems.append(f'failed request: {r.url}'))
    page.goto(path.as_uri(), wait_until='load')
    broken = page.eval_on_selector_all('img', 'els => els.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80))')
    problems += [f'broken image: {s}' for s in broken]
    hrefs = page.eval_on_selector_all('a[href]', 'els => els.map(a => a.href)')
    if shot: page.screenshot(path=str(shot), full_page=False)
    page.close()
    return problems, hrefs

def test_pages_render_without_errors(site, browser):
    names = {p.name for p in site}
    assert {'index.html', 'core.html', 'suggest.html', 'callback.html', 'learner.html', 'distributed.html', 'vision.html', 'api.html'} <= names, names
    shots = DOCS/'screenshots'; shots.mkdir(exist_ok=True)
    problems, links = {}, {}
    for p in site:
        shot = shots/p.with_suffix('.png').name if p.name in ('index.html', 'callback.html', 'vision.html', 'api.html') else None
        problems[p.name], links[p.name] = check_page(browser, p, shot)
    assert not any(problems.values()), {k: v for k,v in problems.items() if v}
    # every same-site link points at a page that exists and, with a #fragment, at an element of that page
    anchors = {}
    bad = []
    for src, hrefs in links.items():
        for h in hrefs:
            u = urlparse(h)
            if u.scheme != 'file': continue
            target = Path(unquote(u.path))
            if not target.exists(): bad.append(f'{src} -> {h}'); continue
            if u.fragment:
                if target not in anchors:
                    anchors[target] = set(re.findall(r'\bid="([^"]+)"', target.read_text()))
                if unquote(u.fragment) not in anchors[target]: bad.append(f'{src} -> {h} (no such anchor)')
    assert not bad, bad[:20]
    for n in ('index', 'callback', 'vision', 'api'): assert (shots/f'{n}.png').read_bytes()[:4] == b'\x89PNG'
    # pages read like nbdev's: no execution prompts, no test-import cells
    for p in site:
        text = p.read_text()
        assert not re.search(r'In\s*\[\d*\]:', text), f'{p.name} shows an execution prompt'
        assert 'from fastcore.test import' not in text, f'{p.name} shows the test imports'
    assert (DOCS/'vision.html').read_text().count('<img') >= 2 # the vision tutorial shows its batch and its plot
