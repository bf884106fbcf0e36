"""fastai's application learners and the callbacks people add to them, with `fit_auto_cycle`, `fine_tune_auto` and
`AutoLR` in fastai's own fits.

Each learner is built the way fastai's docs build it, from data made here (scikit-learn's bundled digits, Python's own
help texts, synthetic ratings and masks): nothing is downloaded, no pretrained weights. Every fit is watched by
`GroupLrs`, which keeps every parameter group's lr at every optimizer step, so each test checks that the per-group
ratios held at every batch, as well as what its callback is for. Data are tiny: the whole file runs in a few minutes
on two CPU cores."""
import math, warnings
from functools import partial
import numpy as np, pandas as pd, pytest, torch
from PIL import Image
from fastai.vision.all import *
from fastai.tabular.all import *
from fastai.collab import *
from fastai.text.all import *
from fastai.callback.training import GradientAccumulation, GradientClip
from fastai.callback.fp16 import MixedPrecision
from sklearn.datasets import load_digits, load_wine
from fastlr_auto.all import *
from fastcore import test as fc
for _n in [n for n in globals() if n.startswith('test')]: del globals()[_n] # fastai's star imports bring fastcore's test_* helpers, which pytest would collect

@pytest.fixture(scope='module', autouse=True)
def one_thread():
    "One torch thread: on two cores shared with other jobs, two OpenMP threads spin-wait each other (a resnet18 step was 20x slower)"
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

warnings.filterwarnings('ignore', category=UserWarning)
IT = 8 # steps of each initial range test: enough for a curve, small enough for a test suite
SZ = 16 # image side: resnet18 still fits (it pools 16 px down to 1), at a quarter of 32 px's cost

class GroupLrs(Callback):
    "Every group's lr at each optimizer step of each training fit (range tests excluded), one list per fit"
    order, skip_range_test = 999, True
    def __init__(self): self.fits = []
    def before_fit(self): self.fits.append([])
    def before_step(self): self.fits[-1].append([float(h['lr']) for h in self.opt.hypers])

def run_watched(learn, fit, *args, cbs=(), **kwargs):
    "Call `fit(*args, cbs=[spy, *cbs], **kwargs)` on `learn`; the spy's per-fit lr arrays (steps x groups)"
    spy = GroupLrs()
    with learn.no_logging(), learn.no_bar(): getattr(learn, fit)(*args, cbs=[spy, *L(cbs)], **kwargs)
    return [np.array(f) for f in spy.fits if f]

def check_ratios(fits, history=None, n_groups=None):
    "Per fit, every group's lr is a fixed multiple of the last group's at every step; all lrs finite and positive"
    assert fits, 'no training step was seen'
    for lrs in fits:
        assert np.isfinite(lrs).all() and (lrs > 0).all(), lrs
        if n_groups is not None: assert lrs.shape[1] == n_groups, lrs.shape
        ratios = lrs / lrs[:, -1:]
        np.testing.assert_allclose(ratios, np.broadcast_to(ratios[0], ratios.shape), rtol=1e-6)
    if history is not None:
        # the last fit's ratios are the ones its history row gives per group
        cols = [c for c in history.columns if c.startswith('lr_max_')]
        last = history.iloc[-1][cols].to_numpy(dtype=float)
        assert len(cols) == fits[-1].shape[1]
        np.testing.assert_allclose(fits[-1][0] / fits[-1][0, -1], last / last[-1], rtol=1e-6)

def check_history(learn, n_fits=None):
    "The controller left a history whose lrs are finite and positive"
    h = learn.auto_lr.history
    assert len(h) > 0
    cols = ['suggested'] + [c for c in h.columns if c.startswith('lr_max_')]
    v = h[cols].to_numpy(dtype=float)
    assert np.isfinite(v).all() and (v > 0).all(), h
    if n_fits is not None: assert h.fit.nunique() == n_fits, h
    return h

def check_export(learn, item, tmp_path):
    "export / load_learner / predict: the loaded learner predicts what the trained one does"
    learn.export(tmp_path/'export.pkl')
    new = load_learner(tmp_path/'export.pkl', cpu=True)
    with learn.no_bar(), new.no_bar():
        if isinstance(item, pd.DataFrame): # several rows: `get_preds` on a `test_dl`, as fastai's collab docs do
            p0, p1 = (l.get_preds(dl=l.dls.test_dl(item))[0] for l in (learn, new))
        else: p0, p1 = learn.predict(item)[-1], new.predict(item)[-1]
    fc.test_close(torch.as_tensor(p0).float().cpu(), torch.as_tensor(p1).float().cpu(), eps=1e-5)
    return p1 if isinstance(item, pd.DataFrame) else new.predict(item)

# ---- data ------------------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def digit_folder(tmp_path_factory):
    "An image folder (train/valid, one folder per label) of 16 px RGB digits from scikit-learn"
    path = tmp_path_factory.mktemp('digits')
    d = load_digits()
    rng = np.random.default_rng(0)
    for split, n in (('train', 8), ('valid', 2)): # 80 training images, 4 batches of 20: room for a 6-step test in 2 epochs
        for c in range(10):
            (path/split/str(c)).mkdir(parents=True)
            for j, i in enumerate(rng.choice(np.flatnonzero(d.target == c), n, replace=False)):
                img = (d.images[i] * 255 / 16).astype(np.uint8)
                Image.fromarray(img).resize((SZ, SZ), Image.BILINEAR).convert('RGB').save(path/split/str(c)/f'{i}.png')
    return path

def sorted_images(path):
    "The folder's images in sorted order: `get_image_files` lists them in the file system's order, which differs between machines"
    return get_image_files(path, folders=['train', 'valid']).sorted()

@pytest.fixture
def vision_learn(digit_folder):
    set_seed(0, reproducible=True)
    dls = DataBlock((ImageBlock, CategoryBlock), get_items=sorted_images, splitter=GrandparentSplitter(), get_y=parent_label
                    ).dataloaders(digit_folder, bs=20, num_workers=0) # `from_folder`'s split, the files in sorted order
    return vision_learner(dls, resnet18, pretrained=False, metrics=accuracy)

@pytest.fixture(scope='module')
def seg_folder(tmp_path_factory):
    "A synthetic segmentation set: 16 px images with a bright rectangle, masks marking it (codes: background, box)"
    path = tmp_path_factory.mktemp('seg')
    (path/'images').mkdir(); (path/'labels').mkdir()
    rng = np.random.default_rng(0)
    for i in range(16):
        img = rng.integers(0, 80, (SZ, SZ, 3), dtype=np.uint8); msk = np.zeros((SZ, SZ), np.uint8)
        r, c = rng.integers(0, SZ//2, 2); h, w = rng.integers(SZ//4, SZ//2, 2)
        img[r:r+h, c:c+w] = 200; msk[r:r+h, c:c+w] = 1
        Image.fromarray(img).save(path/'images'/f'{i}.png'); Image.fromarray(msk).save(path/'labels'/f'{i}.png')
    return path

def _seg_label(path, f): return path/'labels'/f.name

@pytest.fixture(scope='module')
def wine_df():
    "scikit-learn's wine table with one categorical column (alcohol binned), for `tabular_learner`"
    d = load_wine(as_frame=True)
    df = d.frame.rename(columns={'target': 'cultivar'})
    df['cultivar'] = df.cultivar.astype(str)
    df['alcohol_bin'] = pd.cut(df.alcohol, 3, labels=['low', 'mid', 'high']).astype(str)
    return df

@pytest.fixture(scope='module')
def ratings():
    "Synthetic ratings: 40 users x 30 items, low-rank plus noise, 60% observed"
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=(40, 3)), rng.normal(size=(30, 3))
    r = np.clip(2.75 + (u @ v.T), 0.5, 5)
    obs = [(i, j, float(r[i, j])) for i in range(40) for j in range(30) if rng.random() < 0.6]
    return pd.DataFrame(obs, columns=['user', 'item', 'rating'])

@pytest.fixture(scope='module')
def topics_df():
    "Paragraphs of Python's own help topics (pydoc_data), labelled by whether they mention 'class'"
    from pydoc_data.topics import topics
    paras = [p.strip() for t in topics.values() for p in t.split('\n\n') if 80 < len(p.strip()) < 600]
    df = pd.DataFrame({'text': paras[:240]})
    df['label'] = np.where(df.text.str.contains('class'), 'class', 'other')
    return df

def awd_small(config): return {**config, 'emb_sz': 32, 'n_hid': 48, 'n_layers': 2}

# ---- applications ----------------------------------------------------------------------------------------------

def test_vision_learner_fine_tune_auto(vision_learn, digit_folder, tmp_path):
    learn = vision_learn
    n_groups = len(learn.opt.param_lists) if learn.opt else len(learn.splitter(learn.model))
    fits = run_watched(learn, 'fine_tune_auto', 1, freeze_epochs=1, init_num_it=IT)
    assert len(fits) == 2 # the frozen phase and the unfrozen one
    h = check_history(learn, n_fits=2)
    check_ratios(fits, h, n_groups=n_groups)
    assert n_groups >= 3 and fits[1][0, 0] <= fits[1][0, -1] # the body never above the head in the unfrozen phase (lr_mult, measured or 1, is >= 1)
    assert h.detail.str.contains('lr_mult = head|one lr for every group').any() # and the history says how the ratio was decided
    f = get_image_files(digit_folder/'valid'/'7')[0]
    pred = check_export(learn, f, tmp_path)
    assert pred[0] in learn.dls.vocab

def test_tabular_learner(tabular_learn, wine_df, tmp_path):
    learn = tabular_learn
    fits = run_watched(learn, 'fit_auto_cycle', 3, init_num_it=IT)
    check_ratios(fits, check_history(learn, n_fits=1))
    v = np.array(learn.recorder.values, dtype=float)
    assert v.shape[0] == 3 and np.isfinite(v).all(), v # every epoch's losses and accuracy, finite (how good: bench/)
    row, _, probs = check_export(learn, wine_df.iloc[0], tmp_path)
    fc.test_eq(probs.shape, (3,))

def test_collab_learner(ratings, tmp_path):
    set_seed(0, reproducible=True)
    dls = CollabDataLoaders.from_df(ratings, user_name='user', item_name='item', rating_name='rating', bs=64, path=tmp_path)
    learn = collab_learner(dls, n_factors=8, y_range=(0, 5.5))
    fits = run_watched(learn, 'fit_auto_cycle', 3, init_num_it=IT)
    check_ratios(fits, check_history(learn, n_fits=1))
    v = np.array(learn.recorder.values, dtype=float)[:, :2] # training and validation loss of each epoch
    assert v.shape[0] == 3 and np.isfinite(v).all() and (v <= 5.5**2).all(), v # finite, within y_range's reach
    preds = check_export(learn, ratings.iloc[:8], tmp_path)
    assert ((preds >= 0) & (preds <= 5.5)).all() # within y_range

def test_text_learners(topics_df, tmp_path):
    set_seed(0, reproducible=True)
    dls_lm = TextDataLoaders.from_df(topics_df, path=tmp_path, text_col='text', is_lm=True, valid_pct=0.2, bs=16, seq_len=24,
                                     tok_tfm=BaseTokenizer(), n_workers=0)
    lm = language_model_learner(dls_lm, AWD_LSTM, config=awd_small(awd_lstm_lm_config), pretrained=False, metrics=accuracy)
    fits = run_watched(lm, 'fit_auto_cycle', 1, init_num_it=IT)
    check_ratios(fits, check_history(lm, n_fits=1), n_groups=len(lm.opt.param_lists))
    lm.save_encoder('enc')
    dls_clas = TextDataLoaders.from_df(topics_df, path=tmp_path, text_col='text', label_col='label', valid_pct=0.2, bs=16,
                                       tok_tfm=BaseTokenizer(), text_vocab=dls_lm.vocab, n_workers=0, seq_len=24)
    clas = text_classifier_learner(dls_clas, AWD_LSTM, config=awd_small(awd_lstm_clas_config), pretrained=False, metrics=accuracy).load_encoder('enc')
    fits = run_watched(clas, 'fine_tune_auto', 1, freeze_epochs=1, init_num_it=IT)
    assert len(fits) == 2
    check_ratios(fits, check_history(clas, n_fits=2), n_groups=len(clas.opt.param_lists))
    assert clas.opt.param_lists and len(clas.opt.param_lists) >= 3
    label, _, probs = check_export(clas, topics_df.text[0], tmp_path)
    assert label in ('class', 'other') and probs.shape == (2,)

def test_unet_learner(seg_folder, tmp_path):
    set_seed(0, reproducible=True)
    dls = SegmentationDataLoaders.from_label_func(seg_folder, get_image_files(seg_folder/'images').sorted(), partial(_seg_label, seg_folder),
                                                  codes=['background', 'box'], bs=8, valid_pct=0.25, num_workers=0)
    learn = unet_learner(dls, resnet18, pretrained=False, n_out=2)
    fits = run_watched(learn, 'fine_tune_auto', 1, freeze_epochs=1, init_num_it=IT)
    check_ratios(fits, check_history(learn, n_fits=2))
    f = get_image_files(seg_folder/'images')[0]
    mask, _, probs = check_export(learn, f, tmp_path)
    fc.test_eq(mask.shape, (SZ, SZ)); fc.test_eq(probs.shape, (2, SZ, SZ))

# ---- callbacks -------------------------------------------------------------------------------------------------

def short_auto(**consts):
    "The shortest tests between epochs, every one the fit has room for (this file checks plumbing, not choices), and other class constants set on the instance"
    a = AutoLR(budget=1.)
    for k, v in dict(min_it=6, max_it=6, **consts).items(): setattr(a, k, v)
    return a

class Probe(Callback):
    "Calls `fn(learn)` at `event` of every training step (range tests excluded) and keeps what it returns"
    order, skip_range_test = 1000, True
    def __init__(self, event, fn): self.seen = []; setattr(self, event, lambda: self.seen.append(fn(self.learn)) if self.learn.training else None)

@pytest.mark.parametrize('mix', [MixUp, CutMix])
def test_mixup_cutmix(vision_learn, mix):
    learn, cb = vision_learn, mix()
    lf0 = learn.loss_func
    probe = Probe('after_loss', lambda l: l.loss_func == cb.lf)
    fits = run_watched(learn, 'fit_auto_cycle', 2, cbs=[cb, probe], init_num_it=IT, auto=short_auto())
    check_ratios(fits, check_history(learn))
    h = learn.auto_lr.history # an unfrozen vision_learner (pretrained=False) with 3 groups: one start test (every group at one lr), and one between the epochs
    t = h[h.num_it > 0] # the tests (a back-off row, after a non-finite training loss, has no steps)
    assert (t.epoch == 0).sum() == 1 and (t.epoch > 0).sum() == 1, h
    assert probe.seen and all(probe.seen) # every training loss was the mixed one, also after the test between epochs
    assert learn.loss_func is lf0 # and the learner's own loss is back after the fit

def test_gradient_accumulation(vision_learn):
    learn = vision_learn
    n_batches, bs = len(learn.dls.train), learn.dls.train.bs
    fits = run_watched(learn, 'fit_auto_cycle', 2, cbs=GradientAccumulation(n_acc=2*bs), init_num_it=IT, auto=short_auto())
    check_ratios(fits, check_history(learn))
    assert len(fits[0]) == 2*n_batches//2 # one optimizer step per two batches: the range test between epochs left the count alone

def test_gradient_clip(vision_learn):
    learn = vision_learn
    def grad_norm(l): return float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in l.model.parameters() if p.grad is not None])))
    probe = Probe('before_step', grad_norm)
    fits = run_watched(learn, 'fit_auto_cycle', 1, cbs=[GradientClip(max_norm=1e-3), probe], init_num_it=IT)
    check_ratios(fits, check_history(learn))
    assert probe.seen and max(probe.seen) <= 1e-3 * 1.001 # every step's gradient was clipped before the optimizer saw it

def test_channels_last(vision_learn):
    learn = vision_learn
    w = lambda l: l.model[0][0].weight
    probe = Probe('before_step', lambda l: w(l).is_contiguous(memory_format=torch.channels_last))
    fits = run_watched(learn, 'fit_auto_cycle', 2, cbs=[ChannelsLast(), probe], init_num_it=IT, auto=short_auto())
    check_ratios(fits, check_history(learn))
    assert probe.seen and all(probe.seen) # the weights stayed channels-last through the range test between epochs
    assert w(learn).is_contiguous(memory_format=torch.channels_last)

def test_fp16_cuda(vision_learn):
    if not torch.cuda.is_available(): pytest.skip('to_fp16 runs fp16 arithmetic only on CUDA (on a CPU, autocast("cuda") is inactive); no GPU here')
    learn = vision_learn.to_fp16()
    probe = Probe('after_pred', lambda l: l.pred.dtype)
    fits = run_watched(learn, 'fine_tune_auto', 1, freeze_epochs=1, init_num_it=IT)
    check_ratios(fits, check_history(learn, n_fits=2))
    assert probe.seen and set(probe.seen) == {torch.float16} # the forward passes ran in half precision
    assert math.isfinite(learn.scaler.get_scale()) and learn.scaler.get_scale() > 0

def test_fit_sgdr(vision_learn):
    learn = vision_learn
    n = len(learn.dls.train)
    auto = short_auto(max_step=0.5) # every move at most half a decade: the restart and the annealing stay visible whatever the tests answer
    fits = run_watched(learn, 'fit_sgdr', 2, 1, slice(1e-4, 1e-2), cbs=auto) # cycles of 1 and 2 epochs
    check_ratios(fits, check_history(learn))
    lr, static, applied = fits[0][:, -1], np.array(learn.auto_lr.static), np.array(learn.auto_lr.applied)
    assert len(lr) == 3*n
    np.testing.assert_allclose(lr, applied, rtol=1e-6) # the optimizer had what the controller applied
    assert static[n] > 5*static[n-1] and static[-1] < static[n]/20 # fastai's SGDR (float-free): a restart, then cosine
    scale = applied / static # AutoLR's factor at each batch
    # the restart is the schedule's largest step, and the ramp moves the factor only by what a batch's step leaves:
    # at the restart, nothing; so the restart survives whole
    np.testing.assert_allclose(scale[n], scale[n-1], rtol=1e-9)
    h = learn.auto_lr.history
    h = h[h.epoch >= 1] # the moves ordered after the first cycle (each at most max_step)
    moves = np.log10(h[[c for c in h.columns if c.startswith('lr_max_')][-1]] / h.lr_before)
    assert (moves.abs() <= auto.max_step + 1e-9).all(), h
    assert np.log10(scale[-1]/scale[n]) <= moves.clip(lower=0).sum() + 1e-9 # the factor rose no more than they did
    assert lr[n] > 1.5*lr[n-1] # so the second cycle starts higher than the first ended
    assert lr[-1] < lr[n] # and anneals (static: 1.4 decades down; the tests after epochs 0 and 1 move 1 decade at most)

def test_fit_flat_cos(vision_learn):
    learn = vision_learn
    fits = run_watched(learn, 'fit_flat_cos', 2, slice(1e-4, 1e-2), pct_start=0.5, cbs=short_auto())
    check_ratios(fits, check_history(learn))
    n = len(learn.opt.param_lists)
    np.testing.assert_allclose(fits[0][0] / fits[0][0, -1], np.array(even_mults(1e-4, 1e-2, n)) / 1e-2, rtol=1e-6) # the slice's ratios
    static, half = np.array(learn.auto_lr.static), len(fits[0])//2
    np.testing.assert_allclose(static[:half], 1e-2) # the schedule AutoLR scales is fastai's: flat at lr_max for pct_start,
    assert static[-1] < 0.6e-2 # then cosine down (at 3/4 of the fit: half of lr_max)
    np.testing.assert_allclose(fits[0][:, -1], learn.auto_lr.applied, rtol=1e-6) # what the controller says it applied is what the optimizer had

@pytest.fixture
def tabular_learn(wine_df, tmp_path):
    set_seed(0, reproducible=True)
    cont = [c for c in wine_df.columns if c not in ('cultivar', 'alcohol_bin')]
    dls = TabularDataLoaders.from_df(wine_df, path=tmp_path, procs=[Categorify, FillMissing, Normalize], cat_names=['alcohol_bin'],
                                     cont_names=cont, y_names='cultivar', valid_idx=list(range(0, len(wine_df), 5)), bs=32)
    return tabular_learner(dls, layers=[32, 16], metrics=accuracy)

def test_save_model_early_stopping(tabular_learn):
    learn = tabular_learn
    cbs = [SaveModelCallback(fname='best'), EarlyStoppingCallback(min_delta=10., patience=0)] # no epoch can improve by 10: stop after the second
    fits = run_watched(learn, 'fit_auto_cycle', 4, cbs=cbs, init_num_it=IT)
    check_ratios(fits, check_history(learn))
    assert len(learn.recorder.values) == 2
    models = learn.path/learn.model_dir
    assert (models/'best.pth').exists() and (models/'best.auto_lr.json').exists() # the controller's state beside the best model
    assert learn.auto_lr.history.epoch.max() <= 2

def test_csv_logger(tabular_learn):
    learn = tabular_learn
    fits = run_watched(learn, 'fit_auto_cycle', 3, cbs=CSVLogger(fname='log.csv'), init_num_it=IT)
    check_ratios(fits, check_history(learn))
    log = pd.read_csv(learn.path/'log.csv')
    assert 'lr_max' in log.columns and len(log) == 3
    assert np.isfinite(log.lr_max).all() and (log.lr_max > 0).all()
    np.testing.assert_allclose(log.lr_max, [v[learn.recorder.metric_names.index('lr_max')-1] for v in learn.recorder.values], rtol=1e-5)
