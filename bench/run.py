"""The bench's one runner, over the zoo's one registry (`zoo.py`) and its one cache (`zoo_cache.json`).

    python bench/run.py oracle            # the oracles and the peers, cached (not the project's: run once)
    python bench/run.py curves            # the first range test of every task, 3 seeds x 5 batch orders, cached
    python bench/run.py choose            # the start rule's constants, scored on the cached oracles: dev and held
    python bench/run.py zoo               # fit_auto_cycle / fine_tune_auto over the zoo, beside the cached peers; the searches (from search's records)
    python bench/run.py report            # the last zoo run's tables again, from zoo_results.json
    python bench/run.py args              # the five entry points' own arguments
    python bench/run.py divisor           # how far below the onset each task's best lr lies, and what goes with it
    python bench/run.py finetune          # fine_tune_auto with the unfrozen phase's prior at 1x and 0.5x the frozen lr
    python bench/run.py trials            # a measurement: short trial fits at 3 lrs around the start answer, judged by training or validation loss
    python bench/run.py dropin            # fit_one_cycle(n, lr, cbs=AutoLR()) from fastai's default lr and from 100x, 10x below, at and 10x above the oracle's
    python bench/run.py short             # the drop-in's short start tests: the rule's error by test length and confidence
    python bench/run.py search_ft         # fine_tune_auto(..., search=k), k = 1, 2, 3, on the fine-tuning tasks
    python bench/run.py mlp               # issue 27's case: a digits MLP from 1e-4, batches of 16 and 32, with and without AutoLR(), 5 seeds
    python bench/run.py constants         # the rule's pieces, each switched off, on the cached first tests: dev and held
    python bench/run.py unfrozen          # fine_tune_auto's unfrozen 12-step tests read as it reads them, by the default rule, and with the noise measured below the rise
    python bench/run.py unseen            # tasks outside the zoo (a collab_learner, two multi-label MLPs): fit_auto_cycle (also with flat_cap 20), search=2, fine_tune_auto and the peers beside an lr grid
    python bench/run.py search            # fit_auto_cycle(n, search=k): every candidate screened and fit whole, recorded; the searches scored
    python bench/run.py refit             # the search records' whole fits run again with today's code (5 min)

Options, all `--name=value`: `--tasks=a,b` (default: all), `--seeds=3`, `--jobs=2` (worker processes, one torch
thread each), `--half=dev|held|all`; `--controller=budget:0.1` (zoo, report), `--priors=1,0.5` (finetune),
`--shares=0.1,0.2` (trials). The oracle is the best mean metric of `fit_one_cycle(epochs, lr_max)` over
a half-decade grid (searched outward from 3e-3 for Adam, 1e-1 for SGD, until two grid points past the best are
worse on each side) and the two quarter-decade neighbours of the best, 3 seeds.
"""
import json, math, os, sys, time, warnings
from functools import partial
from multiprocessing import get_context
from pathlib import Path
import numpy as np
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
CACHE, CURVES, RESULTS = HERE/'zoo_cache.json', HERE/'zoo_curves.json', HERE/'zoo_results.json'

def opts():
    o = dict(tasks=None, seeds=3, jobs=2, half='all', controller='', priors='', shares='')
    for a in sys.argv[2:]:
        k, _, v = a.lstrip('-').partition('=')
        if k not in o: sys.exit(f'unknown option --{k}; options: ' + ', '.join(f'--{n}' for n in o))
        o[k] = int(v) if k in ('seeds', 'jobs') else v
    return o

def _init():
    import torch
    warnings.simplefilter('ignore'); torch.set_num_threads(1)

def pool_map(fn, jobs, n):
    "`fn` over `jobs` in `n` worker processes (one torch thread each), results in order"
    if n <= 1: _init(); return [fn(j) for j in jobs]
    with get_context('fork').Pool(n, initializer=_init, maxtasksperchild=8) as p: return p.map(fn, jobs, chunksize=1)

def names(o):
    from zoo import TASKS, SPLIT
    ns = o['tasks'].split(',') if o['tasks'] else list(TASKS)
    return [n for n in ns if o['half'] == 'all' or SPLIT[n] == o['half']]

def load(f): return json.loads(f.read_text()) if f.exists() else {}

def curve_dict(c, rounded=False):
    "An `LRCurve`'s lrs and losses as JSON lists; `rounded`: to 5 and 6 significant digits (the caches of many curves)"
    f = (lambda v, d: float(f'{v:.{d}g}')) if rounded else (lambda v, d: float(v))
    return dict(lrs=[f(v, 5) for v in c.lrs], losses=[f(v, 6) for v in c.losses])

# --- one fit ----------------------------------------------------------------------------------------------------
def fit(name, method, seed, lr=None, controller=None):
    "Train task `name` for `seed` with `method`; its metric and wall time (and the controller's history, if any)"
    import torch
    from fastai.basics import OptimWrapper
    from fastai.callback.schedule import minimum, valley
    from fastlr_auto.all import AutoLR
    import zoo
    t = zoo.TASKS[name]
    learn = zoo.make(name, seed)
    if method in ('prodigy', 'sfree'):
        if method == 'prodigy': from prodigyopt import Prodigy as opt; kw = {}
        else: from schedulefree import AdamWScheduleFree as opt; kw = dict(warmup_steps=max(1, round(0.05*t.epochs*len(learn.dls.train))))
        frozen = None if learn.opt is None else learn.opt.frozen_idx
        learn.opt_func, learn.opt = partial(OptimWrapper, opt=opt, **kw), None
        if frozen is not None: learn.create_opt(); learn.freeze_to(frozen)
    cbs = [NoValid()] + ([ScheduleFreeMode()] if method == 'sfree' else [])
    out = {}
    t0 = time.perf_counter()
    with learn.no_bar(), learn.no_logging():
        if method == 'grid': learn.fit_one_cycle(t.epochs, lr, cbs=cbs)
        elif method == 'default': learn.fit_one_cycle(t.epochs, cbs=cbs)
        elif method == 'lr_find':
            s = learn.lr_find(suggest_funcs=(valley, minimum), show_plot=False)
            return dict(valley=float(s.valley), minimum=float(s.minimum), secs=time.perf_counter() - t0)
        elif method == 'prodigy': learn.fit_one_cycle(t.epochs, 1., cbs=cbs)
        elif method == 'sfree': learn.fit(t.epochs, 2.5e-3, cbs=cbs)
        elif method == 'fine_tune': learn.fine_tune(t.epochs - 1, lr, cbs=cbs)
        elif method == 'fine_tune_auto': learn.fine_tune_auto(t.epochs - 1, cbs=cbs)
        elif method == 'auto': learn.fit_auto_cycle(t.epochs, cbs=cbs, auto=AutoLR(**(controller or {})))
        elif method == 'autolr': learn.fit_one_cycle(t.epochs, lr, cbs=cbs + [AutoLR()]) # the drop-in callback, default budget
        elif method == 'fastai': # lr_find's valley + fit_one_cycle, timed whole: the cost base
            learn.fit_one_cycle(t.epochs, learn.lr_find(show_plot=False).valley, cbs=cbs)
        elif method == 'fastai_ft':
            learn.fine_tune(t.epochs - 1, learn.lr_find(show_plot=False).valley, cbs=cbs)
        else: raise KeyError(method)
    out['secs'] = time.perf_counter() - t0
    out['metric'] = zoo.metric(name, learn)
    ctl = getattr(learn, 'auto_lr', None)
    if ctl is not None and method in ('auto', 'fine_tune_auto'):
        h = ctl.history
        out['history'] = h.drop(columns=[c for c in h.columns if c not in ('fit', 'epoch', 'suggested', 'confidence', 'lr_max_0', f'lr_max_{len(learn.opt.param_lists)-1}', 'num_it', 'reason')]).to_dict('records')
    return out

from fastai.basics import Callback, CancelValidException, CancelFitException
from fastai.callback.schedule import ParamScheduler
import torch as _torch
class NoValid(Callback):
    "No validation during the fit: the bench reads the metric once, after it"
    order = -20
    def before_validate(self): raise CancelValidException()

class ScheduleFreeMode(Callback):
    "Schedule-free optimizers: `train()` before training, `eval()` and BatchNorm statistics re-estimated after the fit"
    order = -5
    def before_train(self): self.learn.opt.opt.train()
    def after_fit(self):
        self.learn.opt.opt.eval()
        bns = [m for m in self.learn.model.modules() if isinstance(m, _torch.nn.modules.batchnorm._BatchNorm)]
        if not bns: return
        for m in bns: m.reset_running_stats(); m.momentum = None
        self.learn.model.train()
        with _torch.no_grad():
            for i, (*xb, yb) in enumerate(self.learn.dls.train):
                if i >= 20: break
                self.learn.model(*xb)
        self.learn.model.eval()

# --- the oracle and the peers -----------------------------------------------------------------------------------
def _grid_job(args):
    name, seeds = args
    from zoo import TASKS
    adam = TASKS[name].opt == 'adam'
    lo, hi, c = (-6., 0., -2.5) if adam else (-4., 1., -1.)
    ev = {}
    def at(e):
        e = round(e, 2)
        if e not in ev and lo <= e <= hi: ev[e] = [fit(name, 'grid', s, 10**e)['metric'] for s in seeds]
    for e in (c - .5, c, c + .5): at(e)
    while True:
        xs = sorted(x for x in ev if abs(x*2 - round(x*2)) < 1e-9)
        b = max(xs, key=lambda x: np.mean(ev[x]))
        below, above = [x for x in xs if x < b], [x for x in xs if x > b]
        if len(below) < 2 and b - .5*(len(below)+1) >= lo: at(b - .5*(len(below)+1)); continue
        if len(above) < 2 and b + .5*(len(above)+1) <= hi: at(b + .5*(len(above)+1)); continue
        break
    at(b - .25); at(b + .25)
    xs = sorted(ev)
    b = max(xs, key=lambda x: np.mean(ev[x]))
    return name, dict(grid={f'{x:g}': ev[x] for x in xs}, best_log_lr=b, best=float(np.mean(ev[b])))

def _peer_job(args):
    name, seed = args
    from zoo import TASKS
    t, res = TASKS[name], {}
    f = fit(name, 'lr_find', seed)
    res['lr_find'] = f
    for m, lr in (('valley', f['valley']), ('min/10', f['minimum'])):
        r = fit(name, 'grid', seed, lr); r['secs'] += f['secs']; res[m] = r
    for m in ('default', 'prodigy', 'sfree'): res[m] = fit(name, m, seed)
    if t.finetune: r = fit(name, 'fine_tune', seed, f['valley']); r['secs'] += f['secs']; res['fine_tune'] = r
    return name, seed, res

def cmd_oracle(o):
    cache = load(CACHE)
    todo = [n for n in names(o) if n not in cache or 'oracle' not in cache[n]]
    seeds = list(range(o['seeds']))
    t0 = time.perf_counter()
    for name, orc in pool_map(_grid_job, [(n, seeds) for n in todo], o['jobs']):
        cache.setdefault(name, {})['oracle'] = orc
        print(f"{name:18} best lr_max {10**orc['best_log_lr']:.3g}  metric {orc['best']:.4f}  ({len(orc['grid'])} grid points)", flush=True)
    CACHE.write_text(json.dumps(cache, indent=0))
    todo = [(n, s) for n in names(o) for s in seeds if str(s) not in cache[n].get('peers', {})]
    for name, seed, res in pool_map(_peer_job, todo, o['jobs']):
        cache[name].setdefault('peers', {})[str(seed)] = res
    CACHE.write_text(json.dumps(cache, indent=0))
    print(f'oracle and peers cached in {CACHE.name} ({time.perf_counter()-t0:.0f} s)')

# --- scoring ----------------------------------------------------------------------------------------------------
def grid_score(orc, lr):
    "The oracle grid's mean metric at `lr` (linear in log10 lr between grid points; the edge's value past them), over the best"
    xs = np.array(sorted(float(x) for x in orc['grid'])); ys = np.array([np.mean(orc['grid'][f'{x:g}']) for x in xs])
    return max(0., float(np.interp(math.log10(lr), xs, ys))) / orc['best']

PEERS = ('default', 'valley', 'min/10', 'prodigy', 'sfree')

def summary(rows, label):
    "Mean, worst task, worst seed and the spread of seeds, for one method over some tasks: `rows` = {task: [scores]}"
    if not rows: return f'{label:16} (none)'
    means = {n: np.mean(v) for n, v in rows.items()}
    worst = min(means, key=means.get)
    seeds = [s for v in rows.values() for s in v]
    spread = np.mean([np.std(v) for v in rows.values()])
    return f'{label:16} mean {np.mean(list(means.values())):.3f}  worst task {means[worst]:.3f} ({worst})  worst seed {min(seeds):.3f}  seed std {spread:.3f}'

# --- the first range test's curves, for choosing the start rule --------------------------------------------------
ORDERS = 5
def _curve_job(args):
    name, seed = args
    import zoo
    from fastlr_auto.learner import start_window
    learn = zoo.make(name, seed)
    lo, hi, num_it = start_window(learn, zoo.TASKS[name].epochs)
    out = []
    with learn.no_bar(), learn.no_logging():
        for k in range(ORDERS):
            c = learn.range_test(lo, hi, num_it=num_it, shuffle_seed=k)
            out.append(curve_dict(c, rounded=True))
    return name, seed, out

def cmd_curves(o):
    bank = load(CURVES)
    todo = [(n, s) for n in names(o) for s in range(o['seeds']) if str(s) not in bank.get(n, {})]
    for name, seed, out in pool_map(_curve_job, todo, o['jobs']): bank.setdefault(name, {})[str(seed)] = out
    CURVES.write_text(json.dumps(bank))
    print(f'{len(todo)} task-seeds recorded in {CURVES.name}')

SHORT = HERE/'zoo_short.json'
STARTS = dict(default=None, oracle_100=-2., oracle_10=-1., oracle=0., oracle_x10=1.) # the drop-in's starts: fastai's default lr, or decades from the oracle's
LENGTHS = (12, 20, 40) # AutoLR's shortest test, a 5 % budget's test of a short fit, its longest
SHORT_SPAN = (3., 3.) # decades below and above the start lr: the window of the short start test the bank recorded
def start_lr(name, start, cache):
    "The lr_max a drop-in fit starts from: fastai's default (`defaults.lr`), or the oracle's times 10**`STARTS[start]`"
    from fastai.basics import defaults
    return defaults.lr if STARTS[start] is None else 10**(cache[name]['oracle']['best_log_lr'] + STARTS[start])

def _short_job(args):
    "The drop-in's start test (AutoLR's window around the start lr) at each start and length, for one task and seed"
    name, seed, cache = args
    import zoo
    learn, out = zoo.make(name, seed), {}
    lo, hi = SHORT_SPAN
    with learn.no_bar(), learn.no_logging():
        if learn.opt is None: learn.create_opt()
        for start in STARTS:
            lr = start_lr(name, start, cache)
            for n in LENGTHS:
                c = learn.range_test(lr/10**lo, lr*10**hi, num_it=n, shuffle_seed=seed)
                out[f'{start} {n}'] = curve_dict(c, rounded=True)
    return name, seed, out

BINS = (0, .05, .1, .25, .5, .75, 1.01)
def _bin(c): return next(i for i in range(len(BINS)-1) if c < BINS[i+1])

def cmd_short(o):
    "The drop-in's short start tests (recorded once: every start, every length): the rule's error against the oracle's lr by test length and confidence"
    from zoo import SPLIT
    from fastlr_auto.suggest import suggest_lr
    cache, bank = load(CACHE), load(SHORT)
    todo = [(n, s, cache) for n in names(o) for s in range(o['seeds']) if str(s) not in bank.get(n, {}) and 'oracle' in cache.get(n, {})]
    if todo:
        for name, seed, out in pool_map(_short_job, todo, o['jobs']): bank.setdefault(name, {})[str(seed)] = out
        SHORT.write_text(json.dumps(bank)); print(f'{len(todo)} task-seeds recorded in {SHORT.name}')
    err = {} # (half, length, bin) -> errors in decades
    ns = [n for n in names(o) if n in bank]
    def add(n, length, c):
        if len(c['losses']) < 5: return
        sg = suggest_lr(c['lrs'], c['losses'])
        err.setdefault((SPLIT[n], length, _bin(sg.confidence)), []).append(abs(math.log10(sg.lr) - cache[n]['oracle']['best_log_lr']))
    for n in ns:
        for seed in bank[n].values():
            for k, c in seed.items(): add(n, int(k.split()[1]), c)
    for n, seeds in load(CURVES).items(): # the first range test's curves (75 steps), for comparison
        if n in ns:
            for seed in seeds.values():
                for c in seed: add(n, 75, c)
    print('|log10(answer / oracle lr)| per test length and confidence bin: median, the share within half a decade (count)')
    print(f"{'':11}" + ''.join(f'[{a:.2f},{min(z, 1):.2f})'.ljust(20) for a, z in zip(BINS[:-1], BINS[1:])))
    for h in ('dev', 'held'):
        for length in LENGTHS + (75,):
            cells = [err.get((h, length, b)) for b in range(len(BINS)-1)]
            print(f'{h:4} {length:2} st ' + ''.join((f'{np.median(e):.2f} {np.mean(np.array(e) < .5):4.0%} ({len(e)})' if e else '-').ljust(20) for e in cells))

def _dropin_job(args):
    name, seed, lrs = args
    out = {k: {m: v for m, v in fit(name, 'autolr', seed, lr).items() if m in ('metric', 'secs')} for k, lr in lrs.items()}
    out['plain'] = fit(name, 'grid', seed, lrs['default'])['secs'] # the same fit as the first, without AutoLR: the cost base
    return name, seed, out

def cmd_dropin(o):
    "The drop-in's value: fit_one_cycle(n, lr, cbs=AutoLR()) from each start, beside the same fit without it and fit_auto_cycle"
    cache = load(CACHE)
    ns = [n for n in names(o) if 'oracle' in cache.get(n, {})]
    jobs = [(n, s, {k: start_lr(n, k, cache) for k in STARTS}) for n in ns for s in range(o['seeds'])]
    got, t0, out = {}, time.perf_counter(), HERE/'zoo_dropin.json'
    for n, s, res in pool_map(_dropin_job, jobs, o['jobs']): got.setdefault(n, {})[str(s)] = res
    if o['tasks'] or o['half'] != 'all': got = {**load(out).get('runs', {}), **got}
    out.write_text(json.dumps(dict(runs=got, minutes=(time.perf_counter() - t0)/60), indent=0))
    dropin_report(got)

def _mlp_job(args):
    "The digits MLP of issue 27: fit_one_cycle(5, 1e-4) with batches of `bs`, with AutoLR() or without; accuracy, steps"
    bs, seed, with_cb = args
    import zoo
    from fastlr_auto.all import AutoLR
    learn = zoo.digits_task(bs, flat=True, seed=seed)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(5, 1e-4, cbs=[NoValid()] + [AutoLR()]*with_cb)
    return bs, with_cb, zoo.metric('digits_mlp', learn), 5 * len(learn.dls.train)

def cmd_mlp(o):
    "Issue 27's case: a digits MLP fit from 1e-4 (100x too low) with batches of 16 and 32, with and without AutoLR()"
    got = {}
    for bs, w, acc, steps in pool_map(_mlp_job, [(bs, s, w) for bs in (16, 32) for s in range(5) for w in (True, False)], o['jobs']):
        got.setdefault((bs, w, steps), []).append(acc)
    for (bs, w, steps), v in got.items():
        print(f"batches of {bs} ({steps} steps), {'with AutoLR()' if w else 'without':14} accuracy over 5 seeds: "
              f"mean {np.mean(v):.3f}, lowest {min(v):.3f}, highest {max(v):.3f}")

def dropin_report(got=None):
    "The drop-in's table, from zoo_dropin.json: per start and half, with AutoLR(), without it (the cached default run, or the oracle grid), and fit_auto_cycle"
    from zoo import SPLIT, score
    cache, got = load(CACHE), got or load(HERE/'zoo_dropin.json')['runs']
    sc, _, _ = scores()
    for h in ('dev', 'held'):
        print(summary({n: v for n, v in sc['auto'][h].items() if n in got}, f'{h:4} fit_auto_cycle'))
        for k in STARTS:
            with_cb = {n: [score(got[n][s][k]['metric'], cache[n]['oracle']['best']) for s in sorted(got[n])] for n in got if SPLIT[n] == h}
            if k == 'default': without = {n: [score(cache[n]['peers'][s]['default']['metric'], cache[n]['oracle']['best']) for s in sorted(got[n])] for n in with_cb}
            else: without = {n: [grid_score(cache[n]['oracle'], start_lr(n, k, cache))] for n in with_cb}
            print(summary(with_cb, f'{h:4} {k:10} AutoLR'))
            print(summary(without, f'{h:4} {k:10} without'))
        print()
    print("(without: fastai's default lr is the cached peer's fit; the other starts read the oracle grid at that lr, "
          "which past the grid's end takes the edge's score: 10x above the oracle that flatters the fit without AutoLR)")
    ratio = [got[n][s]['default']['secs'] / got[n][s]['plain'] for n in got for s in got[n]]
    print(f'time: fit_one_cycle(n, defaults.lr, cbs=AutoLR()), its start test included, over the same fit without it, '
          f'run next in the same worker: median {np.median(ratio):.2f}, 90th percentile {np.percentile(ratio, 90):.2f}')

def lowest_log_lr(c):
    "log10 of the lr where a cached curve `c`, smoothed as the rule smooths it, is lowest"
    from fastlr_auto.suggest import floor_lr
    return math.log10(floor_lr(c['lrs'], c['losses']))

def priors(cache, ns):
    "The median best lr of the oracle over tasks `ns`, per optimizer: the prior a curve that says nothing falls back on"
    from zoo import TASKS
    return {k: float(10**np.median([cache[n]['oracle']['best_log_lr'] for n in ns if TASKS[n].opt == k])) for k in ('adam', 'sgd')}

def rule_lr(name, sg):
    "The start lr `fit_auto_cycle` takes from the rule's answer `sg` on task `name`: shrunk toward its optimizer's prior"
    from zoo import TASKS
    from fastlr_auto.suggest import toward_prior, Rule
    return toward_prior(sg, getattr(Rule, f'prior_{TASKS[name].opt}')).lr

def cmd_choose(o):
    "Choose `Rule.div`, `Rule.guess`, `Rule.trust` and the priors on the dev half's cached curves, scored on the oracle grids; print both halves"
    from zoo import SPLIT, TASKS
    from fastlr_auto.suggest import suggest_lr, toward_prior, Rule
    cache, bank = load(CACHE), load(CURVES)
    ns = [n for n in names(o) if n in bank and 'oracle' in cache.get(n, {})]
    dev = [n for n in ns if SPLIT[n] == 'dev']
    pri = priors(cache, dev)
    print(f"priors (median best lr of the dev half): adam {pri['adam']:.3g}, sgd {pri['sgd']:.3g}")
    sgs = {n: {s: [suggest_lr(c['lrs'], c['losses']) for c in bank[n][s]] for s in bank[n]} for n in ns}
    def evaluate(answer):
        "per half: {task: [median over batch orders of the grid score, per seed]}"
        per = {'dev': {}, 'held': {}}
        for n in ns: per[SPLIT[n]][n] = [float(np.median([grid_score(cache[n]['oracle'], answer(n, sg)) for sg in sgs[n][s]])) for s in sgs[n]]
        return per
    def shrunk(div, guess, trust):
        r = Rule(div=div, guess=guess, trust=trust)
        return lambda n, sg: toward_prior(sg._replace(lr=sg.point[0]/div), pri[TASKS[n].opt], r).lr
    DIVS, TRUSTS = [round(10**e, 2) for e in (.5, .625, .75, .875, 1.)], (.5, .7, .9, 1.)
    grid = [(d, g, t) for d in DIVS for g in (0., .1) for t in TRUSTS]
    scored = {k: evaluate(shrunk(*k)) for k in grid}
    mean = lambda per, h: float(np.mean([np.mean(v) for v in per[h].values()]))
    worst = lambda per, h: float(min(np.mean(v) for v in per[h].values()))
    pick = lambda ks: max(ks, key=lambda k: (round(mean(scored[k], 'dev'), 3), worst(scored[k], 'dev')))
    full = pick(grid)                                               # all three constants at once: the held half disagrees
    best = pick([k for k in grid if k[1:] == (Rule.guess, Rule.trust)]) # one constant, `div`: the one kept
    print('\nthe start lr by each reading, scored on the oracle grid (median over 5 batch orders a seed):')
    quarter = lambda n, sg: toward_prior(sg._replace(lr=sg.lr/10**.25), pri[TASKS[n].opt]).lr # the point before the onset, as it was
    lowest = {id(sg): lowest_log_lr(c) for n in ns for s in sgs[n] for sg, c in zip(sgs[n][s], bank[n][s])}
    onset_min = lambda n, sg: 10**(0.75*math.log10(sg.point[0]) + 0.25*lowest[id(sg)]) / 5.62 # of the answer's own curve
    rows = {'rule alone (div 10)': evaluate(shrunk(10., 0., 0.)), 'prior alone': evaluate(lambda n, sg: pri[TASKS[n].opt]),
            'a quarter-decade before the onset': evaluate(quarter),
            'blend with the prior, half-way (log)': evaluate(lambda n, sg: math.sqrt(sg.lr*pri[TASKS[n].opt])),
            'onset 0.75 + minimum 0.25 (log), /5.62': evaluate(onset_min),
            f'3 at once: div {full[0]:g} g {full[1]:g} t {full[2]:g}': scored[full],
            f'div alone: div {best[0]:g} g {best[1]:g} t {best[2]:g}': scored[best],
            'Rule() (the defaults now)': evaluate(rule_lr)}
    for label, per in rows.items():
        for h in ('dev', 'held'): print(summary(per[h], f'{label[:34]:34} {h}'))
    for g in (0., .1):
        print(f'\ndev-half mean (held-out mean), guess {g:g}: div x trust')
        print('div    ' + ' '.join(f'trust {t:<6g}' for t in TRUSTS))
        for d in DIVS: print(f'{d:<6g} ' + ' '.join(f'{mean(scored[(d, g, t)], "dev"):.3f}({mean(scored[(d, g, t)], "held"):.3f})' for t in TRUSTS))
    calibration(sgs, cache)

# each of the rule's pieces switched off (the constant at the value that turns it off), and the Gaussian's other edge modes
SWITCHES = {'Rule() (the defaults)': {}, 'no cap on the rise (rise_cap off)': dict(rise_cap=1e6),
            'the valley shift on every fall (deep_fall 0)': dict(deep_fall=0.), 'no cap on the shift (max_shift 10)': dict(max_shift=10.),
            'no fell-back re-reading (rise_ratio off)': dict(rise_ratio=1e6), "a flat curve's rise capped as a valley's (flat_cap 20)": dict(flat_cap=20.), 'no valley shift (noise_shift 0)': dict(noise_shift=0.),
            'no shrink toward the prior (guess, trust 0)': dict(guess=0., trust=0.),
            "edge mode 'nearest'": 'nearest', "edge mode 'mirror'": 'mirror', "edge mode 'constant'": 'constant'}

def cmd_constants(o):
    "What each piece of the rule buys: the first test's cached curves read with it switched off, scored on the oracle grids"
    from zoo import SPLIT, TASKS
    import fastlr_auto.suggest as S
    cache, bank, g = load(CACHE), load(CURVES), S.gaussian_filter1d
    ns = [n for n in names(o) if n in bank and 'oracle' in cache.get(n, {})]
    for label, v in SWITCHES.items():
        r = S.Rule(**v) if isinstance(v, dict) else S.Rule()
        S.gaussian_filter1d = g if isinstance(v, dict) else partial(lambda y, m, **kw: g(y, **{**kw, 'mode': m}), m=v)
        per = {'dev': {}, 'held': {}}
        for n in ns:
            pr = getattr(r, f'prior_{TASKS[n].opt}')
            per[SPLIT[n]][n] = [float(np.median([grid_score(cache[n]['oracle'], S.toward_prior(S.suggest_lr(c['lrs'], c['losses'], r), pr, r).lr)
                                                 for c in bank[n][s]])) for s in bank[n]]
        S.gaussian_filter1d = g
        for h in ('dev', 'held'): print(summary(per[h], f'{label[:44]:44} {h}'))

def calibration(sgs, cache):
    "Median error of the rule's answers `sgs` ({task: {seed: [LRSuggestion]}}) against the oracle's lr (decades) per confidence bin"
    from zoo import SPLIT
    errs = {'dev': [], 'held': []}
    for n, seeds in sgs.items():
        b = cache[n]['oracle']['best_log_lr']
        errs[SPLIT[n]] += [(sg.confidence, abs(math.log10(sg.lr) - b)) for v in seeds.values() for sg in v]
    edges = (0, .1, .25, .5, .75, 1.01)
    print('\ncalibration: |log10(answer / oracle lr)| per confidence bin (median, and the share within half a decade)')
    for h, e in errs.items():
        e = np.array(e)
        cells = []
        for a, z in zip(edges[:-1], edges[1:]):
            m = e[(e[:, 0] >= a) & (e[:, 0] < z), 1]
            cells.append(f'[{a:.2f},{min(z,1):.2f}) {np.median(m):.2f} ({np.mean(m < .5):.0%} of {len(m)})' if len(m) else f'[{a:.2f},{min(z,1):.2f}) -')
        print(f'  {h:5}' + '  '.join(cells))

def _ft_job(args):
    name, seed, share = args
    import fastlr_auto.fine_tune as ft
    ft.UNFROZEN_PRIOR = share # the module's constant, read by fine_tune_auto at each call
    return name, seed, share, fit(name, 'fine_tune_auto', seed)['metric']

def cmd_finetune(o):
    "fine_tune_auto over the fine-tuning tasks with the unfrozen phase's prior at shares of the frozen phase's lr"
    from zoo import TASKS, SPLIT, score
    import fastlr_auto.fine_tune as ft
    cache, shares = load(CACHE), [float(v) for v in (o['priors'] or f'1,{ft.UNFROZEN_PRIOR:g}').split(',')]
    ns = [n for n in names(o) if TASKS[n].finetune and 'oracle' in cache.get(n, {})]
    got = {}
    for n, s, share, m in pool_map(_ft_job, [(n, s, v) for v in shares for n in ns for s in range(o['seeds'])], o['jobs']):
        got.setdefault(share, {'dev': {}, 'held': {}})[SPLIT[n]].setdefault(n, []).append(score(m, cache[n]['oracle']['best']))
    for h in ('dev', 'held'):
        for v in shares: print(summary(got[v][h], f'{h:4} prior x{v:g}'))

class StopAfter(Callback):
    "Cancel the fit after `n` training batches, keeping their losses"
    order = 100
    def __init__(self, n): self.n, self.losses = n, []
    def after_batch(self):
        if not self.training: return
        v = float(self.learn.loss); self.losses.append(v if math.isfinite(v) else math.inf)
        if len(self.losses) >= self.n: raise CancelFitException()

class Compress(Callback):
    "The whole one-cycle schedule run over the first `n` training batches (after `ParamScheduler`, which it overrides)"
    order = 61
    def __init__(self, n): self.n, self.i = n, 0
    def before_fit(self): self.sched = next(c for c in self.learn.cbs if isinstance(c, ParamScheduler))
    def before_batch(self):
        if not self.training: return
        self.sched._update_val(min(self.i/self.n, 1.)); self.i += 1

TRIALS = (1/3, 1., 3.) # candidates, as multiples of the start answer
KINDS = ('prefix', 'whole') # a trial is the fit's first batches, or the whole one-cycle squeezed into them
def _trial_job(args):
    name, seed, share = args
    import zoo
    from fastlr_auto.learner import start_suggestion, start_window
    from fastlr_auto.snapshot import LearnerSnapshot
    t, learn = zoo.TASKS[name], zoo.make(name, seed)
    with learn.no_bar(), learn.no_logging():
        if learn.opt is None: learn.create_opt()
        sg, _ = start_suggestion(learn, *start_window(learn, t.epochs))
        n, out = max(5, int(share * t.epochs * len(learn.dls.train))), {}
        for kind in KINDS:
            for f in TRIALS:
                cb = StopAfter(n)
                with LearnerSnapshot(learn):
                    learn.fit_one_cycle(t.epochs, sg.lr*f, cbs=[NoValid(), cb] + ([Compress(n)] if kind == 'whole' else []))
                    v = float(learn.validate()[0])
                out[kind, f] = dict(train=float(np.mean(cb.losses[-max(1, n//5):])), valid=v if math.isfinite(v) else math.inf)
    return name, seed, sg.lr, out

def cmd_trials(o):
    "A measurement, not a method: do short trial fits at the start answer / 3, x 1, x 3 pick a better lr than the answer?"
    cache = load(CACHE)
    from zoo import SPLIT
    ns = [n for n in names(o) if 'oracle' in cache.get(n, {})]
    for share in [float(v) for v in (o['shares'] or '0.1,0.2').split(',')]:
        per = {}
        for n, s, lr, out in pool_map(_trial_job, [(n, s, share) for n in ns for s in range(o['seeds'])], o['jobs']):
            add = lambda k, f: per.setdefault(k, {'dev': {}, 'held': {}})[SPLIT[n]].setdefault(n, []).append(grid_score(cache[n]['oracle'], lr*f))
            add('the answer, no trials', 1.)
            for kind in KINDS:
                for judge in ('train', 'valid'): add(f'{kind}, by {judge} loss', min(TRIALS, key=lambda f: out[kind, f][judge]))
        print(f'\ntrial fits of {share:.0%} of the fit each ({3*share:.0%} of a fit in all), scored on the oracle grids:')
        for k, v in per.items():
            for h in ('dev', 'held'): print(summary(v[h], f'{k[:26]:26} {h:4}'))

def _steps_job(name):
    import zoo
    learn = zoo.make(name, 0)
    return name, len(learn.dls.train) * zoo.TASKS[name].epochs, learn.dls.train.bs

def cmd_divisor(o):
    "How far below the onset of the rise each task's best lr lies, and what in the task or the curve goes with it"
    from zoo import SPLIT
    from fastlr_auto.suggest import suggest_lr
    cache, bank = load(CACHE), load(CURVES)
    ns = [n for n in names(o) if n in bank and 'oracle' in cache.get(n, {})]
    size = {n: (t, b) for n, t, b in pool_map(_steps_job, ns, o['jobs'])}
    sgs = {n: [[suggest_lr(c['lrs'], c['losses']) for c in s] for s in bank[n].values()] for n in ns} # per seed, per order
    low = {n: [[lowest_log_lr(c) for c in s] for s in bank[n].values()] for n in ns}
    rows = []
    for n in ns:
        onset = np.median([math.log10(sg.point[0]) for s in sgs[n] for sg in s])
        lowest = np.median([v for s in low[n] for v in s])
        rows.append((n, SPLIT[n], onset - cache[n]['oracle']['best_log_lr'], math.log10(size[n][0]), math.log10(size[n][1]), onset - lowest))
    print(f"{'task':18} half  log10(onset / best lr)  log10(fit steps)  log10(batch size)  onset - minimum (decades)")
    for r in sorted(rows, key=lambda r: r[2]): print(f'{r[0]:18} {r[1]:4}  {r[2]:22.2f}  {r[3]:16.2f}  {r[4]:17.2f}  {r[5]:8.2f}')
    for h in ('dev', 'held'):
        R = np.array([r[2:] for r in rows if r[1] == h])
        cor = ', '.join(f'{k} {np.corrcoef(R[:, 0], R[:, j])[0, 1]:+.2f}' for j, k in ((1, 'fit steps'), (2, 'batch size'), (3, 'onset - minimum')))
        print(f'{h}: log10(onset / best lr) median {np.median(R[:, 0]):.2f}, spread (sd) {R[:, 0].std():.2f} decades; correlation with {cor}')
    ceiling(ns, cache, sgs, low)
    for d in (.25, .5): # what an answer that far from the best costs, on its worse side
        off = [min(grid_score(cache[n]['oracle'], 10**(cache[n]['oracle']['best_log_lr'] + s*d)) for s in (-1, 1)) for n in ns]
        print(f'{d:g} decade from the best lr: the grid keeps {np.median(off):.3f} of the best (median task), {np.percentile(off, 25):.3f} (lower quartile)')

def ceiling(ns, cache, sgs, low):
    "The best any rule `a*onset + (1-a)*minimum - d` (log10 lr) can do, its `a` and `d` chosen with hindsight on each half; a search's"
    from zoo import SPLIT
    at = {n: [list(zip([math.log10(sg.point[0]) for sg in s], m)) for s, m in zip(sgs[n], low[n])] for n in ns}
    def task(n, a, d): return np.mean([np.median([grid_score(cache[n]['oracle'], 10**(a*o + (1-a)*m - d)) for o, m in s]) for s in at[n]])
    for h in ('dev', 'held'):
        hs = [n for n in ns if SPLIT[n] == h]
        for label, blends in (('onset alone', (1.,)), ('onset and minimum blended', (0., .25, .5, .75, 1.))):
            best = max(((a, d) for a in blends for d in np.arange(0, 2.01, .125)), key=lambda k: np.mean([task(n, *k) for n in hs]))
            sc = [task(n, *best) for n in hs]
            print(f'{h}: the best {label} (a {best[0]:g}, {best[1]:g} decades below), chosen on this half itself: '
                  f'mean {np.mean(sc):.3f}, worst task {min(sc):.3f} ({hs[int(np.argmin(sc))]})')
    # a search: whole fits at the rule's answer times each of `fs`, the best kept, read from the oracle grid (an upper
    # bound: a search judges each fit by its validation set, once, not by a mean over seeds)
    ans = {n: [[rule_lr(n, sg) for sg in s] for s in sgs[n]] for n in ns}
    for fs in ((1.,), (1/3, 1., 3.), (.1, 1/3, 1., 3., 10.)):
        per = {h: {n: [np.median([max(grid_score(cache[n]['oracle'], lr*f) for f in fs) for lr in s]) for s in ans[n]]
                   for n in ns if SPLIT[n] == h} for h in ('dev', 'held')}
        for h in ('dev', 'held'): print(summary(per[h], f'{h:4} the best of {len(fs)} whole fit{"s"*(len(fs) > 1)}'))

# --- the search: fit_auto_cycle(n, search=k) ------------------------------------------------------------------------
SEARCH, SHARES = HERE/'zoo_search.json', (0.1, 0.2) # screening trials of 10 % and 20 % of the fit each
OFFSETS = (-1., -.5, 0., .5, 1.) # the recorded whole fits: the first test's answer times 10 to these (decades)
FINER = (-.75, -.25, .25, .75) # and between them, a quarter-decade from them

class _Faster:
    "The schedule `f` run `k` times faster, held at its end"
    def __init__(self, f, k): self.f, self.k = f, k
    def __call__(self, pct): return self.f(min(pct * self.k, 1.))

class Squeeze(Callback):
    "A screening trial: the fit's whole one-cycle (its ParamScheduler's schedules) run over its first `n` batches, then the end"
    order = 61 # after ParamScheduler (60)
    def __init__(self, n): self.n = n
    def before_fit(self):
        ps = next(cb for cb in self.learn.cbs if isinstance(cb, ParamScheduler))
        ps.scheds = {p: _Faster(f, self.n_epoch * len(self.dls.train) / self.n) for p, f in ps.scheds.items()}
    def after_batch(self):
        if self.training and self.train_iter >= self.n: raise CancelFitException()

def _search_job(args):
    "What a search could run, for one task and seed: the first test; each candidate screened at each share, and fit whole"
    name, seed = args
    import zoo
    from fastlr_auto.all import LearnerSnapshot, start_suggestion, start_window
    from fastlr_auto.search import valid_loss
    t, learn = zoo.TASKS[name], zoo.make(name, seed)
    out = dict(screen={}, screen_secs={})
    with learn.no_bar(), learn.no_logging():
        if learn.opt is None: learn.create_opt()
        t0 = time.perf_counter()
        sg, crv = start_suggestion(learn, *start_window(learn, t.epochs))
        out['answer'], out['test_secs'] = sg.lr, time.perf_counter() - t0
        out['curve'] = curve_dict(crv) # the side the line tries first
        lrs = [sg.lr * 10**o for o in OFFSETS]
        for share in SHARES:
            t0, n, losses = time.perf_counter(), max(1, int(share * t.epochs * len(learn.dls.train))), []
            for lr in lrs:
                with LearnerSnapshot(learn):
                    learn.fit_one_cycle(t.epochs, lr, cbs=[NoValid(), Squeeze(n)]); losses.append(valid_loss(learn))
            out['screen'][str(share)], out['screen_secs'][str(share)] = losses, time.perf_counter() - t0
        fits = whole_fits(name, learn, sg, crv)
    out['whole'], out['finer'] = [fits[o] for o in OFFSETS], {str(o): fits[o] for o in FINER}
    return name, seed, out

def whole_fits(name, learn, sg, crv):
    "{offset: the fit's validation loss, metric and seconds}: each whole fit at the answer `sg` times 10**offset, as `search_fit` runs a trial"
    import zoo
    from fastlr_auto.all import AutoLR, LearnerSnapshot
    from fastlr_auto.search import fit_from, valid_loss
    out = {}
    for o in sorted(OFFSETS + FINER):
        t0, snap, lr = time.perf_counter(), LearnerSnapshot(learn), float(sg.lr * 10**o)
        fit_from(learn, zoo.TASKS[name].epochs, lr, AutoLR(), [(sg._replace(lr=lr), crv)], cbs=[NoValid()])
        out[o] = dict(valid=valid_loss(learn), metric=zoo.metric(name, learn), secs=time.perf_counter() - t0)
        snap.restore()
    return out

def _refit_job(args):
    "Every whole fit a search may run, at `OFFSETS` and `FINER`, with today's code"
    name, seed = args
    import zoo
    from fastlr_auto.all import start_suggestion, start_window
    learn = zoo.make(name, int(seed))
    with learn.no_bar(), learn.no_logging():
        if learn.opt is None: learn.create_opt()
        sg, crv = start_suggestion(learn, *start_window(learn, zoo.TASKS[name].epochs))
        return name, seed, sg.lr, whole_fits(name, learn, sg, crv)

def cmd_refit(o):
    "Re-run every recorded task-seed's whole fits with today's code (its first test must give the recorded answer), and add `FINER`"
    bank, t0 = load(SEARCH), time.perf_counter()
    todo = [(n, s) for n in names(o) for s in bank.get(n, {})]
    changed = 0
    for n, s, answer, fits in pool_map(_refit_job, todo, o['jobs']):
        r = bank[n][s]
        assert answer == r['answer'], (n, s, answer, r['answer']) # the same first test, to the last bit
        new = [fits[x] for x in OFFSETS]
        changed += any(a['valid'] != b['valid'] for a, b in zip(new, r['whole']))
        r['whole'], r['finer'] = new, {str(x): fits[x] for x in FINER}
    if todo: SEARCH.write_text(json.dumps(bank))
    print(f'{len(todo)} task-seeds re-fit in {(time.perf_counter()-t0)/60:.1f} min; {changed} had fits that changed since they were recorded')

def line_pick(w, k, d=1):
    "What `search_fit` keeps with `search=k`, its second trial on side `d`, replayed on the recorded whole fits `w`: (kept index, indices run)"
    from fastlr_auto.search import _next_step
    losses, place = {}, 0
    while place is not None and len(losses) < k:
        assert abs(place) <= 2, 'past the recorded fits (k > 3)'
        losses[place] = w[place + 2]['valid']
        best = min(losses, key=lambda p: (losses[p], list(losses).index(p)))
        place, d = _next_step(losses, best, d) or (None, d)
    return best + 2, [p + 2 for p in losses]

def screened_pick(r, whole, share=0.2):
    "Screening instead: every candidate squeezed into `share` of the fit, the best `whole` run whole, the lowest loss kept"
    order = [int(i) for i in np.argsort(r['screen'][str(share)], kind='stable')[:whole]]
    return min(order, key=lambda i: (r['whole'][i]['valid'], order.index(i))), order, r['screen_secs'][str(share)]

def first_side(r):
    "The side a search's second trial takes on a recorded task-seed `r`, read from its first test as `search_fit` reads it"
    from fastlr_auto.search import floor_side
    return floor_side(r['curve']['lrs'], r['curve']['losses'], r['answer'])

def search_scores(bank=None, cache=None):
    "{label: {half: {task: [score per seed]}}} and {label: {half: [cost per task-seed, in fit_auto_cycle's]}}"
    from zoo import SPLIT, score
    bank, cache = bank or load(SEARCH), cache or load(CACHE)
    sc, cost = {}, {}
    def add(label, n, s, i, ran, extra=0.):
        r = bank[n][s]
        sc.setdefault(label, {'dev': {}, 'held': {}})[SPLIT[n]].setdefault(n, []).append(score(r['whole'][i]['metric'], cache[n]['oracle']['best']))
        one = r['test_secs'] + r['whole'][2]['secs'] # fit_auto_cycle: the first test and the fit at its answer, same worker
        cost.setdefault(label, {'dev': [], 'held': []})[SPLIT[n]].append((r['test_secs'] + extra + sum(r['whole'][j]['secs'] for j in ran)) / one)
    for n, seeds in bank.items():
        for s, r in seeds.items():
            w = r['whole']
            add('the answer (1 fit)', n, s, 2, [2])
            side = first_side(r)
            for k in (2, 3): add(f'search={k}', n, s, *line_pick(w, k, side))
            for k in (2, 3): add(f'search={k}, up first', n, s, *line_pick(w, k)) # the line before `floor_side`
            for k in (2, 3): # the screening alternative, in the same compute: 5 trials of 20 %, then k - 1 whole fits
                i, order, secs = screened_pick(r, k - 1)
                add(f'screen, then {k-1} whole', n, s, i, order, secs)
            grid = [1, 2, 3] # what a user does by hand: whole fits at the answer / 3, x 1, x 3
            add('best of 3 (valid loss)', n, s, min(grid, key=lambda i: w[i]['valid']), grid)
            add('best of 3 (hindsight)', n, s, max(grid, key=lambda i: w[i]['metric']), grid)
            add('best of 5 (valid loss)', n, s, min(range(5), key=lambda i: w[i]['valid']), range(5))
    return sc, cost

def fits_at(r):
    "A task-seed's recorded whole fits by offset from the answer, in decades: `OFFSETS` and `FINER`"
    return {**dict(zip(OFFSETS, r['whole'])), **{float(o): v for o, v in r['finer'].items()}}

def three_trials(F, side, first, on, back):
    "The offset a 3-trial line keeps: 0, `side` x `first`; then `on` further if that helped, else `back` on the other side"
    tried = [0., side*first]
    tried.append(side*(first + on) if F[tried[1]]['valid'] < F[0.]['valid'] else -side*back)
    return min(tried, key=lambda p: (F[p]['valid'], tried.index(p)))

def line_ceiling(bank=None, cache=None):
    "search=3's line beside every 3-trial line of quarter-decade steps within the recorded decade, the best chosen with hindsight: their scores"
    from zoo import SPLIT, score
    bank, cache = bank or load(SEARCH), cache or load(CACHE)
    steps = [(a, b, c) for a in (.25, .5, .75, 1.) for b in (.25, .5, .75) if a + b <= 1 for c in (.25, .5, .75, 1.)]
    per = {st: {'dev': {}, 'held': {}} for st in steps + ['best of 9 (valid loss)', 'best of 9 (hindsight)']}
    for n, seeds in bank.items():
        for r in seeds.values():
            F, h, best, side = fits_at(r), SPLIT[n], cache[n]['oracle']['best'], first_side(r)
            # the family's (0.5, 0.5, 0.5) is search=3's line: the same pick as the replay of `search_fit`'s own steps
            assert three_trials(F, side, .5, .5, .5) == OFFSETS[line_pick(r['whole'], 3, side)[0]], (n, side)
            add = lambda key, m: per[key][h].setdefault(n, []).append(score(m, best))
            for st in steps: add(st, F[three_trials(F, side, *st)]['metric'])
            add('best of 9 (valid loss)', min(F.values(), key=lambda f: f['valid'])['metric'])
            add('best of 9 (hindsight)', max(f['metric'] for f in F.values()))
    mean = lambda v: np.mean([np.mean(s) for s in v.values()])
    worst = lambda v: min(np.mean(s) for s in v.values())
    for h in ('dev', 'held'):
        print(summary(per[(.5, .5, .5)][h], f'{h:4} search=3 (steps 0.5, then 0.5 on or back)'))
        for what, f in (('mean', mean), ('worst task', worst)):
            st = max(steps, key=lambda s: f(per[s][h]))
            print(summary(per[st][h], f'{h:4} best {what}, hindsight: {st}'))
        for key in ('best of 9 (valid loss)', 'best of 9 (hindsight)'): print(summary(per[key][h], f'{h:4} {key}'))
    print(f"({len(steps)} lines: the first step, then on if it helped or back the other way, in decades; chosen on the half they score)")
    return per

def search_report(bank=None):
    "The searches beside the one-fit answer, the screening alternative and the manual grids, both halves, with their cost"
    sc, cost = search_scores(bank)
    for h in ('dev', 'held'):
        for label, v in sc.items():
            c = cost[label][h] or [math.nan]
            print(summary(v[h], f'{h:4} {label[:22]:22}') + f'  time {np.median(c):.2f}x (worst {max(c):.2f}x)')
        print()
    print("(time: the seconds spent, the first test's included, over fit_auto_cycle's, the first test and one fit at its answer, "
          "timed in the same worker: median over task-seeds (worst); fit_auto_cycle over lr_find + fit_one_cycle is the zoo's ratio)")
    print('\nsearch=3 against every line of three whole fits at quarter-decade steps (the ceiling of a line of 3):')
    line_ceiling(bank)

def cmd_search(o):
    "Record what every search may run (each candidate screened and fit whole), then score the searches from it"
    bank = record_searches(o)
    search_report({n: v for n, v in bank.items() if n in names(o)})

def record_searches(o):
    "Run `_search_job` for the task-seeds `zoo_search.json` lacks; the records"
    cache, bank = load(CACHE), load(SEARCH)
    todo = [(n, s) for n in names(o) for s in range(o['seeds']) if 'oracle' in cache.get(n, {}) and str(s) not in bank.get(n, {})]
    from zoo import TASKS
    todo.sort(key=lambda j: -TASKS[j[0]].epochs)
    t0 = time.perf_counter()
    for n, s, r in pool_map(_search_job, todo, o['jobs']): bank.setdefault(n, {})[str(s)] = r
    if todo: SEARCH.write_text(json.dumps(bank)); print(f'{len(todo)} task-seeds recorded in {SEARCH.name} in {(time.perf_counter()-t0)/60:.1f} min')
    return bank

SEARCH_FT = HERE/'zoo_search_ft.json'
def _search_ft_job(args):
    "fine_tune_auto(epochs - 1, search=k) on a fine-tuning task: its metric and time, k = 1, 2, 3 (the same fine-tuning the zoo runs)"
    name, seed = args
    import zoo, fastlr_auto.all # its patches: Learner.fine_tune_auto
    out = {}
    for k in (1, 2, 3):
        learn, t0 = zoo.make(name, seed), time.perf_counter()
        with learn.no_bar(), learn.no_logging(): learn.fine_tune_auto(zoo.TASKS[name].epochs - 1, search=k, cbs=[NoValid()])
        out[str(k)] = dict(metric=zoo.metric(name, learn), secs=time.perf_counter() - t0)
    return name, seed, out

def cmd_search_ft(o):
    "fine_tune_auto(..., search=k), k = 1, 2, 3, on the zoo's fine-tuning tasks, both halves: scores and time over k = 1's"
    from zoo import TASKS, SPLIT, score
    cache, bank = load(CACHE), load(SEARCH_FT)
    todo = [(n, s) for n in names(o) if TASKS[n].finetune and 'oracle' in cache.get(n, {}) for s in range(o['seeds']) if str(s) not in bank.get(n, {})]
    for n, s, r in pool_map(_search_ft_job, todo, o['jobs']): bank.setdefault(n, {})[str(s)] = r
    if todo: SEARCH_FT.write_text(json.dumps(bank))
    search_ft_report(bank)

def search_ft_report(bank=None):
    "fine_tune_auto's searches, from zoo_search_ft.json: scores per half, time over search=1's"
    from zoo import SPLIT, score
    cache, bank = load(CACHE), bank or load(SEARCH_FT)
    for h in ('dev', 'held'):
        for k in ('1', '2', '3'):
            per = {n: [score(r[k]['metric'], cache[n]['oracle']['best']) for r in v.values()] for n, v in bank.items() if SPLIT[n] == h}
            c = [r[k]['secs'] / r['1']['secs'] for n, v in bank.items() if SPLIT[n] == h for r in v.values()]
            print(summary(per, f'{h:4} fine_tune_auto search={k}') + f'  time {np.median(c):.2f}x fine_tune_auto')
        print()


# --- fine_tune_auto's unfrozen tests (12 steps): why they keep a valley's cap -------------------------------------------
def _unfrozen_job(args):
    "The curves of fine_tune_auto's unfrozen-phase tests on a fine-tuning task (the head alone, the body alone)"
    name, seed = args
    import zoo, fastlr_auto.fine_tune as F
    got, read = [], F.rank0_suggestion
    def keep(crv, ref, rule):
        got.append(curve_dict(crv))
        return read(crv, ref, rule)
    F.rank0_suggestion = keep
    try:
        learn = zoo.make(name, seed)
        with learn.no_bar(), learn.no_logging(): learn.fine_tune_auto(zoo.TASKS[name].epochs - 1, cbs=[NoValid()])
    finally: F.rank0_suggestion = read
    return name, seed, got

def _noise_below_rise(noise, x, y, s, width):
    "The rule's step noise (`noise`, its own estimate) from the part of the curve below twice its running minimum"
    m = np.minimum.accumulate(s); up = np.flatnonzero(s - m > np.abs(m))
    end = max(int(up[0]) if len(up) else len(s), 5)
    return noise(x[:end], y[:end], s[:end], width)

def cmd_unfrozen(o):
    "fine_tune_auto's unfrozen tests read three ways: as it reads them (a valley's cap), by the default rule, by it with the noise measured below the rise"
    import fastlr_auto.suggest as S
    from fastlr_auto.fine_tune import UNFROZEN_RULE
    from zoo import TASKS, SPLIT
    jobs = [(n, s) for n in names(o) if TASKS[n].finetune for s in range(o['seeds'])]
    noise, f = S._noise, lambda sg: f'{sg.lr:8.2e} {sg.reason.split(":")[0][:19]:19}'
    print(f"{'task':17} seed test  {'as read (flat_cap 20)':28} {'the default rule':28} noise below the rise")
    for n, seed, crvs in pool_map(_unfrozen_job, jobs, o['jobs']):
        for which, c in zip(('head', 'body'), crvs):
            a, b = S.suggest_lr(c['lrs'], c['losses'], UNFROZEN_RULE), S.suggest_lr(c['lrs'], c['losses'])
            S._noise = partial(_noise_below_rise, noise)
            try: d = S.suggest_lr(c['lrs'], c['losses'])
            finally: S._noise = noise
            print(f'{n:17} {seed:4} {which:5} {f(a)} {f(b)} {f(d)}  ({SPLIT[n]})')


# --- tasks outside the zoo: the default and the peers on learners the rule was never tuned on ------------------------
def unseen_collab(seed):
    "fastai's collab_learner defaults (50 factors, y_range (0, 5.5), batches of 64) on rounded ratings: 500 users x 400 items, rank 8"
    from fastai.collab import CollabDataLoaders, collab_learner
    from fastai.torch_core import set_seed
    import zoo
    set_seed(seed, reproducible=True)
    df = zoo._ratings(500, 400, 60, 8, math.sqrt(8), seed=1, rounded=True)
    return collab_learner(CollabDataLoaders.from_df(df, bs=64, seed=0, valid_pct=0.2), n_factors=50, y_range=(0, 5.5))


UNSEEN = HERE/'unseen_results.json'
UNSEEN_LRS = tuple(10**(e/2) for e in range(-8, 0)) # the oracle's grid: 1e-4 to 3e-1, half a decade apart

def unseen_multilabel(kind, seed):
    "A multi-label BCE MLP at fastai's defaults (Adam, batches of 64): scikit-learn's generator, or the digits' pixels"
    import sklearn.datasets as ds
    import zoo
    if kind == 'gen': # 8 labels, 3 a sample on average, 20 features: not the zoo's generator settings
        data = zoo.multilabel_pairs(*ds.make_multilabel_classification(3000, 20, n_classes=8, n_labels=3, random_state=5))
        hidden = (200, 100)
    else: data, hidden = zoo._digits(0., True, True), (256, 128) # the zoo's digits labels, read by an MLP, not its CNN
    return zoo._learner(data, 64, lambda: zoo._mlp(data[0].x.shape[1], data[0].y.shape[1], hidden), zoo.BCE, 'adam', seed)

UNSEEN_TASKS = dict(collab=(unseen_collab, 'mse'), multilabel_gen=(partial(unseen_multilabel, 'gen'), 'multi'),
                    multilabel_digits_mlp=(partial(unseen_multilabel, 'digits'), 'multi'))

def _unseen_job(args):
    "One 5-epoch fit of an unseen task: its metric (mse, or accuracy_multi), wall time and first lr"
    name, method, seed, lr = args
    from fastai.basics import noop
    from fastai.callback.schedule import minimum, valley
    import fastlr_auto.all # its patches
    make, kind = UNSEEN_TASKS[name]
    learn, cbs, t0 = make(seed), [NoValid()], time.perf_counter()
    with learn.no_bar(), learn.no_logging():
        if method == 'grid': learn.fit_one_cycle(5, lr, cbs=cbs)
        elif method == 'default': learn.fit_one_cycle(5, cbs=cbs)
        elif method in ('valley', 'min/10'):
            f = learn.lr_find(suggest_funcs=(valley, minimum), show_plot=False)
            lr = f.valley if method == 'valley' else f.minimum/10
            learn.fit_one_cycle(5, lr, cbs=cbs)
        elif method == 'auto': learn.fit_auto_cycle(5, cbs=cbs)
        elif method == 'auto, flat_cap 20': # a flat curve's rise capped as a valley's, the rule before flat_cap
            import fastlr_auto.suggest as S
            default = S.ifnone_rule
            S.ifnone_rule = lambda rule: default(rule) if rule is not None else S.Rule(flat_cap=20.)
            try: learn.fit_auto_cycle(5, cbs=cbs)
            finally: S.ifnone_rule = default
        elif method == 'search=2': learn.fit_auto_cycle(5, search=2, cbs=cbs)
        elif method == 'fine_tune_auto': learn.fine_tune_auto(4, cbs=cbs)
        out, targ = learn.get_preds(act=noop)
    if hasattr(learn, 'auto_lr'): lr = float(learn.auto_lr.history.suggested.iloc[0]) # where it started
    m = float(((out.view(-1) - targ.view(-1))**2).mean()) if kind == 'mse' else float(((out > 0).float() == targ).float().mean())
    return name, method, seed, lr, m, time.perf_counter() - t0

def cmd_unseen(o):
    "Tasks outside the zoo: fit_auto_cycle and the peers (lr_find's valley and minimum/10, fastai's default lr), beside an lr grid"
    ns = [n for n in UNSEEN_TASKS if not o['tasks'] or n in o['tasks'].split(',')]
    methods = ('auto', 'auto, flat_cap 20', 'search=2', 'fine_tune_auto', 'valley', 'min/10', 'default')
    jobs = [(n, m, s, None) for n in ns for s in range(o['seeds']) for m in methods]
    jobs += [(n, 'grid', s, lr) for n in ns for s in range(o['seeds']) for lr in UNSEEN_LRS]
    got = load(UNSEEN)
    for n, m, s, lr, v, secs in pool_map(_unseen_job, jobs, o['jobs']):
        got.setdefault(n, {}).setdefault(m if m != 'grid' else f'grid {lr:.3g}', {})[str(s)] = dict(metric=v, secs=secs, lr=lr)
    UNSEEN.write_text(json.dumps(got, indent=0))
    unseen_report(got)

def unseen_scores(got=None):
    "{method: {task: [score per seed]}} from unseen_results.json: the metric over the grid's best mean (mse: best over it)"
    got, sc = got or load(UNSEEN), {}
    for n, runs in got.items():
        lower = UNSEEN_TASKS[n][1] == 'mse'
        mean = {m: np.mean([r['metric'] for r in v.values()]) for m, v in runs.items() if m.startswith('grid')}
        best = min(mean.values()) if lower else max(mean.values())
        for m, v in runs.items():
            if not m.startswith('grid'): sc.setdefault(m, {})[n] = [best/r['metric'] if lower else r['metric']/best for r in v.values()]
    return sc

def unseen_report(got=None):
    "Each method's scores on the unseen tasks (mean, worst task, worst seed; time over lr_find + fit_one_cycle), and the grid"
    got = got or load(UNSEEN)
    for m, rows in unseen_scores(got).items():
        t = [r['secs'] for n in rows for r in got[n][m].values()]
        base = [r['secs'] for n in rows for r in got[n]['valley'].values()]
        print(summary(rows, f'{m:18}') + f'  time {np.sum(t)/np.sum(base):.2f}x lr_find + fit_one_cycle')
        print('    ' + '  '.join(f"{n} {' '.join(f'{v:.3f}' for v in r)}" for n, r in rows.items()))
        if m in ('auto', 'valley'):
            firsts = {n: ' '.join(f"{r['lr']:.2g}" for r in got[n][m].values()) for n in rows}
            print('    first lr: ' + '  '.join(f'{n} {v}' for n, v in firsts.items()))
    for n, runs in got.items():
        print(f'{n:22} grid: ' + '  '.join(f"{m[5:]} {np.mean([r['metric'] for r in v.values()]):.4f}" for m, v in runs.items() if m.startswith('grid')))
    print("(score: the metric over the best mean of fit_one_cycle(5, lr) on a half-decade grid, 1e-4 to 3e-1, the same seeds; "
          "for the collab task's mse, the best over it)")


# --- the project over the zoo --------------------------------------------------------------------------------------
def _zoo_job(args):
    name, seed, controller, lr = args
    from zoo import TASKS
    t, res = TASKS[name], {}
    for m in ('auto', 'fastai', 'fastai', 'auto'): # interleaved, twice: the time ratio is side by side
        r = fit(name, m, seed, controller=controller)
        if m in res: res[m]['secs'] += r['secs'] # the score is the first run's, the time both runs'
        else: res[m] = r
    if controller: return name, seed, res # a variant of AutoLR's settings: fit_auto_cycle and its time ratio only
    if seed == 0: # the drop-in callback's cost over the same fit without it ('grid' at the oracle's lr `lr`), once a task:
        while (sum(res.get('plain', [])) < 3 or len(res.get('plain', [])) < 4) and len(res.get('plain', [])) < 20: # interleaved, repeated: 4 plain fits and 3 s at least
            for m in ('grid', 'autolr', 'autolr', 'grid'): res.setdefault('plain' if m == 'grid' else m, []).append(fit(name, m, seed, lr)['secs'])
    if t.finetune:
        for m in (('fine_tune_auto', 'fastai_ft') if seed % 2 == 0 else ('fastai_ft', 'fine_tune_auto')): res[m] = fit(name, m, seed)
    return name, seed, res

def variant(o):
    "`--controller=budget:0.1,damping:1` as AutoLR's keyword arguments, and the results file of that variant"
    kw = {k: float(v) for k, _, v in (a.partition(':') for a in o['controller'].split(',') if a)}
    return kw, RESULTS.with_name(f"zoo_results_{'_'.join(f'{k}{v:g}' for k, v in kw.items())}.json") if kw else RESULTS

def cmd_zoo(o):
    from zoo import TASKS
    cache, (kw, out) = load(CACHE), variant(o)
    ns = [n for n in names(o) if 'oracle' in cache.get(n, {})]
    t0 = time.perf_counter()
    jobs = sorted([(n, s, kw, 10**cache[n]['oracle']['best_log_lr']) for n in ns for s in range(o['seeds'])], key=lambda j: -TASKS[j[0]].epochs)
    runs = {}
    for name, seed, res in pool_map(_zoo_job, jobs, o['jobs']): runs.setdefault(name, {})[str(seed)] = res
    minutes = (time.perf_counter() - t0)/60
    if o['tasks'] or o['half'] != 'all': # some tasks again: the others' runs kept, and the whole zoo's time
        old = load(out); runs, minutes = {**old.get('runs', {}), **runs}, old.get('minutes', minutes)
    out.write_text(json.dumps(dict(runs=runs, minutes=minutes, controller=kw), indent=0))
    if not kw: record_searches(o) # the searches' trials, for the task-seeds not yet recorded
    report(o)

def scores(results=None, cache=None):
    "From the zoo's runs and the cached peers: {method: {half: {task: [score per seed]}}}, the time ratios per task"
    from zoo import TASKS, SPLIT, score
    results, cache = results or load(RESULTS), cache or load(CACHE)
    sc = {m: {'dev': {}, 'held': {}} for m in ('auto',) + PEERS + ('fine_tune_auto', 'fine_tune')}
    cost, drop = {}, {}
    for n, runs in results['runs'].items():
        best, h, peers = cache[n]['oracle']['best'], SPLIT[n], cache[n]['peers']
        seeds = sorted(runs)
        sc['auto'][h][n] = [score(runs[s]['auto']['metric'], best) for s in seeds]
        for m in PEERS: sc[m][h][n] = [score(peers[s][m]['metric'], best) for s in seeds]
        if TASKS[n].finetune and 'fine_tune_auto' in runs[seeds[0]]:
            sc['fine_tune_auto'][h][n] = [score(runs[s]['fine_tune_auto']['metric'], best) for s in seeds]
            sc['fine_tune'][h][n] = [score(peers[s]['fine_tune']['metric'], best) for s in seeds]
        cost[n] = sum(runs[s]['auto']['secs'] for s in seeds) / sum(runs[s]['fastai']['secs'] for s in seeds)
        if 'plain' in runs['0']: drop[n] = sum(runs['0']['autolr'])/sum(runs['0']['plain'])
    return sc, cost, drop

def paired(sc, ours, peers):
    "Our mean minus each peer's, seed by seed (the same tasks, seeds and data orders), and the spread of that difference"
    lines = []
    for h in ('dev', 'held'):
        seeds = range(len(next(iter(sc[ours][h].values()))))
        for m in peers:
            d = [np.mean([sc[ours][h][n][i] - sc[m][h][n][i] for n in sc[ours][h]]) for i in seeds]
            lines.append(f"{h:4} {ours} minus {m:8} per seed {' '.join(f'{v:+.3f}' for v in d)}  mean {np.mean(d):+.3f}, std {np.std(d):.3f}")
    return '\n'.join(lines) + '\n(a lead is outside the noise when it exceeds the spread of the difference, seed by seed)\n'

def report(o=None):
    "The zoo's last run (`zoo_results.json`, or a `--controller` variant's) beside the cached peers: per task, per half, fine-tuning, cost"
    kw, f = variant(o or opts())
    if kw: print(f'fit_auto_cycle with AutoLR({", ".join(f"{k}={v:g}" for k, v in kw.items())}), from {f.name}')
    results = load(f)
    sc, cost, drop = scores(results)
    methods = ('auto',) + PEERS
    print(f"{'task':18} {'half':4} " + ' '.join(f'{m:>13}' for m in methods) + f" {'time':>6}")
    for h in ('dev', 'held'):
        for n in sorted(sc['auto'][h]):
            print(f"{n:18} {h:4} " + ' '.join(f'{np.mean(sc[m][h][n]):6.3f}±{np.std(sc[m][h][n]):.3f}' for m in methods) + f' {cost[n]:6.2f}')
    print("(metric over the oracle's, mean ± std over seeds; time: fit_auto_cycle over lr_find + fit_one_cycle, each run twice a seed, interleaved)\n")
    for h in ('dev', 'held'):
        for m in methods: print(summary(sc[m][h], f'{h:4} {m}'))
        print()
    print(paired(sc, 'auto', PEERS))
    for h in ('dev', 'held'):
        for m in ('fine_tune_auto', 'fine_tune'): print(summary(sc[m][h], f'{h:4} {m}'))
    mean = lambda m, h: np.mean([np.mean(v) for v in sc[m][h].values()])
    print(f"\nfit_auto_cycle: development-half mean minus held-out mean {mean('auto', 'dev') - mean('auto', 'held'):+.3f}")
    c = np.array(list(cost.values()))
    print(f'cost: fit_auto_cycle / (lr_find + fit_one_cycle): median {np.median(c):.2f}, worst {c.max():.2f} ({max(cost, key=cost.get)})')
    if drop:
        d = np.array(list(drop.values()))
        print(f'cost: a fit with AutoLR() / the same fit without (seed 0, interleaved, 4 times and 3 s at least): median {np.median(d):.3f}, worst {d.max():.3f} ({max(drop, key=drop.get)})')
    print(f"({results.get('minutes', float('nan')):.1f} min for the zoo's runs, every one in {f.name})")
    if not kw and SEARCH.exists():
        print(f'\nfit_auto_cycle(n, search=k), from the trials recorded in {SEARCH.name} (python bench/run.py search):')
        search_report()
    if not kw and SEARCH_FT.exists():
        print(f'fine_tune_auto(epochs, search=k), from {SEARCH_FT.name} (python bench/run.py search_ft):')
        search_ft_report()
    if not kw and CURVES.exists(): # the first test's confidence against its error, on the recorded curves
        from fastlr_auto.suggest import suggest_lr
        calibration({n: {s: [suggest_lr(c['lrs'], c['losses']) for c in v] for s, v in seeds.items()}
                     for n, seeds in load(CURVES).items() if n in results['runs']}, load(CACHE))

# --- the arguments --------------------------------------------------------------------------------------------------
def own_args():
    "The five entry points' own arguments: not self, **kwargs, the curve given to the rule, nor fit_one_cycle's"
    import inspect
    from fastai.basics import Learner
    from fastlr_auto.all import AutoLR, suggest_lr
    import fastlr_auto.learner
    shared = set(inspect.signature(Learner.fit_one_cycle).parameters)
    fns = dict(range_test=Learner.range_test, suggest_lr=suggest_lr, AutoLR=AutoLR.__init__,
               fit_auto_cycle=Learner.fit_auto_cycle, fine_tune_auto=Learner.fine_tune_auto)
    out = {}
    for k, f in fns.items():
        ps = inspect.signature(f).parameters.values()
        out[k] = [p.name for p in ps if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in shared | {'self', 'lrs', 'losses'}]
    return out

def cmd_args(o):
    a = own_args()
    for k, v in a.items(): print(f'{k:15} {len(v):2}  {", ".join(v)}')
    print(f"{'in all':15} {sum(map(len, a.values())):2}")

if __name__ == '__main__':
    cmds = dict(oracle=cmd_oracle, curves=cmd_curves, choose=cmd_choose, zoo=cmd_zoo, report=report, args=cmd_args,
                divisor=cmd_divisor, finetune=cmd_finetune, trials=cmd_trials, short=cmd_short,
                dropin=cmd_dropin, search=cmd_search, refit=cmd_refit, mlp=cmd_mlp, search_ft=cmd_search_ft,
                constants=cmd_constants, unseen=cmd_unseen, unfrozen=cmd_unfrozen)
    if len(sys.argv) < 2 or sys.argv[1] not in cmds: sys.exit(__doc__)
    cmds[sys.argv[1]](opts())
