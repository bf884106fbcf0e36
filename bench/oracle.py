"""The oracle: the best `lr_max` for `fit_one_cycle` on each task of `tasks.py`, over a log grid.

13 values from 1e-4 to 1 (a third of a decade apart) x 3 seeds, each trained for the task's epoch budget.
Per task it stores the final validation loss and accuracy of every run, and two oracles: `oracle_lr`, the
minimum of a parabola through the best mean validation loss and its two grid neighbours (in log10 lr), and
`best_acc_lr`/`best_acc`, the grid value with the best mean metric (accuracy; the MSE, lowest, for a task whose
`lower` is set). Writes bench/oracle.json.

    python bench/oracle.py diabetes_mlp cancer_noisy wine_noisy   # only these tasks (the others are kept)

    python bench/oracle.py            # about 10 minutes on two CPU cores
"""
import json, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from tasks import TASKS, quiet

GRID = [float(f'{v:.4g}') for v in 10**np.arange(-4, 0.001, 1/3)]
SEEDS = (0, 1, 2)

def parabola_min(x, y):
    "Argmin of the parabola through the best point of `y` and its neighbours (the grid edge if it is there)"
    i = int(np.argmin(y))
    if i == 0 or i == len(y)-1: return x[i]
    a, b, _ = np.polyfit(x[i-1:i+2], y[i-1:i+2], 2)
    return float(np.clip(-b/(2*a), x[i-1], x[i+1])) if a > 0 else x[i]

def run_task(name, t):
    loss, acc = np.zeros((len(SEEDS), len(GRID))), np.zeros((len(SEEDS), len(GRID)))
    for si, seed in enumerate(SEEDS):
        for gi, lr in enumerate(GRID):
            learn = t['make'](seed)
            with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(t['epochs'], lr)
            vl, va = learn.recorder.values[-1][1:3]
            loss[si, gi], acc[si, gi] = (vl if np.isfinite(vl) else 1e9), (va if np.isfinite(va) else (1e9 if t.get('lower') else 0.))
    x = np.log10(GRID)
    ml, ma = loss.mean(0), acc.mean(0)
    return dict(epochs=t['epochs'], grid=GRID, seeds=list(SEEDS), valid_loss=loss.round(5).tolist(), accuracy=acc.round(5).tolist(),
                oracle_lr=float(10**parabola_min(x, ml)), best_acc_lr=GRID[int(np.argmin(ma) if t.get('lower') else np.argmax(ma))], best_acc=float(ma.min() if t.get('lower') else ma.max()))

if __name__ == '__main__':
    quiet()
    out = Path(__file__).parent/'oracle.json'
    res = json.loads(out.read_text()) if out.exists() else {}
    for name in (sys.argv[1:] or TASKS):
        t0 = time.perf_counter()
        res[name] = run_task(name, TASKS[name])
        r = res[name]
        print(f"{name:16} oracle_lr {r['oracle_lr']:.3g}  best-accuracy lr {r['best_acc_lr']:.3g} (acc {r['best_acc']:.4f})  {time.perf_counter()-t0:.0f}s", flush=True)
        out.write_text(json.dumps(res, indent=1))
