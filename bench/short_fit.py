"""Short fits: what the controller should do when the budget allows no more than one between-epoch test.

On the bench's tasks the fits are short (diabetes: 22 batches x 10 epochs = 220 steps; 5 % of them is 11 steps, under
the 12-step minimum test, so `plan_tests` allows one test). Four choices, same seeds, `fit_auto_cycle(epochs)` with:
- 12 steps:    AutoLR(one_it=12) — the start test, then one 12-step test (`min_it`, the default before this bench)
- start only:  AutoLR(every=10**6) — the start test only, no between-epoch test
- 24 steps:    AutoLR(one_it=24) — the start test, then one test twice as long (the default, `AutoLR()`)
- 36 steps:    AutoLR(one_it=36) — three times as long
Score as in quality.py (share of the oracle's metric), mean over seeds.

    BENCH_THREADS=1 python bench/short_fit.py     # about 5 minutes on two shared CPU cores (every task of tasks.py; or name some)
"""
import sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS, quiet, score
from quality import ORACLE, seeds, metric
from fastlr_auto.all import *
from fastlr_auto.callback import plan_tests, _steps_per_epoch

CHOICES = {'12 steps': dict(one_it=12), 'start only': dict(every=10**6), '24 steps': dict(one_it=24), '36 steps': dict(one_it=36)}

if __name__ == '__main__':
    quiet()
    names = [a for a in sys.argv[1:]] or list(TASKS) # every task of the bench has room for one test only
    print(f"{'task':16} {'tests planned':>13} " + ' '.join(f'{c:>12}' for c in CHOICES), flush=True)
    means = {c: [] for c in CHOICES}
    for name in names:
        t, res = TASKS[name], {c: [] for c in CHOICES}
        for s in seeds(name):
            for c, kw in CHOICES.items():
                learn = t['make'](s)
                with learn.no_bar(), learn.no_logging(): learn.fit_auto_cycle(t['epochs'], auto=AutoLR(**kw))
                res[c].append(score(name, metric(learn), ORACLE[name]['best_acc']))
        plan = plan_tests(t['epochs'], _steps_per_epoch(learn))
        print(f"{name:16} {f'{len(plan[0])} x {plan[1]}':>13} " + ' '.join(f'{np.mean(v):>6.3f}±{np.std(v):.3f}' for v in res.values()), flush=True)
        for c, v in res.items(): means[c].append(np.mean(v))
    print(f"{'mean over tasks':30} " + ' '.join(f'{np.mean(v):>12.3f}' for v in means.values()))
    print(f"{'worst task':30} " + ' '.join(f'{min(v):>12.3f}' for v in means.values()))
