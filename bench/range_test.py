"""`Learner.range_test` against fastai's `lr_find`, side by side on the same learner and `num_it`.

Prints, per model, the wall-time ratio (range_test / lr_find, median of REPS alternating runs) and the
extra peak memory of each: how far the call raises the process's peak resident memory above the peak
that two epochs of training already reached (each call in a fresh process, so one call's peak cannot
hide another's; training's own temporaries, such as Adam's per-parameter buffers, are inside the
earlier peak), next to the size of one copy of the model and optimizer state. Both run exactly `num_it` steps (early stopping off) from a learner that has
trained one epoch, so the optimizer state exists.

    python bench/range_test.py [--reps 3]
"""
import argparse, json, os, resource, subprocess, sys, time, warnings
from statistics import median

MODELS = {'cnn': dict(num_it=100), 'mlp20m': dict(num_it=40)}

def one(method, model):
    "Run one measurement in this (fresh) process and print it as JSON"
    warnings.simplefilter('ignore')
    import tempfile, torch
    from torch import nn
    from fastai.basics import Learner, CrossEntropyLossFlat
    from fastai.callback.progress import ProgressCallback
    from fastlr_auto.core import LearnerSnapshot  # patches Learner.range_test
    from fastlr_auto.test_utils import digits_learner, digits_dls
    torch.set_num_threads(2)
    if model == 'cnn': learn = digits_learner(path=tempfile.mkdtemp())
    else:
        torch.manual_seed(0)
        net = nn.Sequential(nn.Flatten(), nn.Linear(64, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
                            nn.Linear(4096, 512), nn.ReLU(), nn.Linear(512, 10))
        learn = Learner(digits_dls(), net, loss_func=CrossEntropyLossFlat(), path=tempfile.mkdtemp())
    num_it = MODELS[model]['num_it']
    with learn.no_bar(), learn.no_logging(): learn.fit(2, 1e-4)
    n_params = sum(p.numel() for p in learn.model.parameters())
    state_mb = sum(t.numel()*t.element_size() for s in learn.opt.state.values() for t in s.values() if torch.is_tensor(t)) / 2**20
    copy_mb = n_params*4/2**20 + state_mb
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the peak training reached
    t0 = time.perf_counter()
    with learn.no_bar():
        if method == 'range_test': learn.range_test(1e-7, 10, num_it=num_it, stop_div=None)
        elif method == 'lr_find': learn.lr_find(1e-7, 10, num_it=num_it, stop_div=False, show_plot=False)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(secs=secs, extra_mb=max(0., peak-base), copy_mb=copy_mb, n_params=n_params)))

def measure(method, model):
    r = subprocess.run([sys.executable, __file__, '--one', method, model], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--one', nargs=2); ap.add_argument('--reps', type=int, default=3)
    a = ap.parse_args()
    if a.one: one(*a.one); sys.exit()
    print(f"{'model':8} {'params':>9} {'num_it':>6} {'lr_find s':>9} {'range_test s':>12} {'time ratio':>10} "
          f"{'lr_find +MB':>11} {'range_test +MB':>14} {'model+opt MB':>12} {'+MB/copy':>8}")
    for model, cfg in MODELS.items():
        res = {'lr_find': [], 'range_test': []}
        for i in range(a.reps):
            for m in (('lr_find', 'range_test') if i % 2 == 0 else ('range_test', 'lr_find')): res[m].append(measure(m, model))
        lf, rt = (median(r['secs'] for r in res[m]) for m in ('lr_find', 'range_test'))
        mlf, mrt = (median(r['extra_mb'] for r in res[m]) for m in ('lr_find', 'range_test'))
        c = res['range_test'][0]
        print(f"{model:8} {c['n_params']:>9,} {cfg['num_it']:>6} {lf:>9.2f} {rt:>12.2f} {rt/lf:>10.2f} "
              f"{mlf:>11.1f} {mrt:>14.1f} {c['copy_mb']:>12.1f} {mrt/c['copy_mb']:>8.2f}")
