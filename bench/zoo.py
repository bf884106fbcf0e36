"""The task zoo: one registry of small real tasks, each a fresh fastai `Learner` for a seed, and the fixed split.

All data ships inside a dependency (scikit-learn's bundled data sets and generators, statsmodels' data sets, the
text of Python's own docs and standard library); nothing is downloaded. Pretrained bodies are trained here, once
per process, from a fixed seed. A task is `Task(make, epochs, metric, ...)`:

- `metric`: 'acc' (accuracy, on validation sets of 300+ samples), 'multi' (fastai's `accuracy_multi`),
  'r2' (1 - MSE / variance of the validation targets) or 'nats' (log(classes) - cross-entropy: the nats a
  prediction saves over a uniform guess; used where the validation set is small, so one sample would move an
  accuracy by more than 0.5 %). Every metric is higher-is-better; a method's score is metric / oracle's.
- `opt`: 'adam' (fastai's default) or 'sgd' (fastai's SGD with momentum 0.9).
- `finetune`: a pretrained body with a new head (two parameter groups); `frozen`: the body starts frozen.

`SPLIT` is fixed by one rule: the tasks sorted by the SHA-1 of their name, the first half 'dev', the rest 'held'.
Choose on 'dev'; report both; trust 'held'.
"""
import functools, glob, hashlib, os, warnings
from dataclasses import dataclass, field
from pathlib import Path
import numpy as np, torch
from torch import nn
from fastai.basics import *
from fastai.callback.schedule import *
from fastai.layers import ConvLayer, Flatten
from fastlr_auto.test_utils import TensorPairs, digits_dls, digits_cnn

@dataclass
class Task:
    make: callable          # seed -> Learner
    epochs: int             # the fit's epochs
    metric: str = 'acc'     # 'acc', 'multi', 'r2' or 'nats'
    opt: str = 'adam'       # 'adam' or 'sgd'
    finetune: bool = False  # a pretrained body and a new head, two parameter groups
    frozen: bool = False    # the body starts frozen
    note: str = ''

# --- data helpers ---------------------------------------------------------------------------------------------
def _split_idx(n, seed=0, valid_pct=0.2):
    idx = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = int(n*valid_pct)
    return idx[n_val:], idx[:n_val]

def _dls(trn, val, bs):
    return DataLoaders(DataLoader(trn, bs=bs, shuffle=True, drop_last=True), DataLoader(val, bs=512), device=default_device())

def _table(x, y, noise=0., n_cls=None, reg=False, valid_pct=0.2):
    "Standardised train/valid `TensorPairs`; `noise` of the training labels redrawn at random (fixed seed); valid labels clean"
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.float32 if reg else torch.long)
    trn, val = _split_idx(len(x), valid_pct=valid_pct)
    mu, sd = x[trn].mean(0), x[trn].std(0).clamp_min(1e-6)
    x = (x - mu)/sd
    if reg:
        y = (y - y[trn].mean(0))/y[trn].std(0)
        if y.ndim == 1: y = y[:, None]
    ytr = y[trn].clone()
    if noise:
        g = torch.Generator().manual_seed(99)
        flip = torch.rand(len(trn), generator=g) < noise
        ytr[flip] = torch.randint(0, n_cls, (int(flip.sum()),), generator=g)
    return TensorPairs(x[trn], ytr), TensorPairs(x[val], y[val])

def _mlp(n_in, n_out, hidden=(64, 64), bn=False):
    layers, d = [], n_in
    for h in hidden: layers += [nn.Linear(d, h)] + ([nn.BatchNorm1d(h)] if bn else []) + [nn.ReLU()]; d = h
    return nn.Sequential(*layers, nn.Linear(d, n_out))

def _opt(name): return partial(SGD, mom=0.9) if name == 'sgd' else Adam

def _learner(data, bs, model, loss, opt='adam', seed=0, **kw):
    set_seed(seed, reproducible=True)
    return Learner(_dls(*data, bs), model(), loss_func=loss, opt_func=_opt(opt), **kw)

CE, BCE, MSE = CrossEntropyLossFlat(), BCEWithLogitsLossFlat(), MSELossFlat()

# --- scikit-learn tables and generators -----------------------------------------------------------------------
@functools.lru_cache(None)
def _sk(name, noise=0.):
    import sklearn.datasets as ds
    d = getattr(ds, f'load_{name}')()
    reg = name == 'diabetes'
    return _table(d.data, d.target, noise, n_cls=None if reg else len(set(d.target)), reg=reg)

@functools.lru_cache(None)
def _gen(kind, noise=0.):
    import sklearn.datasets as ds
    if kind == 'moons': x, y = ds.make_moons(3000, noise=0.3, random_state=0); return _table(x, y)
    if kind == 'clf4': x, y = ds.make_classification(4000, 20, n_informative=10, n_classes=4, flip_y=0.05, random_state=0); return _table(x, y)
    if kind == 'clf3': x, y = ds.make_classification(6000, 30, n_informative=8, n_classes=3, random_state=1); return _table(x, y, noise, n_cls=3)
    if kind == 'friedman': x, y = ds.make_friedman1(3000, noise=1., random_state=0); return _table(x, y, reg=True)
    if kind == 'linreg': x, y = ds.make_regression(5000, 50, n_informative=20, noise=30., random_state=0); return _table(x, y, reg=True)
    if kind == 'multilabel': return multilabel_pairs(*ds.make_multilabel_classification(4000, 40, n_classes=6, n_labels=2, random_state=0))
    raise KeyError(kind)

def multilabel_pairs(x, y):
    "Train and validation pairs of standardised features `x` and 0/1 label sets `y` (float), split by the zoo's rule"
    (a, b), (i, j) = _table(x, y, reg=True), _split_idx(len(x))
    y = torch.as_tensor(y, dtype=torch.float32)
    return TensorPairs(a.x, y[i]), TensorPairs(b.x, y[j])

def sk_mlp(name, bs, hidden=(64, 64), noise=0., opt='adam', seed=0):
    data = _sk(name, noise)
    n_out = 1 if name == 'diabetes' else int(data[0].y.max()) + 1
    loss = MSE if name == 'diabetes' else CE
    return _learner(data, bs, lambda: _mlp(data[0].x.shape[1], n_out, hidden), loss, opt, seed)

def gen_mlp(kind, bs, hidden=(64, 64), noise=0., opt='adam', bn=False, seed=0):
    data = _gen(kind, noise)
    reg, multi = kind in ('friedman', 'linreg'), kind == 'multilabel'
    n_out = 1 if reg else data[0].y.shape[1] if multi else int(data[0].y.max()) + 1
    loss = MSE if reg else BCE if multi else CE
    return _learner(data, bs, lambda: _mlp(data[0].x.shape[1], n_out, hidden, bn), loss, opt, seed)

# --- digits images --------------------------------------------------------------------------------------------
@functools.lru_cache(None)
def _digits(noise=0., multilabel=False, flat=False):
    d = digits_dls(device='cpu', img=not flat)
    tr, va = d.train.dataset, d.valid.dataset
    ytr, yva = tr.y.clone(), va.y
    if noise:
        g = torch.Generator().manual_seed(99)
        flip = torch.rand(len(ytr), generator=g) < noise
        ytr[flip] = torch.randint(0, 10, (int(flip.sum()),), generator=g)
    if multilabel: # even, above 4, prime, drawn with a closed loop
        sets = [{0, 2, 4, 6, 8}, {5, 6, 7, 8, 9}, {2, 3, 5, 7}, {0, 6, 8, 9}]
        ml = lambda y: torch.tensor([[float(int(v) in s) for s in sets] for v in y])
        ytr, yva = ml(ytr), ml(yva)
    return TensorPairs(tr.x, ytr), TensorPairs(va.x, yva)

def digits_task(bs, opt='adam', noise=0., multilabel=False, flat=False, seed=0):
    data = _digits(noise, multilabel, flat)
    model = (lambda: _mlp(64, 10, (256, 128))) if flat else (lambda: digits_cnn(n_out=4 if multilabel else 10))
    return _learner(data, bs, model, BCE if multilabel else CE, opt, seed)

# --- fine-tuning: a digits CNN body pretrained on 0-4, a new head for 5-9 ------------------------------------
@functools.lru_cache(None)
def _digits_body():
    set_seed(1234, reproducible=True)
    learn = Learner(digits_dls(classes=range(5), device='cpu'), digits_cnn(n_out=5), loss_func=CE)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(5, 1e-2)
    return {k: v.clone() for k,v in learn.model.state_dict().items() if not k.startswith('5.')}

def digits_ft(frozen=True, opt='adam', seed=0):
    sd = _digits_body()
    set_seed(seed, reproducible=True)
    model = digits_cnn(n_out=5); model.load_state_dict(sd, strict=False)
    learn = Learner(digits_dls(classes=range(5, 10)), model, loss_func=CE, opt_func=_opt(opt),
                    splitter=lambda m: [list(m[:5].parameters()), list(m[5].parameters())])
    if frozen: learn.freeze()
    return learn

# --- bytes of text: language models and a classifier ---------------------------------------------------------
SEQ = 32
@functools.lru_cache(None)
def _source_bytes(n=68_000):
    files = sorted(glob.glob(os.path.join(os.path.dirname(os.__file__), '*.py')))
    return b''.join(Path(f).read_bytes() for f in files)[:n]

@functools.lru_cache(None)
def _english_bytes(n=68_000):
    import pydoc_data.topics as t
    return ''.join(t.topics[k] for k in sorted(t.topics)).encode('utf-8')[:n]

def _text(which, lo, hi): return (_source_bytes if which == 'py' else _english_bytes)()[lo:hi]

def _lm_data(data):
    ids = torch.tensor(list(data), dtype=torch.long)
    n = (len(ids)-1)//SEQ
    x, y = ids[:n*SEQ].view(n, SEQ), ids[1:n*SEQ+1].view(n, SEQ)
    trn, val = _split_idx(n)
    return TensorPairs(x[trn], y[trn]), TensorPairs(x[val], y[val])

class ByteRNN(Module):
    "Bytes in, next-byte logits out: an embedding, one recurrent layer (`cell`: nn.LSTM or nn.GRU), a linear output"
    def __init__(self, cell=nn.LSTM, emb=32, hidden=96):
        self.emb, self.rnn, self.out = nn.Embedding(256, emb), cell(emb, hidden, batch_first=True), nn.Linear(hidden, 256)
    def forward(self, x): return self.out(self.rnn(self.emb(x))[0])

class ByteTransformer(Module):
    "A small causal transformer over bytes: embedding + learned positions, two pre-norm encoder layers, a linear output"
    def __init__(self, d=64, heads=4, layers=2):
        self.emb, self.pos = nn.Embedding(256, d), nn.Parameter(torch.zeros(1, SEQ, d))
        layer = nn.TransformerEncoderLayer(d, heads, 2*d, dropout=0., batch_first=True, norm_first=True)
        self.enc, self.out = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False), nn.Linear(d, 256)
        self.register_buffer('mask', nn.Transformer.generate_square_subsequent_mask(SEQ), persistent=False)
    def forward(self, x):
        n = x.shape[1]
        return self.out(self.enc(self.emb(x) + self.pos[:, :n], mask=self.mask[:n, :n], is_causal=True))

_MODELS = dict(lstm=ByteRNN, gru=partial(ByteRNN, nn.GRU), tfm=ByteTransformer)
_rnn_body = lambda m: list(m.emb.parameters()) + list(m.rnn.parameters())
_tfm_body = lambda m: [m.pos] + list(m.emb.parameters()) + list(m.enc.parameters())

def lm_task(model, which, lo, hi, bs=32, opt='adam', seed=0):
    return _learner(_lm_data(_text(which, lo, hi)), bs, _MODELS[model], CE, opt, seed)

@functools.lru_cache(None)
def _lm_body(model, which, lo, hi, epochs, lr):
    set_seed(1234, reproducible=True)
    learn = Learner(_dls(*_lm_data(_text(which, lo, hi)), 32), _MODELS[model](), loss_func=CE)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr)
    return {k: v.clone() for k,v in learn.model.state_dict().items() if not k.startswith('out.')}

def lm_ft(model, pre, data, seed=0):
    "`model` pretrained on the text `pre` (which, lo, hi, epochs, lr), a new output layer on `data` (which, lo, hi); two groups"
    sd = _lm_body(model, *pre)
    learn = _learner(_lm_data(_text(*data)), 32, _MODELS[model], CE, seed=seed,
                     splitter=lambda m: [(_tfm_body if model == 'tfm' else _rnn_body)(m), list(m.out.parameters())])
    learn.model.load_state_dict(sd, strict=False)
    return learn

class BagOfBytes(Module):
    "Mean of byte embeddings, then an MLP: a text classifier"
    def __init__(self, n_out, emb=32, hidden=64): self.emb, self.head = nn.EmbeddingBag(256, emb), _mlp(emb, n_out, (hidden,))
    def forward(self, x): return self.head(self.emb(x))

@functools.lru_cache(None)
def _chunks():
    "64-byte chunks of five standard-library modules' source, labelled by module"
    mods = ['argparse', 'typing', 'inspect', 'subprocess', 'pathlib']
    xs, ys = [], []
    for i, m in enumerate(mods):
        b = Path(os.path.dirname(os.__file__), f'{m}.py').read_bytes()[:40_000]
        n = len(b)//64
        xs.append(torch.tensor(list(b[:n*64]), dtype=torch.long).view(n, 64)); ys.append(torch.full((n,), i))
    x, y = torch.cat(xs), torch.cat(ys)
    trn, val = _split_idx(len(x))
    return TensorPairs(x[trn], y[trn]), TensorPairs(x[val], y[val])

def text_cls(bs=32, seed=0): return _learner(_chunks(), bs, lambda: BagOfBytes(5), CE, seed=seed)

# --- fastai's application learners: tabular_learner, collab_learner, vision_learner -------------------------
@functools.lru_cache(None)
def _fair():
    import statsmodels.api as sm
    df = sm.datasets.fair.load_pandas().data.copy()
    df['had_affair'] = (df.affairs > 0).astype(int)
    return df.drop(columns='affairs')

def tabular_task(which, bs=64, seed=0):
    from fastai.tabular.all import TabularDataLoaders, tabular_learner, Categorify, Normalize, FillMissing, RegressionBlock, CategoryBlock
    if which == 'fair':
        df, y, cats = _fair(), 'had_affair', ['rate_marriage', 'religious', 'educ', 'occupation', 'occupation_husb', 'children']
        conts, block = ['age', 'yrs_married'], CategoryBlock()
    else: # randhie: doctor visits, regression on log(1 + visits)
        import statsmodels.api as sm
        df = sm.datasets.randhie.load_pandas().data.iloc[:6000].copy()
        df['log_visits'] = np.log1p(df.pop('mdvis')); y = 'log_visits'
        cats, conts, block = ['idp', 'hlthg', 'hlthf', 'hlthp'], ['lncoins', 'lpi', 'fmde', 'physlm', 'disea'], RegressionBlock()
    splits = [L(int(i) for i in s) for s in _split_idx(len(df))]
    set_seed(seed, reproducible=True)
    dls = TabularDataLoaders.from_df(df, procs=[Categorify, FillMissing, Normalize], cat_names=cats, cont_names=conts,
                                     y_names=y, y_block=block, splits=splits, bs=bs, valid_idx=None)
    return tabular_learner(dls, layers=[64, 32], loss_func=MSE if which != 'fair' else CE)

@functools.lru_cache(None)
def _ratings(users=400, items=300, per=70, rank=4, scale=1.2, seed=0, rounded=False):
    "Ratings 1-5 of `users` x `items` from a rank-`rank` latent model with noise (`per` ratings per user)"
    import pandas as pd
    g = np.random.default_rng(seed)
    u, i = g.normal(size=(users, rank)), g.normal(size=(items, rank))
    rows = [(a, b) for a in range(users) for b in g.choice(items, per, replace=False)]
    a, b = np.array(rows).T
    r = 3 + (u[a]*i[b]).sum(1)/scale + 0.5*g.normal(size=len(a))
    r = np.clip(np.round(r) if rounded else r, 1, 5)
    return pd.DataFrame(dict(user=a, item=b, rating=r.astype(np.float32)))

def collab_task(use_nn=False, bs=256, seed=0):
    from fastai.collab import CollabDataLoaders, collab_learner
    df = _ratings()
    set_seed(seed, reproducible=True)
    dls = CollabDataLoaders.from_df(df, bs=bs, seed=0, valid_pct=0.2)
    return collab_learner(dls, n_factors=16, y_range=(0.5, 5.5), use_nn=use_nn, layers=[32] if use_nn else None, loss_func=MSE)

def tiny_arch(pretrained=False):
    "Three fastai conv layers, pooling and a classifier: `vision_learner` cuts it at the pooling"
    return nn.Sequential(ConvLayer(3, 16), ConvLayer(16, 32, stride=2), ConvLayer(32, 64, stride=2), nn.AdaptiveAvgPool2d(1), Flatten(), nn.Linear(64, 10))

def _rgb(classes, bs=32):
    d = digits_dls(classes=classes, bs=bs, device='cpu')
    rgb = lambda ds: TensorPairs(ds.x.expand(-1, 3, -1, -1).contiguous(), ds.y)
    return DataLoaders(DataLoader(rgb(d.train.dataset), bs=bs, shuffle=True, drop_last=True), DataLoader(rgb(d.valid.dataset), bs=256), device=default_device())

def _three_groups(m): return [params(m[0][:2]), params(m[0][2:]), params(m[1])]

def _vision(classes, n_out): 
    from fastai.vision.learner import vision_learner
    return vision_learner(_rgb(classes), tiny_arch, pretrained=False, n_out=n_out, loss_func=CE, splitter=_three_groups)

@functools.lru_cache(None)
def _vision_body():
    set_seed(1234, reproducible=True)
    learn = _vision(range(5), 5); learn.unfreeze()
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(3, 1e-2)
    return {k: v.clone() for k,v in learn.model[0].state_dict().items()}

def vision_task(pretrained, seed=0):
    if not pretrained: set_seed(seed, reproducible=True); return _vision(range(10), 10)
    body = _vision_body()
    set_seed(seed, reproducible=True)
    learn = _vision(range(5, 10), 5)
    learn.model[0].load_state_dict(body)
    learn.unfreeze()
    return learn

# --- the registry ---------------------------------------------------------------------------------------------
P = partial
EN, PY = ('en', 0, 40_000), ('py', 0, 40_000)
TASKS = {
    # scikit-learn's bundled tables: small, so scored in nats
    'cancer_mlp':       Task(P(sk_mlp, 'breast_cancer', 32, (128, 64)), 6, 'nats'),
    'cancer_noisy':     Task(P(sk_mlp, 'breast_cancer', 8, (128, 64), 0.3), 6, 'nats', note='30 % labels redrawn, batches of 8'),
    'cancer_sgd':       Task(P(sk_mlp, 'breast_cancer', 32, (128, 64), opt='sgd'), 6, 'nats', 'sgd'),
    'wine_mlp':         Task(P(sk_mlp, 'wine', 16), 10, 'nats'),
    'wine_noisy':       Task(P(sk_mlp, 'wine', 8, noise=0.3), 10, 'nats'),
    'iris_mlp':         Task(P(sk_mlp, 'iris', 8), 10, 'nats'),
    'diabetes_mlp':     Task(P(sk_mlp, 'diabetes', 16), 10, 'r2'),
    'diabetes_sgd':     Task(P(sk_mlp, 'diabetes', 32, opt='sgd'), 10, 'r2', 'sgd'),
    # scikit-learn's generators: large validation sets
    'moons_mlp':        Task(P(gen_mlp, 'moons', 64), 5),
    'clf4_sgd':         Task(P(gen_mlp, 'clf4', 128, opt='sgd'), 8, opt='sgd'),
    'clf3_noisy_bs512': Task(P(gen_mlp, 'clf3', 512, (128, 64), noise=0.3), 20, note='30 % labels redrawn, batches of 512'),
    'clf4_bn':          Task(P(gen_mlp, 'clf4', 64, (128, 128), bn=True), 4),
    'friedman_mlp':     Task(P(gen_mlp, 'friedman', 32), 5, 'r2'),
    'linreg_sgd_bs256': Task(P(gen_mlp, 'linreg', 256, opt='sgd'), 10, 'r2', 'sgd'),
    'multilabel_mlp':   Task(P(gen_mlp, 'multilabel', 64, (128,)), 5, 'multi'),
    # digits images
    'digits_mlp':       Task(P(digits_task, 64, flat=True), 5),
    'digits_cnn':       Task(P(digits_task, 64), 4),
    'digits_cnn_sgd':   Task(P(digits_task, 64, 'sgd'), 4, opt='sgd'),
    'digits_cnn_bs8':   Task(P(digits_task, 8), 2),
    'digits_cnn_bs512': Task(P(digits_task, 512), 20, note='2 steps an epoch, 40 in all'),
    'digits_noisy':     Task(P(digits_task, 32, noise=0.25), 4),
    'digits_multilabel':Task(P(digits_task, 64, multilabel=True), 4, 'multi'),
    # fine-tuning a pretrained body
    'digits_ft_frozen': Task(P(digits_ft, True), 3, 'nats', finetune=True, frozen=True),
    'digits_ft':        Task(P(digits_ft, False), 3, 'nats', finetune=True),
    'digits_ft_sgd':    Task(P(digits_ft, True, 'sgd'), 3, 'nats', 'sgd', finetune=True, frozen=True),
    'lstm_ft':          Task(P(lm_ft, 'lstm', (*PY, 2, 1e-2), ('en', 0, 20_000)), 2, finetune=True),
    'tfm_ft':           Task(P(lm_ft, 'tfm', (*PY, 3, 3e-3), ('en', 0, 20_000)), 2, finetune=True),
    'gru_ft':           Task(P(lm_ft, 'gru', ('en', 20_000, 60_000, 2, 1e-2), ('py', 40_000, 60_000)), 2, finetune=True),
    'vision_ft':        Task(P(vision_task, True), 3, 'nats', finetune=True, note='vision_learner, three groups'),
    # language models and text from scratch
    'lstm_lm':          Task(P(lm_task, 'lstm', *EN), 2),
    'tfm_lm':           Task(P(lm_task, 'tfm', *PY), 2),
    'text_cls':         Task(P(text_cls, 32), 4),
    # fastai's application learners
    'tabular_fair':     Task(P(tabular_task, 'fair'), 3),
    'tabular_randhie':  Task(P(tabular_task, 'randhie'), 3, 'r2'),
    'collab_dot':       Task(P(collab_task, False), 5, 'r2'),
    'collab_nn':        Task(P(collab_task, True), 5, 'r2'),
    'vision_scratch':   Task(P(vision_task, False), 3, note='vision_learner, not pretrained'),
}

def _h(name): return hashlib.sha1(name.encode()).hexdigest()
_ORDER = sorted(TASKS, key=_h)
SPLIT = {n: ('dev' if i < len(_ORDER)//2 else 'held') for i, n in enumerate(_ORDER)}

def make(name, seed):
    "The task's learner for `seed`, with the bench's quiet settings"
    return TASKS[name].make(seed=seed)

# --- the metric -----------------------------------------------------------------------------------------------
def metric(name, learn):
    "The task's validation metric (higher is better), from the model's raw outputs"
    kind = TASKS[name].metric
    with learn.no_bar(), learn.no_logging(): out, targ = learn.get_preds(act=noop)
    out, targ = out.float(), targ
    if kind == 'multi': return float(((out > 0).float() == targ).float().mean())
    if kind == 'r2':
        out, targ = out.view(-1), targ.float().view(-1)
        return float(1 - ((out - targ)**2).mean() / targ.var()) if torch.isfinite(out).all() else -1.
    out, targ = out.view(-1, out.shape[-1]), targ.view(-1).long()
    if not torch.isfinite(out).all(): return 0.
    if kind == 'acc': return float((out.argmax(-1) == targ).float().mean())
    return float(math.log(out.shape[-1]) - F.cross_entropy(out, targ))  # 'nats'

def score(value, best):
    "A metric as a share of the oracle's (0 for a collapse below zero)"
    return max(0., value) / best if best > 0 else 0.
