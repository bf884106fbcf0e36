"""One rank of a distributed fit on the CPU, for tests/test_distributed.py.

    python -m torch.distributed.run --nproc_per_node 2 tests/ddp_run.py --out DIR [--epochs 3] [--lr 0.01] [--budget 0.05] [--no-auto] [--search 2]

Each rank writes DIR/rank{R}.pt (read back with `weights_only=True`): its `learn.auto_lr.history` (as a dict of columns), final weights, world size, batches per epoch and
seconds per epoch (rank 0 prints the progress table; the others print nothing)."""
import argparse, time
import torch
from fastai.basics import *
from fastlr_auto.all import *
from fastlr_auto.test_utils import digits_learner

class EpochTimer(Callback):
    "Wall time of each epoch, tests included (order 100: after AutoLR's after_epoch)"
    order = 100
    def before_fit(self): self.secs = []
    def before_epoch(self): self.t0 = time.perf_counter()
    def after_epoch(self): self.secs.append(time.perf_counter() - self.t0)

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--out', required=True)
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--lr', type=float, default=None, help='starting lr_max; default: found by a range test (with the controller) or 1e-2')
    p.add_argument('--bs', type=int, default=16)
    p.add_argument('--budget', type=float, default=0.05, help="the controller's budget (share of the fit's steps its tests may use)")
    p.add_argument('--no-auto', action='store_true', help='plain fit_one_cycle, without the controller')
    p.add_argument('--search', type=float, default=1, help="fit_auto_cycle's search: the compute allowed, in fits")
    a = p.parse_args()
    torch.set_num_threads(1)
    learn = digits_learner(seed=0, bs=a.bs)
    timer = EpochTimer()
    with learn.distrib_ctx():
        if a.no_auto: learn.fit_one_cycle(a.epochs, a.lr or 1e-2, cbs=timer)
        else: learn.fit_auto_cycle(a.epochs, a.lr, cbs=timer, auto=AutoLR(budget=a.budget), search=a.search)
    rank, side = rank_distrib(), None
    if a.search > 1 and not a.no_auto: # the side of the first test's lowest loss, from its curve and its own answer
        _, crv, sg = learn.auto_lr.curves[0]
        side = floor_side(crv.lrs, crv.losses, sg.lr)
    torch.save(dict(history=None if a.no_auto else learn.auto_lr.history.to_dict('list'), weights=learn.model.state_dict(), side=side,
                    world=num_distrib(), backend=torch.distributed.get_backend() if torch.distributed.is_initialized() else None,
                    n_train=len(learn.dls.train), secs=timer.secs), Path(a.out)/f'rank{rank}.pt')

if __name__ == '__main__': main()
