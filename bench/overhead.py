"""What the controller costs in time, side by side with fastai's own workflow, interleaved and repeated.

- between-epoch tests: `fit_one_cycle(3, 1e-2, cbs=AutoLR())` / `fit_one_cycle(3, 1e-2)` (target: <= 1 + budget + 0.01)
- per-batch cost alone: `AutoLR(every=10**6, check_start=False)` (no test at all) / plain
- one call: `fit_auto_cycle(3)` / `lr_find()` + `fit_one_cycle(3, valley)` (target: <= 1.00)
- per-batch work timed alone, in a tight loop (the fits' timings above are noisier than the effect): the controller's
  8 batch events through fastai's dispatch and its `_scaled`, beside an empty `Callback`'s dispatch
on a 20 -> 64 -> 2 MLP with 200 batches of 16 per epoch (the issue's case), one thread. Each repeat runs every
variant once, in rotating order; the ratios are of the medians, and of the least times (the least is the steadier
on a shared machine: what delays a run only adds to it). The test steps of `fit_auto_cycle` and `lr_find` are counted too:
the work behind the one-call ratio, free of timing noise.

    python bench/overhead.py [--reps 5]
"""
import argparse, statistics, time, warnings
import numpy as np
import torch
from torch import nn
from fastai.basics import *
from fastai.callback.schedule import *
from fastlr_auto.all import *
from fastlr_auto.test_utils import TensorPairs

def mlp_learner(seed=0, n_batches=200, bs=16):
    "A 20 -> 64 -> 2 MLP on a synthetic separable task, `n_batches` training batches per epoch"
    set_seed(seed, reproducible=True)
    n = n_batches*bs
    x = torch.randn(n + 512, 20); y = (x[:, :5].sum(1) > 0).long()
    dls = DataLoaders(DataLoader(TensorPairs(x[:n], y[:n]), bs=bs, shuffle=True, drop_last=True),
                      DataLoader(TensorPairs(x[n:], y[n:]), bs=256))
    return Learner(dls, nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 2)), loss_func=CrossEntropyLossFlat(), metrics=accuracy)

VARIANTS = {
    'plain':      lambda l: l.fit_one_cycle(3, 1e-2),
    'AutoLR()':   lambda l: l.fit_one_cycle(3, 1e-2, cbs=AutoLR()),
    'no tests':   lambda l: l.fit_one_cycle(3, 1e-2, cbs=AutoLR(every=10**6, check_start=False)),
    'fastai':     lambda l: l.fit_one_cycle(3, l.lr_find(show_plot=False).valley),
    'auto_cycle': lambda l: l.fit_auto_cycle(3),
}

BATCH_EVENTS = ('before_batch', 'after_pred', 'after_loss', 'before_backward', 'after_backward', 'before_step', 'after_step', 'after_batch')

def event_cost(n=3000, reps=7):
    "µs per training batch of the controller's work between tests (its 8 events through fastai's dispatch, and `_scaled`), and of an empty `Callback`'s dispatch; the least of `reps` timed loops"
    l = mlp_learner()
    with l.no_bar(), l.no_logging(): l.fit_one_cycle(1, 1e-2, cbs=AutoLR(every=10**6, check_start=False)) # the controller's per-fit state
    ctl, empty = l.auto_lr, Callback()
    empty.learn = ctl.learn = l; l.training, l.loss = True, torch.tensor(0.5)
    b = np.array([1e-3])
    def loop(cb, sched):
        t0 = time.perf_counter()
        for _ in range(n):
            for e in BATCH_EVENTS: cb(e)
            if sched: cb._scaled(b)
        return (time.perf_counter() - t0)/n*1e6
    ta, te = min(loop(ctl, True) for _ in range(reps)), min(loop(empty, False) for _ in range(reps))
    return ta, te

def timed(name, seed):
    l = mlp_learner(seed)
    t0 = time.perf_counter()
    with l.no_bar(), l.no_logging(): VARIANTS[name](l)
    return time.perf_counter() - t0, l

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--reps', type=int, default=5); a = p.parse_args()
    warnings.simplefilter('ignore'); torch.set_num_threads(1)
    names, t = list(VARIANTS), {k: [] for k in VARIANTS}
    timed('plain', 0) # warm-up, discarded
    for r in range(a.reps):
        for k in names[r % len(names):] + names[:r % len(names)]: t[k].append(timed(k, r)[0])
    m, b = {k: statistics.median(v) for k,v in t.items()}, {k: min(v) for k,v in t.items()}
    _, l = timed('AutoLR()', 0)
    h = l.auto_lr.history
    print(f'MLP 20-64-2, 200 batches/epoch, 3 epochs, {a.reps} interleaved repeats (median seconds; spread = max/min over repeats)')
    for k in names: print(f'  {k:12} {m[k]:7.3f} s   least {b[k]:.3f} s   spread {max(t[k])/min(t[k]):.2f}')
    print(f"tests of AutoLR(): {len(h)}, steps {list(h.num_it)} of {3*len(l.dls.train)} training steps")
    r = lambda x, y: f"{m[x]/m[y]:.3f}  least {b[x]/b[y]:.3f}"
    print(f"between-epoch tests   AutoLR() / plain          {r('AutoLR()', 'plain')}   (target <= {1+0.05+0.01:.2f})")
    print(f"per-batch cost        no tests / plain          {r('no tests', 'plain')}")
    print(f"one call              fit_auto_cycle / fastai   {r('auto_cycle', 'fastai')}   (target <= 1.00)")
    ta, te = event_cost()
    # the same comparisons from the tests' own wall time (the history's `secs`, least of 3 runs), free of the fits' noise
    tests = min(timed('AutoLR()', 0)[1].auto_lr.history.secs.sum() for _ in range(3))
    runs = [timed('auto_cycle', 0)[1] for _ in range(3)]
    auto_tests, la = min(l.auto_lr.history.secs.sum() for l in runs), runs[0]
    def lr_find_s():
        lf = mlp_learner(0); t0 = time.perf_counter()
        with lf.no_bar(), lf.no_logging(): lf.lr_find(show_plot=False)
        return time.perf_counter() - t0, len(lf.recorder.lrs)
    lf_s, lf_n = min(lr_find_s() for _ in range(3))
    print(f"the tests' own time: AutoLR()'s {list(h.num_it)} steps {tests:.3f} s = {tests/b['plain']:.1%} of the least plain fit, "
          f"so with the per-batch work below AutoLR() / plain ~ {1 + tests/b['plain'] + 3*len(l.dls.train)*ta*1e-6/b['plain']:.3f}")
    print(f"  fit_auto_cycle's {list(la.auto_lr.history.num_it)} = {int(la.auto_lr.history.num_it.sum())} steps {auto_tests:.3f} s, "
          f"lr_find's {lf_n} steps {lf_s:.3f} s: ratio {auto_tests/lf_s:.3f}; the fits themselves are the same fit_one_cycle(3)")
    batch = m['plain']/(3*len(l.dls.train))*1e6
    print(f"per-batch work, timed alone (least of 7 loops): AutoLR {ta:.1f} µs a batch = {ta/batch:.2%} of this MLP's {batch:.0f} µs plain batch; "
          f"a Callback that handles no event costs {te:.1f} µs (fastai's dispatch looks each missing event up on the learner and its model)")
