"""How many steps the first range test needs: the rule's answer from tests of several lengths, against the oracle lr.

For each task of `tasks.py` and seed, at the fresh model's weights: `range_test(1e-5, 10, num_it=N)` for each N below
(the window of `fit_auto_cycle`'s first test), the rule's answer, and its distance in decades to the task's oracle lr
(`oracle.json`) and to the answer of the longest test. The fits' own lengths are printed beside, so the share of a
fit a test of N steps costs can be read off.

    BENCH_THREADS=1 python bench/start_length.py      # about 3 minutes on two shared CPU cores
"""
import json, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS, quiet
from quality import ORACLE, seeds
from fastlr_auto.all import *

LENGTHS = (15, 25, 40, 75, 150)

if __name__ == '__main__':
    quiet()
    names = [a for a in sys.argv[1:]] or list(TASKS)
    err = {n: [] for n in LENGTHS}; dev = {n: [] for n in LENGTHS}
    print(f"{'task':16} {'fit steps':>9}   " + ' '.join(f'{f"{n} steps":>16}' for n in LENGTHS) + '   (decades from the oracle lr: mean / worst over seeds)', flush=True)
    for name in names:
        t, row = TASKS[name], {n: [] for n in LENGTHS}
        for s in seeds(name):
            learn = t['make'](s)
            with learn.no_bar(), learn.no_logging():
                ans = {n: learn.range_test(1e-5, 10., num_it=n).suggest().lr for n in LENGTHS}
            for n in LENGTHS:
                e = abs(np.log10(ans[n]/ORACLE[name]['oracle_lr'])); row[n].append(e); err[n].append(e)
                dev[n].append(abs(np.log10(ans[n]/ans[LENGTHS[-1]])))
        steps = t['epochs']*len(learn.dls.train)
        print(f"{name:16} {steps:>9}   " + ' '.join(f'{np.mean(row[n]):>8.2f} / {max(row[n]):<5.2f}' for n in LENGTHS), flush=True)
    print(f"{'all':16} {'':>9}   " + ' '.join(f'{np.median(err[n]):>8.2f} / {max(err[n]):<5.2f}' for n in LENGTHS) + '   (median / worst)')
    print(f"{'vs longest':16} {'':>9}   " + ' '.join(f'{np.median(dev[n]):>8.2f} / {max(dev[n]):<5.2f}' for n in LENGTHS) + f'   (decades from the {LENGTHS[-1]}-step answer: median / worst)')
