"""Could a range test stop as soon as its answer is settled, before the loss reaches `stop_div` (4x) its minimum?

On every curve of the bank (bench/curves.json; the epoch-0 curves from lr 1e-5, as `fit_auto_cycle`'s first test
sweeps them, the later ones whole), the rule (`suggest_lr`) is asked on each prefix of the curve as a test that
stopped there would have recorded it.
- hindsight: the shortest prefix from which every longer prefix answers within `tol` decades of the whole curve's
  answer: the most any stopping rule could save without changing the answer (it knows the future);
- settle rules a test could run: every `every` steps from step 15, stop when the last `need` answers are a rise
  (not "no rise") with confidence >= `conf` and lie within `tol` decades of each other. The share of steps
  they save, and how far their answer lands from the whole curve's (median, 90th percentile, worst, decades).

    python bench/settle.py      # a few seconds
"""
import json, math
from pathlib import Path
import numpy as np
from fastlr_auto.suggest import suggest_lr

CURVES = json.loads((Path(__file__).parent/'curves.json').read_text())

def curves():
    for c in CURVES:
        lrs, losses = np.array(c['lrs']), np.array(c['losses'])
        k = lrs >= 1e-5*0.999 if c['epoch'] == 0 else slice(None)
        yield c, lrs[k], losses[k]

def answer(lrs, losses, n):
    try: return suggest_lr(lrs[:n], losses[:n])
    except ValueError: return None # too few finite losses yet

def hindsight(lrs, losses, tol):
    "Share of steps saved by stopping at the shortest prefix whose answer, and every longer prefix's, is within `tol` of the whole curve's"
    full, n_ok = math.log10(suggest_lr(lrs, losses).lr), len(losses)
    for n in range(len(losses), 4, -1):
        sg = answer(lrs, losses, n)
        if sg is None or abs(math.log10(sg.lr) - full) > tol: break
        n_ok = n
    return 1 - n_ok/len(losses)

def settle(lrs, losses, every, conf, tol, need, first=15):
    "Where a test running the settle rule stops, and the answer it gives there"
    seen = []
    for n in range(first, len(losses)+1, every):
        sg = answer(lrs, losses, n)
        ok = sg is not None and sg.confidence >= conf and not sg.reason.startswith('no rise')
        seen.append(math.log10(sg.lr) if ok else None)
        last = seen[-need:]
        if len(last) == need and None not in last and max(last) - min(last) <= tol: return n, sg
    return len(losses), suggest_lr(lrs, losses)

if __name__ == '__main__':
    cs = list(curves())
    print(f"{len(cs)} curves ({sum(c['epoch'] == 0 for c, *_ in cs)} at epoch 0), median length {np.median([len(l) for *_, l in cs]):.0f} steps (each stopped at 4x its minimum or at lr 10)")
    for tol in (0.05, 0.1):
        h = [hindsight(lrs, l, tol) for _, lrs, l in cs]
        print(f"hindsight, answer within {tol} decades: steps saved mean {np.mean(h):.1%}, median {np.median(h):.1%}, most {max(h):.0%}")
    print(f"\n{'every':>5} {'conf':>5} {'tol':>5} {'need':>4}   {'saved':>6}   answer moved vs whole curve: {'median':>6} {'p90':>5} {'worst':>5}")
    for every in (3, 5):
        for conf in (0.5, 0.8):
            for tol in (0.05, 0.1):
                for need in (2, 3):
                    saved, moved = [], []
                    for _, lrs, l in cs:
                        n, sg = settle(lrs, l, every, conf, tol, need)
                        saved.append(1 - n/len(l)); moved.append(abs(math.log10(sg.lr / suggest_lr(lrs, l).lr)))
                    print(f"{every:>5} {conf:>5} {tol:>5} {need:>4}   {np.mean(saved):>6.1%}   {'':28} {np.median(moved):>6.2f} {np.quantile(moved, .9):>5.2f} {max(moved):>5.2f}")
