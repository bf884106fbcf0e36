"""Edit notebooks as plain text: `to` writes a notebook as percent cells, `from` writes them back.

    python tools/nbpct.py to nbs/02_callback.ipynb > /tmp/02.pct
    python tools/nbpct.py from /tmp/02.pct nbs/02_callback.ipynb

A cell starts with `#%%` (code) or `#%% md` (markdown), optionally followed by `id=XXXXXXXX`; cells without an
id get a stable one from the notebook's name and the cell's position. Outputs are not kept (run `nbdev-clean`
and `nbdev-export` afterwards, in that order)."""
import hashlib, json, re, sys
from pathlib import Path

HEAD = re.compile(r'^#%%( md)?(?: id=(\w+))?\s*$')

def to_pct(nb_path):
    "The notebook's cells as percent text"
    nb = json.loads(Path(nb_path).read_text())
    out = []
    for c in nb['cells']:
        kind = ' md' if c['cell_type'] == 'markdown' else ''
        src = ''.join(c['source'])
        out.append(f"#%%{kind} id={c.get('id')}\n{src}\n")
    return '\n'.join(out)

def from_pct(text, stem):
    "A notebook made of the percent text's cells"
    cells, cur = [], None
    for line in text.splitlines(keepends=True):
        m = HEAD.match(line)
        if m:
            cur = dict(md=bool(m.group(1)), id=m.group(2), lines=[])
            cells.append(cur)
        elif cur is not None: cur['lines'].append(line)
    nb_cells, seen = [], set()
    for i, c in enumerate(cells):
        src = ''.join(c['lines']).strip('\n')
        cid, k = c['id'] if c['id'] and c['id'] != 'None' else None, 0
        while cid is None or cid in seen: cid, k = hashlib.sha1(f'{stem}:{i}:{k}'.encode()).hexdigest()[:8], k+1
        seen.add(cid)
        lines = src.splitlines(keepends=True)
        if c['md']: nb_cells.append(dict(cell_type='markdown', id=cid, metadata={}, source=lines))
        else: nb_cells.append(dict(cell_type='code', execution_count=None, id=cid, metadata={}, outputs=[], source=lines))
    meta = dict(kernelspec=dict(display_name='python3', language='python', name='python3'))
    return dict(cells=nb_cells, metadata=meta, nbformat=4, nbformat_minor=5)

if __name__ == '__main__':
    cmd, *args = sys.argv[1:]
    if cmd == 'to': sys.stdout.write(to_pct(args[0]))
    elif cmd == 'from':
        dest = Path(args[1])
        dest.write_text(json.dumps(from_pct(Path(args[0]).read_text(), dest.stem), indent=1, ensure_ascii=False) + '\n')
    else: sys.exit(f'unknown command {cmd!r}: use `to` or `from`')
