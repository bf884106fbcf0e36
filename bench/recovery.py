"""Recovery from a wrong starting lr, for variants of the controller side by side.

    python bench/recovery.py [--seeds 0 1 2] [--tasks digits_cnn ...]

For each task and each wrong start (100x below and 10x above the oracle lr of bench/oracle.json): plain
`fit_one_cycle` from that lr, and `fit_one_cycle` from it with each `AutoLR` variant; prints the accuracy as a
ratio to the oracle's and the share of the gap to the oracle that each variant closes (1: all of it)."""
import argparse, json, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS, quiet
from fastai.basics import *
from fastai.callback.schedule import *
from fastlr_auto.all import *

ORACLE = json.loads((Path(__file__).parent/'oracle.json').read_text())
VARIANTS = {
    'narrow start test (1.5, 2)': dict(start_span=(1.5, 2.)),
    'wide start test (3, 3)': dict(start_span=(3., 3.)),
    'wide, undamped': dict(start_span=(3., 3.), start_damping=1.),
    'wide, undamped, 2 decades': dict(start_span=(3., 3.), start_damping=1., start_max_step=2.),
    'narrow, undamped, 2 decades': dict(start_span=(1.5, 2.), start_damping=1., start_max_step=2.),
    'default, start test 40 steps at least': dict(start_it=40),
    'default, start test 25 steps at least': dict(start_it=25),
}

def run(name, seed, lr, auto=None):
    t = TASKS[name]
    learn = t['make'](seed)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(t['epochs'], lr, cbs=auto)
    return float(learn.recorder.values[-1][2])

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='*', default=[0, 1, 2])
    p.add_argument('--tasks', nargs='*', default=list(TASKS))
    p.add_argument('--variants', nargs='*', type=int, help='indices of the variants to run (default: all)')
    a = p.parse_args()
    quiet()
    names = [n for i,n in enumerate(VARIANTS) if a.variants is None or i in a.variants]
    print(f"{'task':16} {'start':>6} {'plain':>7} " + ' '.join(f'{n[:26]:>27}' for n in names))
    closed = {n: [] for n in names}
    for name in a.tasks:
        o, olr = ORACLE[name]['best_acc'], ORACLE[name]['oracle_lr']
        for f in (0.01, 10.):
            plain = np.mean([run(name, s, olr*f) for s in a.seeds])
            cells = []
            for n in names:
                acc = np.mean([run(name, s, olr*f, AutoLR(**VARIANTS[n])) for s in a.seeds])
                c = (acc - plain)/(o - plain) if o - plain > 1e-3 else float('nan')
                closed[n].append(c); cells.append(f'{acc/o:>8.3f} gap {c:>6.2f}      ')
            print(f"{name:16} {f:>5}x {plain/o:>7.3f} " + ' '.join(f'{c:>27}' for c in cells), flush=True)
    print(f"{'median gap closed':31} " + ' '.join(f'{np.nanmedian(closed[n]):>27.2f}' for n in names))
    print('(accuracy as a ratio to the oracle, mean over seeds; gap: share of the gap between plain and oracle that AutoLR closes)')
