"""Write README.md from nbs/index.ipynb without Quarto (nbdev-readme needs it): markdown cells as they are,
code cells fenced as python, without cell directives, and without their outputs."""
import json, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path):
    "Markdown text of the notebook at `nb_path`"
    cells, parts = json.loads(Path(nb_path).read_text())['cells'], []
    for c in cells:
        src = ''.join(c['source']).strip('\n')
        if c['cell_type'] == 'markdown': parts.append(src)
        elif c['cell_type'] == 'code':
            lines = [l for l in src.split('\n') if not re.match(r'\s*#\s*\|', l)]
            if any(re.match(r'\s*#\s*\|\s*hide', l) for l in src.split('\n')) or not ''.join(lines).strip(): continue
            parts.append('```python\n' + '\n'.join(lines).strip('\n') + '\n```')
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    out = root/'README.md'
    txt = render(root/'nbs'/'index.ipynb')
    if '--check' in sys.argv:
        if not out.exists() or out.read_text() != txt: sys.exit('README.md is not in step with nbs/index.ipynb: run python tools/make_readme.py')
    else: out.write_text(txt)
