"""`fit_auto_cycle` against the oracle, fastai's workflow, fastai's default lr and Prodigy, on the four tasks.

Per task, 3 seeds each, at the task's fixed epoch budget (tasks.py):
- auto:     learn.fit_auto_cycle(epochs)
- fastai:   lr = learn.lr_find().valley; learn.fit_one_cycle(epochs, lr)
- default:  learn.fit_one_cycle(epochs)                (fastai's default lr, 1e-3)
- prodigy:  Prodigy (prodigyopt, lr=1) under the same one-cycle shape: fit_one_cycle(epochs, 1.)
Final validation accuracy as a ratio to the oracle (the best mean accuracy over bench/oracle.json's 13-point
lr grid, 3 seeds), and wall time as a ratio to one plain fit_one_cycle.
Then recovery: AutoLR started 100x below and 10x above the oracle lr, against plain fit_one_cycle from
the same wrong lr: the share of the accuracy gap to the oracle that the controller closes.
Then overhead: fit_one_cycle at a given lr with and without AutoLR() on the text task with batches of 16
(several hundred batches per epoch).

    python bench/quality.py       # about 10 minutes on two CPU cores
"""
import json, sys, time
from functools import partial
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS, quiet, text_lstm_learner, _text, _dls, CharLSTM
from fastai.basics import *
from fastai.callback.schedule import *
from fastlr_auto.all import *

SEEDS = (0, 1, 2)
ORACLE = json.loads((Path(__file__).parent/'oracle.json').read_text())

def acc(learn): return float(learn.recorder.values[-1][2])

def run(name, method, seed, lr=None):
    t = TASKS[name]
    if method == 'prodigy':
        from prodigyopt import Prodigy
        learn = t['make'](seed)
        learn.opt_func = partial(OptimWrapper, opt=Prodigy)
    else: learn = t['make'](seed)
    t0 = time.perf_counter()
    with learn.no_bar(), learn.no_logging():
        if method == 'auto': learn.fit_auto_cycle(t['epochs'], lr)
        elif method == 'fastai': learn.fit_one_cycle(t['epochs'], learn.lr_find(show_plot=False).valley)
        elif method == 'default': learn.fit_one_cycle(t['epochs'])
        elif method == 'prodigy': learn.fit_one_cycle(t['epochs'], 1.)
        elif method == 'plain': learn.fit_one_cycle(t['epochs'], lr)
    return acc(learn), time.perf_counter() - t0

if __name__ == '__main__':
    quiet()
    methods = ('auto', 'fastai', 'default', 'prodigy')
    print(f"{'task':16} {'oracle acc':>10} " + ' '.join(f'{m+" acc/or":>14}' for m in methods) + '   ' + ' '.join(f'{m+" time":>12}' for m in methods), flush=True)
    ratios, times = {m: [] for m in methods}, {m: [] for m in methods}
    for name in TASKS:
        base = [run(name, 'default', s)[1] for s in SEEDS[:1]][0]  # a warm-up run, discarded: first-run costs
        res = {m: [run(name, m, s) for s in SEEDS] for m in methods}
        plain_t = np.median([r[1] for r in res['default']])
        o = ORACLE[name]['best_acc']
        row = {m: (np.mean([r[0] for r in res[m]])/o, np.median([r[1] for r in res[m]])/plain_t) for m in methods}
        for m in methods: ratios[m].append(row[m][0]); times[m].append(row[m][1])
        sd = {m: np.std([r[0] for r in res[m]])/o for m in methods}
        print(f"{name:16} {o:>10.4f} " + ' '.join(f'{row[m][0]:>8.3f}±{sd[m]:.3f}' for m in methods) + '   ' +
              ' '.join(f'{row[m][1]:>12.2f}' for m in methods), flush=True)
    print(f"{'mean':16} {'':>10} " + ' '.join(f'{np.mean(ratios[m]):>14.3f}' for m in methods) + '   ' +
          ' '.join(f'{np.mean(times[m]):>12.2f}' for m in methods))
    print("(accuracy as a ratio to the oracle's, mean of 3 seeds ± their std; time as a ratio to one plain fit_one_cycle)\n", flush=True)

    print('recovery from a wrong starting lr (share of the accuracy gap to the oracle closed by AutoLR):')
    for name in TASKS:
        o, olr = ORACLE[name]['best_acc'], ORACLE[name]['oracle_lr']
        for f in (0.01, 10.):
            plain = np.mean([run(name, 'plain', s, olr*f)[0] for s in SEEDS])
            auto = np.mean([run(name, 'auto', s, olr*f)[0] for s in SEEDS])
            closed = (auto - plain)/(o - plain) if o - plain > 1e-3 else float('nan')
            print(f"  {name:16} start {f:>5}x oracle lr: plain {plain/o:.3f}, AutoLR {auto/o:.3f} of oracle; gap closed {closed:.2f}", flush=True)

    print('\noverhead of the between-epoch tests (text task, batches of 16):')
    trn, val, nv = _text()
    def lstm(seed):
        set_seed(seed, reproducible=True)
        return Learner(_dls(trn, val, 16), CharLSTM(nv), loss_func=CrossEntropyLossFlat(), metrics=accuracy)
    tp, ta = [], []
    for s in SEEDS:
        for with_auto in ((False, True) if s % 2 == 0 else (True, False)):
            l = lstm(s); t0 = time.perf_counter()
            with l.no_bar(), l.no_logging(): l.fit_one_cycle(3, 3e-2, cbs=AutoLR() if with_auto else None)
            (ta if with_auto else tp).append(time.perf_counter() - t0)
    print(f"  {len(l.dls.train)} batches per epoch, 3 epochs: plain {np.median(tp):.1f}s, with AutoLR {np.median(ta):.1f}s, ratio {np.median(ta)/np.median(tp):.3f}")
