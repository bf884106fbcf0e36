"The package's shape, as issue 21 asks it: small modules, short functions and lines, no import of another module's private name"
import ast
from pathlib import Path

PKG = Path(__file__).parent.parent/'fastlr_auto'
MAX_MODULE, MAX_FUNC, MAX_LINE = 250, 40, 120

def _modules():
    "The package's modules nbdev writes from the notebooks (not its generated index)"
    return [f for f in sorted(PKG.glob('*.py')) if f.name != '_modidx.py']

def _code_lines(node, src):
    "Lines of `node` that hold code: not blank, not only a comment"
    lines = src.splitlines()[node.lineno-1:node.end_lineno]
    return sum(1 for l in lines if l.strip() and not l.strip().startswith('#'))

def _is_all(node):
    "True for the `__all__ = [...]` nbdev writes (it wraps that list itself, a little past 120 characters)"
    return isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '__all__' for t in node.targets)

def shape_report():
    "Every breach of the targets, one string each"
    out = []
    for f in _modules():
        src = f.read_text(); tree = ast.parse(src)
        n = len(src.splitlines())
        if n > MAX_MODULE: out.append(f'{f.name}: {n} lines (> {MAX_MODULE})')
        skip = {i for node in tree.body if _is_all(node) for i in range(node.lineno, node.end_lineno+1)}
        for i, l in enumerate(src.splitlines(), 1):
            if len(l) > MAX_LINE and i not in skip: out.append(f'{f.name}:{i}: a line of {len(l)} characters (> {MAX_LINE})')
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _code_lines(node, src) > MAX_FUNC:
                out.append(f'{f.name}:{node.lineno}: {node.name} has {_code_lines(node, src)} lines (> {MAX_FUNC})')
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                out += [f'{f.name}:{node.lineno}: imports {node.module}.{a.name}, a private name'
                        for a in node.names if a.name.startswith('_')]
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.startswith('_') \
               and not node.attr.startswith('__') and (PKG/f'{node.value.id}.py').exists() and node.value.id != f.stem:
                out.append(f'{f.name}:{node.lineno}: uses {node.value.id}.{node.attr}, another module\'s private name')
    return out

def test_shape():
    bad = shape_report()
    assert not bad, '\n'.join(bad)

if __name__ == '__main__': print('\n'.join(shape_report()) or 'the package meets every target')
