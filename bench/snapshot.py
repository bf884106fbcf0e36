"""A range test's snapshot and restore against a bare copy of the same tensors, side by side.

- copy:     every tensor of the model's state_dict, the parameters' gradients and the optimizer's state, copied to the CPU with
            `detach().to('cpu', copy=True)`, then copied back into place with `copy_` (what any exact restore must do);
- snapshot: `LearnerSnapshot(learn, step_callbacks(learn))` then `.restore()` (weights, buffers, gradients, optimizer
            state and hypers, the learner's and callbacks' attributes, RNGs, loaders' RNGs).
Interleaved, REPS rounds; the median of each and their ratio, for the digits CNN (Adam) and a 19 M-parameter MLP.

    python bench/snapshot.py [--reps 9]
"""
import argparse, time, warnings
from statistics import median
import torch
from torch import nn
from fastai.basics import Learner, CrossEntropyLossFlat
from fastlr_auto.core import LearnerSnapshot, step_callbacks
from fastlr_auto.test_utils import digits_learner, digits_dls

def learners():
    yield 'digits cnn', digits_learner()
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
                        nn.Linear(4096, 512), nn.ReLU(), nn.Linear(512, 10))
    yield 'mlp 19M', Learner(digits_dls(), net, loss_func=CrossEntropyLossFlat())

def tensors(learn):
    grads = [p.grad for p in learn.model.parameters() if p.grad is not None]
    return list(learn.model.state_dict().values()) + grads + [t for s in learn.opt.state.values() for t in s.values() if torch.is_tensor(t)]

def bare_copy(learn):
    ts = tensors(learn)
    saved = [t.detach().to('cpu', copy=True) for t in ts]
    with torch.no_grad():
        for t, c in zip(ts, saved): t.copy_(c)

def snapshot(learn): LearnerSnapshot(learn, step_callbacks(learn)).restore()

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('--reps', type=int, default=9); a = ap.parse_args()
    warnings.simplefilter('ignore'); torch.set_num_threads(1)
    print(f"{'model':11} {'params':>11} {'tensor MB':>9} {'copy ms':>8} {'snapshot ms':>11} {'ratio':>6}")
    for name, learn in learners():
        with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-4) # the optimizer state exists
        mb = sum(t.numel()*t.element_size() for t in tensors(learn)) / 2**20
        res = {'copy': [], 'snapshot': []}
        for i in range(a.reps):
            for m, f in ((('copy', bare_copy), ('snapshot', snapshot)) if i % 2 == 0 else (('snapshot', snapshot), ('copy', bare_copy))):
                t0 = time.perf_counter(); f(learn); res[m].append(time.perf_counter() - t0)
        c, s = median(res['copy']), median(res['snapshot'])
        print(f"{name:11} {sum(p.numel() for p in learn.model.parameters()):>11,} {mb:>9.1f} {1e3*c:>8.2f} {1e3*s:>11.2f} {s/c:>6.2f}", flush=True)
