"""Time per epoch of a 2-process CPU distributed fit (torchrun, gloo) with and without the AutoLR controller.

    python bench/ddp_overhead.py [--epochs 4] [--bs 4] [--reps 2]

Runs tests/ddp_run.py alternately with the controller (`fit_auto_cycle` from lr_max=1e-2, so both runs share the
schedule and only the between-epoch tests differ) and without it (`fit_one_cycle(lr_max=1e-2)`), and prints rank 0's
median epoch time (between-epoch tests included) and the ratio."""
import argparse, statistics, sys, tempfile, time
from pathlib import Path
import pandas as pd
sys.path.insert(0, str(Path(__file__).parents[1]/'tests'))
from test_distributed import launch

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--epochs', type=int, default=4)
    p.add_argument('--bs', type=int, default=4, help='per-rank batch size (4: about 180 batches per rank and epoch)')
    p.add_argument('--reps', type=int, default=2)
    a = p.parse_args()
    res = {'auto': [], 'plain': []}
    for _ in range(a.reps):
        for kind, extra in (('auto', []), ('plain', ['--no-auto'])):
            with tempfile.TemporaryDirectory() as d:
                t0 = time.perf_counter()
                _, (r0, _r1) = launch(d, '--epochs', str(a.epochs), '--lr', '1e-2', '--bs', str(a.bs), *extra)
                res[kind].append((statistics.median(r0['secs']), time.perf_counter() - t0, r0))
    auto, plain = (statistics.median(s for s,_,_ in res[k]) for k in ('auto', 'plain'))
    wall_a, wall_p = (statistics.median(w for _,w,_ in res[k]) for k in ('auto', 'plain'))
    h = pd.DataFrame(res['auto'][0][2]['history'])
    print(f"2 CPU processes (gloo), digits CNN, {a.epochs} epochs, per-rank bs {a.bs}, {a.reps} runs each")
    print(f"tests per fit: {len(h)}, steps per test: {list(h.num_it)}")
    print(f"{'':24}{'with AutoLR':>12}{'plain':>10}{'ratio':>8}")
    print(f"{'median epoch s':24}{auto:12.3f}{plain:10.3f}{auto/plain:8.3f}")
    print(f"{'whole run s (launch incl.)':24}{wall_a:12.1f}{wall_p:10.1f}{wall_a/wall_p:8.3f}")

if __name__ == '__main__': main()
