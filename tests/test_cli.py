"The `fastlr-auto` command, run as a user would run it: in a fresh process."
import subprocess, sys, os
from pathlib import Path

def run(*args, cwd=None):
    exe = Path(sys.executable).parent/'fastlr-auto'
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=600,
                          env={**os.environ, 'MPLBACKEND': 'Agg'})

def test_help_lists_every_option():
    r = run('demo', '--help')
    assert r.returncode == 0
    for opt in ('--epochs', '--seed', '--seeds', '--out'): assert opt in r.stdout

def test_demo_trains_and_writes_its_files(tmp_path):
    r = run('demo', '--epochs', '1', '--out', str(tmp_path/'out'))
    assert r.returncode == 0, r.stderr
    assert 'lr_max' in r.stdout and 'lr_find + fit_one_cycle' in r.stdout
    assert (tmp_path/'out'/'auto_lr.png').read_bytes()[:4] == b'\x89PNG'
    assert (tmp_path/'out'/'history.csv').read_text().startswith('fit,epoch,lr_before,suggested,confidence')
    # stdout is a pipe here: whole lines (the epoch tables, the decisions), no carriage-return bar frames
    assert '\r' not in r.stdout and '|' not in r.stdout, r.stdout[:2000]
    lines = r.stdout.splitlines()
    head = [l for l in lines if l.split()[:2] == ['epoch', 'train_loss']]
    assert len(head) == 2 and 'lr_max' in head[0].split(), lines # fit_auto_cycle's table with the lr_max column, then fastai's
    rows = lines[lines.index(head[0])+1].split()
    assert rows[0] == '0' and len(rows) == len(head[0].split()), lines # one whole row per epoch under its header
    assert any(l.startswith('lr_find valley: ') for l in lines), lines # not glued to lr_find's last bar frame
    i = lines.index('decisions (learn.auto_lr.history):')
    table = lines[i+1:lines.index('', i+1)]
    assert len(table) >= 2, table
    long = [l for l in lines if len(l) > 100 and not l.startswith(f'  {tmp_path}')] # but the paths it saved to
    assert not long, long # every line fits a 100-column terminal
    # the comparison is over the seeds, and says so: each seed's row, the mean with its spread, the wins, the time ratio
    i = lines.index(next(l for l in lines if l.startswith('accuracy ')))
    assert [l.split()[:2] for l in lines[i+1:i+4]] == [['seed', '42'], ['seed', '43'], ['seed', '44']], lines[i:i+5]
    assert lines[i+4].startswith('mean') and lines[i+4].count('±') == 2, lines[i+4]
    assert any(l.startswith('fit_auto_cycle was ahead on ') and ' of 3 seeds' in l for l in lines), lines
    assert any('x the time of lr_find + fit_one_cycle' in l for l in lines), lines

def test_bars_stay_in_a_terminal(tmp_path):
    "Under a pseudo-terminal the demo draws its progress bars (carriage-return frames), as in any terminal"
    import pty, select
    exe = Path(sys.executable).parent/'fastlr-auto'
    pid, fd = pty.fork()
    if pid == 0: # the child: stdout is the terminal
        os.environ['MPLBACKEND'] = 'Agg'
        os.execv(str(exe), [str(exe), 'demo', '--epochs', '1', '--out', str(tmp_path/'out')])
    out = b''
    while True:
        try: r, _, _ = select.select([fd], [], [], 600)
        except OSError: break
        if not r: break
        try: chunk = os.read(fd, 65536)
        except OSError: break # the child closed the terminal
        if not chunk: break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out[-2000:]
    assert b'\r' in out and b'Epoch 1/1' in out # bar frames, as fastprogress draws them in a terminal

def test_bad_input_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path/'file'; blocker.write_text('')
    for args, word in ((('demo', '--epochs', '0'), '--epochs'), (('demo', '--epochs', 'x'), '--epochs'),
                       (('demo', '--out', str(blocker/'sub')), '--out')):
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert word in r.stderr and 'Traceback' not in r.stderr, r.stderr
