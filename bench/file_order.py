"""How much the order of an image folder's files moves `nbs/13_vision.ipynb`'s two fine-tuning workflows.

    BENCH_THREADS=1 python bench/file_order.py [--orders 6]

Runs the notebook's own code cells (read from the notebook, not copied) once per order: the sorted list the
notebook uses, then `--orders` random permutations of it, which change the validation split and every batch as
another file system's listing would. Prints each run's accuracy for `lr_find` + `fine_tune` and `fine_tune_auto`,
and their range: the margin the notebook's accuracy assertion leaves."""
import argparse, contextlib, io, os, sys, time, warnings
from pathlib import Path
import numpy as np, nbformat, torch, matplotlib
matplotlib.use('Agg')
torch.set_num_threads(int(os.environ.get('BENCH_THREADS', 1)))
NB = Path(__file__).resolve().parents[1]/'nbs'/'13_vision.ipynb'

def run(order):
    "The notebook's code, with the task's files in `order` (None: sorted, as the notebook); `(fastai_acc, auto_acc)`"
    ns = {}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()): _cells(ns, order) # the notebook's tables and bars
    return ns['fastai_acc'], ns['auto_acc']

def _cells(ns, order):
    for c in nbformat.read(NB, as_version=4).cells:
        if c.cell_type != 'code' or 'plot(' in c.source: continue
        exec(compile(c.source, str(NB), 'exec'), ns)
        if order is not None and 'def folder_dls' in c.source: # another listing order of the same files
            def folder_dls(path, seed=0, **kw):
                ns['set_seed'](seed, reproducible=True)
                fs = ns['get_image_files'](path).sorted()
                fs = ns['L']([fs[i] for i in np.random.default_rng(order).permutation(len(fs))])
                return ns['ImageDataLoaders'].from_path_func(path, fs, ns['parent_label'], valid_pct=0.2, seed=0, bs=64, num_workers=0, **kw)
            ns['folder_dls'], ns['dls'] = folder_dls, folder_dls(ns['path']/'task')

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--orders', type=int, default=6); a = ap.parse_args()
    warnings.filterwarnings('ignore')
    res = []
    for order in [None] + list(range(a.orders)):
        t = time.time(); fa, aa = run(order); res.append((fa, aa))
        print(f"{'sorted' if order is None else f'permutation {order}':>14}: lr_find + fine_tune {fa:.3f}  fine_tune_auto {aa:.3f}  ({time.time()-t:.0f} s)", flush=True)
    r = np.array(res)
    print(f'range over {len(r)} orders: lr_find + fine_tune {r[:,0].min():.3f}-{r[:,0].max():.3f}, fine_tune_auto {r[:,1].min():.3f}-{r[:,1].max():.3f}; '
          f'fine_tune_auto - lr_find + fine_tune: min {np.min(r[:,1]-r[:,0]):+.3f}, mean {np.mean(r[:,1]-r[:,0]):+.3f}')
