"""Hostile input: the public API driven with random argument values and types (hypothesis).

Each call either works, or raises a ValueError/TypeError whose message names one of the arguments it was given,
and a refused call leaves the learner exactly as it was (weights, optimizer, RNGs, loaders)."""
import math, warnings
import numpy as np, pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from fastai.callback.progress import ProgressCallback
from fastcore.basics import noop
from fastlr_auto.all import AutoLR, Rule, suggest_lr
from fastlr_auto.test_utils import digits_learner, learner_state, test_state_eq as state_eq

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([6, 12, 40]),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(1e-6, 10.), st.text(max_size=3),
    st.tuples(st.floats(-1, 3), st.floats(-1, 3)), st.lists(st.floats(1e-4, 1.), max_size=3),
    st.sampled_from([slice(1e-3, 1e-2), slice(1e-2, 1e-3), slice(None, 1e-2), slice('a', 1.), np.float32(1e-3), (1.5, 2.)]))

def kwargs_of(*names): return st.dictionaries(st.sampled_from(names), junk, max_size=3)

@pytest.fixture(scope='module')
def learn():
    l = digits_learner(bs=256) # 5 training batches: a call that works stays cheap
    l.remove_cb(ProgressCallback); l.logger = noop
    return l

def call(learn, f, kw):
    "Call `f(**kw)`; a refusal must be a ValueError/TypeError naming one of `kw` and must change nothing"
    before = learner_state(learn)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            f(**kw)
    except (ValueError, TypeError) as e:
        assert any(k in str(e) for k in kw), f'{type(e).__name__} names none of {list(kw)}: {e}'
        state_eq(before, learner_state(learn))
        return False
    return True

opts = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

@opts
@given(kw=kwargs_of('start_lr', 'end_lr', 'num_it', 'stop_div', 'lr_ratios', 'snapshot_dir', 'shuffle_seed'))
def test_range_test(learn, kw):
    call(learn, learn.range_test, kw)

@opts
@given(kw=kwargs_of('width', 'method', 'mode', 'onset_frac', 'noise_z', 'before', 'div', 'guess', 'trust', 'prior_adam'),
       lrs=st.one_of(st.just(np.logspace(-6, 0, 40)), junk), losses=st.one_of(st.just(np.r_[np.linspace(2, 1, 30), np.linspace(1, 5, 10)]), junk))
def test_suggest_lr(kw, lrs, losses):
    try: sg = suggest_lr(lrs, losses, Rule(**kw)) # the rule's constants are a `Rule`
    except (ValueError, TypeError) as e:
        assert any(k in str(e) for k in ('lrs', 'losses', *kw)), f'{type(e).__name__} names no argument: {e}'
        return
    assert math.isfinite(sg.lr) and sg.lr > 0

@opts
@given(kw=kwargs_of('budget', 'every', 'damping', 'show_col'))
def test_autolr(learn, kw):
    made = []
    if call(learn, lambda **k: made.append(AutoLR(**k)), kw):
        learn.fit_one_cycle(1, 1e-3, cbs=made[0]) # a controller that was accepted runs

@opts
@given(kw=kwargs_of('n_epoch', 'lr_max', 'init_num_it', 'pct_start', 'div', 'div_final', 'auto', 'sweeps'))
def test_fit_auto_cycle(learn, kw):
    kw.setdefault('n_epoch', 1)
    call(learn, learn.fit_auto_cycle, kw)

@opts
@given(kw=kwargs_of('epochs', 'freeze_epochs', 'lr_mult', 'bound_gain', 'pct_start', 'div', 'init_num_it', 'auto'))
def test_fine_tune_auto(learn, kw):
    kw.setdefault('epochs', 1)
    call(learn, learn.fine_tune_auto, kw)
