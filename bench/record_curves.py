"""The curve bank: range-test curves of the four tasks in `tasks.py`, at epoch 0 and after 1, 2 and 3 epochs.

For each task and seed (0, 1, 2): `range_test(1e-7, 10, num_it=100)` on the fresh learner, then
`fit_one_cycle(3, oracle_lr)` with the same range test after every epoch (the test restores the learner
exactly, so it does not change the training it interrupts). Stores raw and smoothed losses in bench/curves.json.

    python bench/record_curves.py      # needs bench/oracle.json; about 3 minutes on two CPU cores
    python bench/record_curves.py diabetes_mlp cancer_noisy   # only these tasks; the others' curves are kept

The noisy tasks (diabetes_mlp, cancer_noisy, wine_noisy) are recorded with 5 seeds (0-4): their curves differ
more from seed to seed, and the diabetes seeds are those of issue 11's report.
"""
import json, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS, quiet
from fastai.basics import Callback
from fastlr_auto.core import LRCurve  # patches Learner.range_test

RT = dict(start_lr=1e-7, end_lr=10., num_it=100)
NOISY = ('diabetes_mlp', 'cancer_noisy', 'wine_noisy')

def _row(task, seed, epoch, c):
    r = lambda a: [float(f'{v:.6g}') for v in a]
    return dict(task=task, seed=seed, epoch=epoch, num_it=c.num_it, stopped_early=c.stopped_early,
                lrs=r(c.lrs), losses=r(c.losses), smoothed=r(c.smoothed))

class RecordEachEpoch(Callback):
    order = 55 # after the Recorder (50) has the epoch's values
    def __init__(self, rows, task, seed): self.rows, self.task, self.seed = rows, task, seed
    def after_epoch(self): self.rows.append(_row(self.task, self.seed, self.epoch+1, self.learn.range_test(**RT)))

if __name__ == '__main__':
    quiet()
    here = Path(__file__).parent
    oracle = json.loads((here/'oracle.json').read_text())
    names = sys.argv[1:] or list(TASKS)
    old = json.loads((here/'curves.json').read_text()) if (here/'curves.json').exists() else []
    rows = [r for r in old if r['task'] not in names]
    for name in names:
        t = TASKS[name]
        for seed in (range(5) if name in NOISY else (0, 1, 2)):
            learn = t['make'](seed)
            rows.append(_row(name, seed, 0, learn.range_test(**RT)))
            with learn.no_bar(), learn.no_logging():
                learn.fit_one_cycle(3, oracle[name]['oracle_lr'], cbs=RecordEachEpoch(rows, name, seed))
        print(name, 'done', flush=True)
    (here/'curves.json').write_text(json.dumps(rows))
