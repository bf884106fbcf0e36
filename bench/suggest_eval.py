"""Suggestion rules on the curve bank, against the oracle.

For each rule: median and worst |log10(suggested / oracle_lr)| over the bank's epoch-0 curves (4 tasks x 3
seeds, and the 3 noisy tasks x 5 seeds), the spread of its answers across seeds (max/min per task: the median over tasks and the worst), and,
for information, the median error on the curves after 1-3 epochs. fastai's rules and the steepest-gradient
rule of Lightning and torch-lr-finder get what their own finders give them: the bias-corrected EMA
(beta 0.98) of the losses, with fastai's lr_find slicing [num_it//10:-5] and Lightning's skipping 10 at the
start and 1 at the end. `auto_suggest` is shown both on that same fastai input and on the raw losses.

    python bench/suggest_eval.py           # the comparison
    python bench/suggest_eval.py --sweep   # also the smoothing method/width and `before` measurements
    python bench/suggest_eval.py --readings  # which reading of "a point before the rise" tracks the oracle, per task

The table ends with `suggest_lr`'s confidence against its error: the median and worst error of the curves in
each confidence bin (all curves of the bank, epoch 0 and later), and the speed of the rule.
"""
import json, math, sys, time
from pathlib import Path
import numpy as np, torch
from fastai.callback.schedule import valley, slide, steep, minimum
from fastlr_auto.suggest import suggest_lr, auto_suggest

here = Path(__file__).parent
CURVES, ORACLE = json.loads((here/'curves.json').read_text()), json.loads((here/'oracle.json').read_text())
ORACLE = {k: v for k, v in ORACLE.items() if any(c['task'] == k for c in CURVES)} # tasks with recorded curves

def fastai_input(c):
    "What fastai's lr_find hands its suggestion functions: smoothed losses, sliced, cut at NaN"
    n = c['num_it']
    lrs, losses = torch.tensor(c['lrs'][n//10:-5]), torch.tensor(c['smoothed'][n//10:-5])
    nan = torch.nonzero(torch.isnan(losses)).flatten()
    if len(nan): lrs, losses = lrs[:nan[0]], losses[:nan[0]]
    return lrs, losses, n

def fastai_rule(f): return lambda c: float(f(*fastai_input(c))[0])

def steepest_gradient(c):
    "Lightning / torch-lr-finder: the lr of the most negative np.gradient of the smoothed losses"
    lrs, losses = np.array(c['lrs'][10:-1]), np.array(c['smoothed'][10:-1])
    ok = np.isfinite(losses)
    return float(lrs[ok][np.gradient(losses[ok]).argmin()])

RULES = {
    'auto_suggest (raw losses)':    lambda c: suggest_lr(c['lrs'], c['losses']).lr,
    'auto_suggest (lr_find input)': fastai_rule(auto_suggest),
    'valley':  fastai_rule(valley),
    'slide':   fastai_rule(slide),
    'steep':   fastai_rule(steep),
    'minimum': fastai_rule(minimum),
    'steepest gradient (Lightning)': steepest_gradient,
}

def err(c, lr): return abs(math.log10(lr / ORACLE[c['task']]['oracle_lr']))

def evaluate(rule):
    e0 = [err(c, rule(c)) for c in CURVES if c['epoch'] == 0]
    later = [err(c, rule(c)) for c in CURVES if c['epoch'] > 0]
    spreads = []
    for task in ORACLE:
        a = [rule(c) for c in CURVES if c['epoch'] == 0 and c['task'] == task]
        spreads.append(max(a)/min(a))
    return np.median(e0), max(e0), np.median(spreads), max(spreads), np.median(later)

if __name__ == '__main__':
    print(f"{len([c for c in CURVES if c['epoch']==0])} epoch-0 curves, {len(CURVES)} in all; oracle lr_max: " +
          ', '.join(f"{k} {v['oracle_lr']:.3g}" for k,v in ORACLE.items()))
    print(f"\n{'rule':32} {'median err':>10} {'worst err':>9} {'seed spread':>11} {'worst spread':>12} {'err ep1-3':>9}")
    for nm, rule in RULES.items():
        m, w, s, ws, l = evaluate(rule)
        print(f"{nm:32} {m:>10.2f} {w:>9.2f} {s:>11.2f} {ws:>12.2f} {l:>9.2f}")
    print('\nerrors are |log10(suggested/oracle)| in decades; spread is max/min of the 3 seeds\' answers')
    print('\nper task, epoch 0 (suggested lr by seed; oracle):')
    for task in ORACLE:
        cs = [c for c in CURVES if c['epoch'] == 0 and c['task'] == task]
        print(f"  {task:16} oracle {ORACLE[task]['oracle_lr']:.3g}  auto " + ' '.join(f"{suggest_lr(c['lrs'], c['losses']).lr:.3g}" for c in cs) +
              "  valley " + ' '.join(f"{fastai_rule(valley)(c):.3g}" for c in cs))
    print('\nconfidence against error (suggest_lr on raw losses, every curve of the bank; error in decades):')
    print(f"  {'confidence':>12} {'curves':>6} {'median err':>10} {'worst err':>9}   (epoch 0 only: curves, median, worst)")
    conf = [(suggest_lr(c['lrs'], c['losses']).confidence, err(c, suggest_lr(c['lrs'], c['losses']).lr), c['epoch']) for c in CURVES]
    for lo, hi in ((0, .1), (.1, .3), (.3, .5), (.5, .8), (.8, 1.01)):
        b = [e for cf, e, _ in conf if lo <= cf < hi]; b0 = [e for cf, e, ep in conf if lo <= cf < hi and ep == 0]
        f = lambda v: f"{len(v):>6} {np.median(v) if v else float('nan'):>10.2f} {max(v) if v else float('nan'):>9.2f}"
        print(f"  {f'[{lo:.1f}, {min(hi, 1):.1f}' + (']' if hi > 1 else ')'):>12} {f(b)}   {f(b0)}")
    t0 = time.perf_counter()
    for c in CURVES: suggest_lr(c['lrs'], c['losses'])
    print(f"\nspeed: {1e3*(time.perf_counter()-t0)/len(CURVES):.2f} ms per curve (suggest_lr on raw losses, mean over the bank)")
    if '--readings' in sys.argv:
        print('\nreadings of "a point before the rise" (median |error| per task at epoch 0, then median and worst over all epoch-0 curves):')
        tasks = list(ORACLE)
        print(f"  {'reading':36} " + ' '.join(f'{t[:12]:>12}' for t in tasks) + f" {'median':>7} {'worst':>6} {'ep1-3':>6}")
        readings = {'onset - 0.25 (not left of the minimum)': dict()}
        for fd in (1., 0.95, 0.9, 0.8, 0.7): readings[f'and fall {fd:.0%} complete'] = dict(fall_done=fd)
        for b in (0.5, 0.75, 1.0): readings[f'onset - {b}'] = dict(before=b, noise_shift=0)
        for cap in (2, 3, 4, 6, 10, 30): readings[f'onset of a rise capped at {cap}x min'] = dict(rise_cap=cap)
        for sh in (1, 2, 3, 4): readings[f'valley point - {sh} x noise/fall'] = dict(noise_shift=sh)
        for cap in (4, 6, 10):
            for sh in (1, 2, 3): readings[f'rise capped {cap}x, - {sh} x noise/fall'] = dict(rise_cap=cap, noise_shift=sh)
        for nm, kw in readings.items():
            e = {t: [err(c, suggest_lr(c['lrs'], c['losses'], **kw).lr) for c in CURVES if c['task'] == t and c['epoch'] == 0] for t in tasks}
            allv = sum(e.values(), []); later = [err(c, suggest_lr(c['lrs'], c['losses'], **kw).lr) for c in CURVES if c['epoch'] > 0]
            print(f"  {nm:36} " + ' '.join(f'{np.median(e[t]):>12.2f}' for t in tasks) + f" {np.median(allv):>7.2f} {max(allv):>6.2f} {np.median(later):>6.2f}", flush=True)
    if '--sweep' in sys.argv:
        print(f"\nmeasurements behind the defaults (median / worst epoch-0 error, median seed spread, median error ep1-3):")
        for method, mode in (('gaussian', 'reflect'), ('gaussian', 'nearest'), ('savgol', 'interp')):
            for width in (0.1, 0.2, 0.3, 0.5):
                for frac in (0.05, 0.1, 0.2):
                    row = []
                    for before in (0., 0.25, 0.5):
                        m, w, s, _, l = evaluate(lambda c: suggest_lr(c['lrs'], c['losses'], width=width, method=method, mode=mode,
                                                                      onset_frac=frac, before=before).lr)
                        row.append(f"before={before}: {m:.2f}/{w:.2f}/{s:.2f}/{l:.2f}")
                    print(f"  {method:8} {mode:8} width={width:<4} onset_frac={frac:<5} " + '  '.join(row), flush=True)
