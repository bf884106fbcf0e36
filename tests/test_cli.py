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
    for opt in ('--epochs', '--seed', '--out'): assert opt in r.stdout

def test_demo_trains_and_writes_its_files(tmp_path):
    r = run('demo', '--epochs', '1', '--out', str(tmp_path/'out'))
    assert r.returncode == 0, r.stderr
    assert 'lr_max' in r.stdout and 'lr_find + fit_one_cycle' in r.stdout
    assert (tmp_path/'out'/'auto_lr.png').read_bytes()[:4] == b'\x89PNG'
    assert (tmp_path/'out'/'history.csv').read_text().startswith('fit,epoch,lr_before,suggested,confidence')

def test_bad_input_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path/'file'; blocker.write_text('')
    for args, word in ((('demo', '--epochs', '0'), '--epochs'), (('demo', '--epochs', 'x'), '--epochs'),
                       (('demo', '--out', str(blocker/'sub')), '--out')):
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert word in r.stderr and 'Traceback' not in r.stderr, r.stderr
