"`fit_auto_cycle` under `learn.distrib_ctx()` in 2 CPU processes (torchrun, gloo): both ranks must end identical."
import os, socket, subprocess, sys
from pathlib import Path
import pandas as pd, torch

def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def launch(out, *args, nproc=2):
    "Run tests/ddp_run.py in `nproc` processes; the ranks' results"
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(nproc), '--master_addr', '127.0.0.1',
           '--master_port', str(_free_port()), str(Path(__file__).parent/'ddp_run.py'), '--out', str(out), *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, 'MPLBACKEND': 'Agg', 'OMP_NUM_THREADS': '1'})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    return r, [torch.load(Path(out)/f'rank{i}.pt', weights_only=True) for i in range(nproc)]

def test_two_ranks_end_identical(tmp_path):
    r, (a, b) = launch(tmp_path, '--epochs', '3', '--budget', '0.2') # 3 x 45 steps a rank: 5 % would allow no test between epochs
    assert a['world'] == b['world'] == 2 and a['backend'] == 'gloo'       # really one process group, not two lone fits
    h = pd.DataFrame(a['history'])
    assert (h.epoch == 0).sum() == 1 and (h.epoch > 0).sum() >= 1, h     # the start test and at least one between epochs
    pd.testing.assert_frame_equal(h, pd.DataFrame(b['history']))                        # one curve, one decision: same history
    assert a['weights'].keys() == b['weights'].keys()
    for k in a['weights']: assert torch.equal(a['weights'][k], b['weights'][k]), k
    assert r.stdout.count('train_loss') == 1                              # only rank 0 prints the table

def test_search_one_decision(tmp_path):
    "A search under distrib_ctx: every rank runs the same trials, judged by the validation loss averaged over the ranks"
    r, (a, b) = launch(tmp_path, '--epochs', '2', '--search', '2')
    h = pd.DataFrame(a['history'])
    t = h[h.trial.notna()]
    assert a['side'] == b['side'] and a['side'] in (1, -1)               # the side of the first test's lowest loss
    assert list(t.trial) == [0, a['side']] and t.won.sum() == 1, t        # the answer, half a decade toward it; one kept
    pd.testing.assert_frame_equal(h.drop(columns='secs'), pd.DataFrame(b['history']).drop(columns='secs')) # same trials, losses, decision
    for k in a['weights']: assert torch.equal(a['weights'][k], b['weights'][k]), k
