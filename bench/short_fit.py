"""Short fits: what the controller should do when the budget allows no more than one between-epoch test.

On the noisy tasks the fits are short (diabetes: 22 batches x 10 epochs = 220 steps; 5 % of them is 11 steps, under
the 12-step minimum test, so `plan_tests` allows one test). Three choices, same seeds, `fit_auto_cycle(epochs)` with:
- one test:    AutoLR() — the default: the start test, then one 12-step test in the middle of the fit
- start only:  AutoLR(every=10**6) — the start test only, no between-epoch test
- longer test: AutoLR(min_it=24) — the start test, then one test twice as long
Score as in quality.py (share of the oracle's metric), mean over seeds.

    BENCH_THREADS=1 python bench/short_fit.py     # about 3 minutes on two shared CPU cores
"""
import sys
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS, quiet, score
from quality import ORACLE, seeds, metric
from fastlr_auto.all import *
from fastlr_auto.callback import plan_tests, _steps_per_epoch

CHOICES = {'one test': dict(), 'start only': dict(every=10**6), 'longer test': dict(min_it=24)}

if __name__ == '__main__':
    quiet()
    names = [a for a in sys.argv[1:]] or ['diabetes_mlp', 'wine_noisy', 'cancer_noisy']
    print(f"{'task':16} {'tests planned':>13} " + ' '.join(f'{c:>12}' for c in CHOICES), flush=True)
    for name in names:
        t, res = TASKS[name], {c: [] for c in CHOICES}
        for s in seeds(name):
            for c, kw in CHOICES.items():
                learn = t['make'](s)
                with learn.no_bar(), learn.no_logging(): learn.fit_auto_cycle(t['epochs'], auto=AutoLR(**kw))
                res[c].append(score(name, metric(learn), ORACLE[name]['best_acc']))
        plan = plan_tests(t['epochs'], _steps_per_epoch(learn))
        print(f"{name:16} {f'{len(plan[0])} x {plan[1]}':>13} " + ' '.join(f'{np.mean(v):>6.3f}±{np.std(v):.3f}' for v in res.values()), flush=True)
