"""How much of the start answer is the batches' order, and what more sweeps buy.

`range_test` restores every RNG, so a second test from the same weights sees the same batches and answers the same.
Here each task's start test (`fit_auto_cycle`'s: 75 steps from 1e-5) runs at the fresh model's weights with the
loader's own order and with 8 other orders (`shuffle_seed` 1..8), every seed of `quality.py`. Printed per task:
- the spread the order alone makes: the std over the 9 orders of log10(answer), median over seeds;
- |log10(answer / oracle lr)| (decades): one sweep (any of the 9), the median of 3 sweeps, the median of 5 (median /
  worst over seeds and sweeps), and the first sweep alone (the loader's own order: what a single test answers);
- how often the first sweep's answer was placed by its noise (the rule's noise shift moved it half a decade or
  more: a fall within a few times the step noise) -- the curves the start measures again;
- `lowest3` and `median3`: what `fit_auto_cycle` does (its default `sweeps=3`) -- the lowest of the first 3 sweeps
  where the first answer was placed by its noise, the first sweep elsewhere -- and the median of those 3 instead;
  median / worst over seeds, beside `first`. (`quality.py --auto-only --fit=sweeps=1` runs whole fits with one sweep
  beside the default.)

    BENCH_THREADS=1 python bench/sweeps.py            # about 4 minutes on two shared CPU cores
"""
import json, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS, quiet
from quality import ORACLE, seeds
from fastlr_auto.all import *
from fastlr_auto.learner import _noise_placed

ORDERS = 9

def med(v): return float(np.median(v))
def f(v): return f'{med(v):>6.2f} / {max(v):<4.2f}'

if __name__ == '__main__':
    quiet()
    names = sys.argv[1:] or list(TASKS)
    print(f"{'task':16} {'order std':>9} {'1 sweep':>13} {'median of 3':>13} {'median of 5':>13} {'first':>13} {'lowest3':>13} {'median3':>13} {'noisy':>6}"
          '   (decades from the oracle lr: median / worst over seeds and sweeps)', flush=True)
    every = {k: [] for k in ('one', 'm3', 'm5', 'first', 'median3', 'lowest3')}
    for name in names:
        o, row, stds, noisy = ORACLE[name]['oracle_lr'], {k: [] for k in every}, [], 0
        for s in seeds(name):
            learn = TASKS[name]['make'](s)
            with learn.no_bar(), learn.no_logging():
                crvs = [learn.range_test(1e-5, 10., num_it=75, shuffle_seed=None if k == 0 else k) for k in range(ORDERS)]
            a = np.log10([c.suggest().lr for c in crvs]) - np.log10(o)
            stds.append(np.std(a))
            row['one'] += list(np.abs(a))
            row['m3'] += [abs(med(a[i:i+3])) for i in range(0, ORDERS, 3)]
            row['m5'] += [abs(med(a[:5])), abs(med(a[4:]))]
            row['first'].append(abs(a[0]))
            first_noisy = _noise_placed(crvs[0])
            noisy += first_noisy
            row['median3'].append(abs(med(a[:3])) if first_noisy else abs(a[0]))
            row['lowest3'].append(abs(min(a[:3])) if first_noisy else abs(a[0]))
        for k in every: every[k] += row[k]
        print(f"{name:16} {med(stds):>9.2f} {f(row['one'])} {f(row['m3'])} {f(row['m5'])} {f(row['first'])} {f(row['lowest3'])} {f(row['median3'])} {noisy:>3}/{len(seeds(name))}", flush=True)
    print(f"{'all':16} {'':>9} {f(every['one'])} {f(every['m3'])} {f(every['m5'])} {f(every['first'])} {f(every['lowest3'])} {f(every['median3'])}")
