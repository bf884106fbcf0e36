"""`fit_auto_cycle` against the oracle, fastai's workflow, fastai's default lr, Prodigy and Schedule-Free AdamW.

Per task, 3 seeds each (5 on the noisy tasks), at the task's fixed epoch budget (tasks.py):
- auto:     learn.fit_auto_cycle(epochs)
- fastai:   lr = learn.lr_find().valley; learn.fit_one_cycle(epochs, lr)
- min/10:   lr = learn.lr_find(suggest_funcs=(minimum,)).minimum (fastai's minimum/10); fit_one_cycle(epochs, lr)
- default:  learn.fit_one_cycle(epochs)                (fastai's default lr, 1e-3)
- prodigy:  Prodigy (prodigyopt, lr=1) under the same one-cycle shape: fit_one_cycle(epochs, 1.)
- sfree:    Schedule-Free AdamW (schedulefree.AdamWScheduleFree) at its default lr 2.5e-3 with 5 % warm-up steps
            and a constant schedule (learn.fit); `ScheduleFreeMode` switches optimizer.train()/eval() and
            re-estimates BatchNorm statistics at the averaged weights before each validation.
The final validation metric as a share of the oracle's (the best mean metric over bench/oracle.json's 13-point
lr grid, 3 seeds; `tasks.score`: metric/oracle, or oracle/MSE for the regression), and wall time as a ratio
to one plain fit_one_cycle.
Then recovery: AutoLR started 100x below and 10x above the oracle lr, against plain fit_one_cycle from
the same wrong lr: the share of the gap to the oracle that the controller closes.
Then overhead: fit_one_cycle at a given lr with and without AutoLR() on the text task with batches of 16
(several hundred batches per epoch).

    python bench/quality.py       # all tasks, recovery, overhead: about 30 minutes on two CPU cores
    python bench/quality.py diabetes_mlp cancer_noisy wine_noisy --only   # these tasks only, no recovery/overhead
    python bench/quality.py digits_cnn cancer_mlp --only --auto-only     # only fit_auto_cycle (and the plain fit for the time base)
    BENCH_THREADS=1 python bench/quality.py ...                          # one torch thread: 3x faster on a shared 2-core machine
    python bench/quality.py --auto-only --init=60,1e-5                   # and 'auto/init': fit_auto_cycle whose start test is 60 steps from 1e-5
    python bench/quality.py --auto-only --rule=noise_shift=4             # and 'auto/rule': fit_auto_cycle whose every suggestion takes these suggest_lr arguments
    python bench/quality.py --auto-only --ctl=start_it=40                # and 'auto/ctl': fit_auto_cycle(auto=AutoLR(start_it=40))
    python bench/quality.py --auto-only --fit=sweeps=1                   # and 'auto/fit': fit_auto_cycle(epochs, sweeps=1)
"""
import json, sys, time
from functools import partial
from pathlib import Path
import numpy as np, torch
sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS, quiet, text_lstm_learner, _text, _dls, CharLSTM, score
from fastai.basics import *
from fastai.callback.schedule import *
from fastlr_auto.all import *

ORACLE = json.loads((Path(__file__).parent/'oracle.json').read_text())
NOISY = ('diabetes_mlp', 'cancer_noisy', 'wine_noisy')
AUTO_KW = {} # the 'auto/init' method's start test, from --init=N,START_LR (e.g. --init=60,1e-5)
CTL_KW = {} # the 'auto/ctl' method's AutoLR settings, from --ctl=NAME=VALUE,... (e.g. --ctl=start_it=40)
FIT_KW = {} # the 'auto/fit' method's fit_auto_cycle arguments, from --fit=NAME=VALUE,... (e.g. --fit=sweeps=1)
RULE_KW = {} # the 'auto/rule' method's suggest_lr arguments, from --rule=NAME=VALUE,... (e.g. --rule=noise_shift=4)
def settings(arg): return {k: int(v) if v.isdigit() else float(v) for k, v in (kv.split('=') for kv in arg.split('=', 1)[1].split(','))} # '--x=a=1,b=2.5'

def seeds(name): return tuple(range(5)) if name in NOISY else (0, 1, 2)

def metric(learn): return float(learn.recorder.values[-1][2])

class ScheduleFreeMode(Callback):
    "Schedule-free optimizers: `train()` before training, `eval()` (and BatchNorm statistics re-estimated) before validation"
    order = -5 # after TrainEvalCallback (-10) has set the model's mode
    def __init__(self, bn_batches=20): self.bn_batches = bn_batches
    def _opt(self): return self.learn.opt.opt
    def before_train(self): self._opt().train()
    def before_validate(self):
        self._opt().eval()
        bns = [m for m in self.model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        if not bns: return
        for m in bns: m.reset_running_stats(); m.momentum = None   # cumulative average over the batches below
        self.model.train()
        with torch.no_grad():
            for i, (*xb, yb) in enumerate(self.dls.train):
                if i >= self.bn_batches: break
                self.model(*xb)
        self.model.eval()
    def after_fit(self): self._opt().eval()

def run(name, method, seed, lr=None):
    t = TASKS[name]
    learn = t['make'](seed)
    if method == 'prodigy':
        from prodigyopt import Prodigy
        learn.opt_func = partial(OptimWrapper, opt=Prodigy)
    if method == 'sfree':
        from schedulefree import AdamWScheduleFree
        learn.opt_func = partial(OptimWrapper, opt=AdamWScheduleFree, warmup_steps=max(1, round(0.05*t['epochs']*len(learn.dls.train))))
    if method in ('prodigy', 'sfree') and learn.opt is not None: # made already (a frozen body): made again with that optimizer, frozen as it was
        frozen = learn.opt.frozen_idx; learn.opt = None; learn.create_opt(); learn.freeze_to(frozen)
    t0 = time.perf_counter()
    with learn.no_bar(), learn.no_logging():
        if method == 'auto': learn.fit_auto_cycle(t['epochs'], lr)
        elif method == 'auto/init': learn.fit_auto_cycle(t['epochs'], lr, **AUTO_KW)
        elif method == 'auto/fit': learn.fit_auto_cycle(t['epochs'], lr, **FIT_KW)
        elif method == 'auto/ctl': learn.fit_auto_cycle(t['epochs'], lr, auto=AutoLR(**CTL_KW))
        elif method == 'auto/rule':
            from fastlr_auto import core
            core.suggest_lr = partial(suggest_lr, **RULE_KW) # every test's suggestion (LRCurve.suggest) with these arguments
            try: learn.fit_auto_cycle(t['epochs'], lr)
            finally: core.suggest_lr = suggest_lr
        elif method == 'fastai': learn.fit_one_cycle(t['epochs'], learn.lr_find(show_plot=False).valley)
        elif method == 'min/10': learn.fit_one_cycle(t['epochs'], learn.lr_find(suggest_funcs=(minimum,), show_plot=False).minimum)
        elif method == 'default': learn.fit_one_cycle(t['epochs'])
        elif method == 'prodigy': learn.fit_one_cycle(t['epochs'], 1.)
        elif method == 'sfree': learn.fit(t['epochs'], 2.5e-3, cbs=ScheduleFreeMode())
        elif method == 'plain': learn.fit_one_cycle(t['epochs'], lr)
    start = getattr(learn, 'auto_lr', None)
    start = start.history.iloc[0] if method.startswith('auto') and start is not None and lr is None else None
    return score(name, metric(learn), ORACLE[name]['best_acc']), time.perf_counter() - t0, start

if __name__ == '__main__':
    quiet()
    only = '--only' in sys.argv
    for a in sys.argv[1:]:
        if a.startswith('--init='): n, lo = a.split('=', 1)[1].split(','); AUTO_KW.update(init_num_it=int(n), init_lrs=(float(lo), 10.))
        if a.startswith('--ctl='): CTL_KW.update(settings(a))
        if a.startswith('--fit='): FIT_KW.update(settings(a))
        if a.startswith('--rule='): RULE_KW.update(settings(a))
    names = [a for a in sys.argv[1:] if not a.startswith('--')] or list(TASKS)
    methods = ('auto', 'fastai', 'min/10', 'default', 'prodigy', 'sfree')
    if '--auto-only' in sys.argv: methods = ('auto', 'default')
    if AUTO_KW: methods = ('auto', 'auto/init') + methods[1:]; print(f"auto/init: fit_auto_cycle with the start test {AUTO_KW}")
    if CTL_KW: methods = ('auto', 'auto/ctl') + methods[1:]; print(f"auto/ctl: fit_auto_cycle(auto=AutoLR(**{CTL_KW}))")
    if FIT_KW: methods = ('auto', 'auto/fit') + methods[1:]; print(f"auto/fit: fit_auto_cycle(epochs, **{FIT_KW})")
    if RULE_KW: methods = ('auto', 'auto/rule') + methods[1:]; print(f"auto/rule: fit_auto_cycle with suggest_lr{RULE_KW}")
    print(f"{'task':16} {'oracle':>8} " + ' '.join(f'{m:>12}' for m in methods) + '   ' + ' '.join(f'{m+" t":>9}' for m in methods), flush=True)
    ratios, times, per_seed = {m: [] for m in methods}, {m: [] for m in methods}, {}
    for name in names:
        run(name, 'default', 0)  # a warm-up run, discarded: first-run costs
        res = {m: [run(name, m, s) for s in seeds(name)] for m in methods}
        per_seed[name] = res
        plain_t = np.median([r[1] for r in res['default']])
        row = {m: (np.mean([r[0] for r in res[m]]), np.median([r[1] for r in res[m]])/plain_t) for m in methods}
        for m in methods: ratios[m].append(row[m][0]); times[m].append(row[m][1])
        sd = {m: np.std([r[0] for r in res[m]]) for m in methods}
        print(f"{name:16} {ORACLE[name]['best_acc']:>8.4f} " + ' '.join(f'{row[m][0]:>6.3f}±{sd[m]:.3f}' for m in methods) + '   ' +
              ' '.join(f'{row[m][1]:>9.2f}' for m in methods), flush=True)
    print(f"{'mean':16} {'':>8} " + ' '.join(f'{np.mean(ratios[m]):>12.3f}' for m in methods) + '   ' +
          ' '.join(f'{np.mean(times[m]):>9.2f}' for m in methods))
    print("(metric as a share of the oracle's, mean over seeds ± their std; time as a ratio to one plain fit_one_cycle)\n", flush=True)
    print('per seed, auto vs fastai valley, and the start fit_auto_cycle chose (confidence; reason):')
    for name, res in per_seed.items():
        for s, a, f in zip(seeds(name), res['auto'], res.get('fastai', res['auto'])):
            st = a[2]
            print(f"  {name:16} seed {s}: auto {a[0]:.3f}  valley {f[0]:.3f}  start lr {st['suggested']:.3g} ({st['confidence']:.2f}; {st['reason'][:90]})", flush=True)
            for alt in ('auto/init', 'auto/fit', 'auto/rule', 'auto/ctl'):
                if alt not in res: continue
                b = res[alt][seeds(name).index(s)]
                print(f"  {'':16}         {alt} {b[0]:.3f}  start lr {b[2]['suggested']:.3g} ({b[2]['confidence']:.2f}; {b[2]['reason'][:90]})", flush=True)
    if only: sys.exit()

    print('\nrecovery from a wrong starting lr (share of the gap to the oracle closed by AutoLR):')
    for name in names:
        olr = ORACLE[name]['oracle_lr']
        for f in (0.01, 10.):
            plain = np.mean([run(name, 'plain', s, olr*f)[0] for s in seeds(name)[:3]])
            auto = np.mean([run(name, 'auto', s, olr*f)[0] for s in seeds(name)[:3]])
            closed = (auto - plain)/(1 - plain) if 1 - plain > 1e-3 else float('nan')
            print(f"  {name:16} start {f:>5}x oracle lr: plain {plain:.3f}, AutoLR {auto:.3f} of oracle; gap closed {closed:.2f}", flush=True)

    print('\noverhead of the between-epoch tests (text task, batches of 16):')
    trn, val, nv = _text()
    def lstm(seed):
        set_seed(seed, reproducible=True)
        return Learner(_dls(trn, val, 16), CharLSTM(nv), loss_func=CrossEntropyLossFlat(), metrics=accuracy)
    tp, ta = [], []
    for s in (0, 1, 2):
        for with_auto in ((False, True) if s % 2 == 0 else (True, False)):
            l = lstm(s); t0 = time.perf_counter()
            with l.no_bar(), l.no_logging(): l.fit_one_cycle(3, 3e-2, cbs=AutoLR() if with_auto else None)
            (ta if with_auto else tp).append(time.perf_counter() - t0)
    print(f"  {len(l.dls.train)} batches per epoch, 3 epochs: plain {np.median(tp):.1f}s, with AutoLR {np.median(ta):.1f}s, ratio {np.median(ta)/np.median(tp):.3f}")
