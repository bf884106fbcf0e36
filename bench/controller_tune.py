"""Test length and span of AutoLR's between-epoch range tests, measured.

For each task and seed, after 1 epoch of fit_one_cycle at the oracle lr (weights mid-training), the full
range test (1e-7..10, 100 steps) gives a reference suggestion. Short tests around lr_max = oracle lr,
from lr_max/10**down to lr_max*10**up over num_it steps, are then compared with it on the same weights
(every test restores the learner exactly): median and worst |log10(short / full)|, and the share of short
tests that found a rise (no "no rise" / "rises from the smallest lr" answer).

    python bench/controller_tune.py      # about 3 minutes on two CPU cores
"""
import json, math, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS, quiet
from fastlr_auto.all import *

ORACLE = json.loads((Path(__file__).parent/'oracle.json').read_text())
LENGTHS, SPANS = (12, 20, 30, 40), ((1., 1.5), (1.5, 2.), (2., 2.5))

if __name__ == '__main__':
    quiet()
    errs = {(n, sp): [] for n in LENGTHS for sp in SPANS}
    found = {k: [] for k in errs}
    for name, t in TASKS.items():
        lr = ORACLE[name]['oracle_lr']
        for seed in (0, 1, 2):
            learn = t['make'](seed)
            with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(3, lr, cbs=[])  # 3-epoch schedule...
            ref = learn.range_test().suggest().lr                                       # ...finished: mid-run weights
            for n in LENGTHS:
                for sp in SPANS:
                    sg = learn.range_test(lr/10**sp[0], lr*10**sp[1], num_it=n).suggest()
                    errs[(n, sp)].append(abs(math.log10(sg.lr/ref)))
                    found[(n, sp)].append('no rise' not in sg.reason and 'rises from' not in sg.reason)
        print(name, 'done', flush=True)
    print(f"\n{'num_it':>6} {'span (down, up)':>16} {'median err':>10} {'worst err':>9} {'found a rise':>12}")
    for (n, sp), e in errs.items():
        print(f"{n:>6} {str(sp):>16} {np.median(e):>10.2f} {max(e):>9.2f} {np.mean(found[(n, sp)]):>12.2f}")
    print('\nerrors: |log10(short-test suggestion / full-test suggestion)| in decades, 12 mid-training states')
