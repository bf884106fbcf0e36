"""Seven small real tasks of different model families, for the curve bank, the oracle and the quality benchmark.

All data ships with a dependency (scikit-learn's bundled datasets, the Python docs text in `pydoc_data`);
nothing is downloaded. Each task builds a fresh fastai `Learner` for a seed and has a fixed epoch budget.

- `digits_cnn`:     a BatchNorm CNN on the 8x8 digits (images)
- `cancer_mlp`:     fastai's `TabularModel` on the breast-cancer table (tabular)
- `text_lstm`:      a character-level LSTM language model on Python's bundled docs text (text, RNN)
- `digits_finetune`: a CNN body pretrained on digits 0-4, a new head for digits 5-9, body frozen (fine-tuning)
- `diabetes_mlp`:   a ReLU MLP regressing scikit-learn's diabetes progression (MSE, batches of 16; noisy regression)
- `cancer_noisy`:   an MLP on the breast-cancer table with 30 % of the training labels flipped (batches of 8)
- `wine_noisy`:     an MLP on scikit-learn's wine table with 30 % of the training labels redrawn at random (batches of 8)

A task's `lower` says its metric is better when lower (the regression's MSE); the benchmarks score a method by
metric/oracle (or oracle/metric when `lower`), so 1.0 is the oracle's quality everywhere.
"""
import functools, warnings
import numpy as np, torch
from torch import nn
from fastai.basics import *
from fastai.callback.progress import *
from fastai.callback.schedule import *
from fastai.tabular.model import TabularModel
from fastlr_auto.test_utils import digits_dls, digits_cnn

def _split_idx(n, seed=0, valid_pct=0.2):
    idx = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = int(n*valid_pct)
    return idx[n_val:], idx[:n_val]

def _dls(trn, val, bs, n_inp=None):
    dls = DataLoaders(DataLoader(trn, bs=bs, shuffle=True, drop_last=True), DataLoader(val, bs=512), device=default_device())
    if n_inp is not None: dls.n_inp = n_inp
    return dls

# --- digits CNN ---------------------------------------------------------------------------------------------
def digits_cnn_learner(seed):
    set_seed(seed, reproducible=True)
    return Learner(digits_dls(), digits_cnn(), loss_func=CrossEntropyLossFlat(), metrics=accuracy)

# --- breast-cancer tabular MLP ------------------------------------------------------------------------------
@functools.lru_cache(None)
def _cancer():
    from sklearn.datasets import load_breast_cancer
    d = load_breast_cancer()
    x = torch.tensor(d.data, dtype=torch.float32); y = torch.tensor(d.target)
    trn, val = _split_idx(len(x))
    mu, sd = x[trn].mean(0), x[trn].std(0)
    x = (x - mu)/sd
    cat = torch.zeros(len(x), 0, dtype=torch.long)
    return [(cat[i], x[i], y[i]) for i in trn], [(cat[i], x[i], y[i]) for i in val]

def cancer_mlp_learner(seed):
    set_seed(seed, reproducible=True)
    trn, val = _cancer()
    model = TabularModel([], 30, 2, layers=[128, 64], ps=[0.1, 0.1])
    return Learner(_dls(trn, val, 32, n_inp=2), model, loss_func=CrossEntropyLossFlat(), metrics=accuracy)

# --- character-level LSTM language model on Python's docs text ----------------------------------------------
SEQ = 48
@functools.lru_cache(None)
def _text():
    import pydoc_data.topics as t
    txt = ''.join(t.topics[k] for k in sorted(t.topics))[:240_000]
    vocab = sorted(set(txt)); stoi = {c:i for i,c in enumerate(vocab)}
    ids = torch.tensor([stoi[c] for c in txt])
    n = (len(ids)-1)//SEQ
    x, y = ids[:n*SEQ].view(n, SEQ), ids[1:n*SEQ+1].view(n, SEQ)
    trn, val = _split_idx(n)
    return [(x[i], y[i]) for i in trn], [(x[i], y[i]) for i in val], len(vocab)

class CharLSTM(Module):
    def __init__(self, vocab, emb=32, hidden=128):
        self.emb, self.rnn, self.out = nn.Embedding(vocab, emb), nn.LSTM(emb, hidden, batch_first=True), nn.Linear(hidden, vocab)
    def forward(self, x): return self.out(self.rnn(self.emb(x))[0])

def text_lstm_learner(seed):
    set_seed(seed, reproducible=True)
    trn, val, nv = _text()
    return Learner(_dls(trn, val, 64), CharLSTM(nv), loss_func=CrossEntropyLossFlat(), metrics=accuracy)

# --- fine-tuning: pretrained CNN body, new head -------------------------------------------------------------
@functools.lru_cache(None)
def _pretrained_body():
    "A digits CNN trained on digits 0-4 (fixed seed, cached); its layers before the classifier"
    set_seed(1234, reproducible=True)
    learn = Learner(digits_dls(classes=range(5)), digits_cnn(n_out=5), loss_func=CrossEntropyLossFlat())
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(5, 1e-2)
    return {k: v.clone() for k,v in learn.model.state_dict().items()}

def digits_finetune_learner(seed):
    sd = _pretrained_body()
    set_seed(seed, reproducible=True)
    model = digits_cnn(n_out=5)
    model.load_state_dict({k:v for k,v in sd.items() if not k.startswith('5.')}, strict=False)  # new head: layer 5
    learn = Learner(digits_dls(classes=range(5, 10)), model, loss_func=CrossEntropyLossFlat(), metrics=accuracy,
                    splitter=lambda m: [list(m[:5].parameters()), list(m[5].parameters())])
    learn.freeze()
    return learn

# --- noisy regression and noisy labels, small batches ----------------------------------------------------------
def _table(data, target, noise=0., n_cls=None, seed=0, std_y=False):
    "Standardised train/valid tuples of a table; `noise` of the training labels flipped/redrawn (fixed seed), valid labels clean"
    x = torch.tensor(data, dtype=torch.float32)
    y = torch.tensor(target, dtype=torch.float32 if std_y else torch.long)
    trn, val = _split_idx(len(x))
    mu, sd = x[trn].mean(0), x[trn].std(0)
    x = (x - mu)/sd
    if std_y: y = ((y - y[trn].mean())/y[trn].std())[:, None]
    ytr = y[trn].clone()
    if noise:
        g = torch.Generator().manual_seed(seed + 99)
        flip = torch.rand(len(trn), generator=g) < noise
        ytr[flip] = (1 - ytr[flip]) if n_cls == 2 else torch.randint(0, n_cls, (int(flip.sum()),), generator=g)
    return [(x[i], t) for i,t in zip(trn, ytr)], [(x[i], y[i]) for i in val]

def _mlp(n_in, n_out, hidden=(64, 64)):
    layers, d = [], n_in
    for h in hidden: layers += [nn.Linear(d, h), nn.ReLU()]; d = h
    return nn.Sequential(*layers, nn.Linear(d, n_out))

@functools.lru_cache(None)
def _diabetes():
    from sklearn.datasets import load_diabetes
    d = load_diabetes(); return _table(d.data, d.target, std_y=True)

def diabetes_mlp_learner(seed):
    set_seed(seed, reproducible=True)
    trn, val = _diabetes()
    return Learner(_dls(trn, val, 16), _mlp(10, 1), loss_func=MSELossFlat(), metrics=mse)

@functools.lru_cache(None)
def _cancer_noisy():
    from sklearn.datasets import load_breast_cancer
    d = load_breast_cancer(); return _table(d.data, d.target, noise=0.3, n_cls=2)

def cancer_noisy_learner(seed):
    set_seed(seed, reproducible=True)
    trn, val = _cancer_noisy()
    return Learner(_dls(trn, val, 8), _mlp(30, 2, (128, 64)), loss_func=CrossEntropyLossFlat(), metrics=accuracy)

@functools.lru_cache(None)
def _wine_noisy():
    from sklearn.datasets import load_wine
    d = load_wine(); return _table(d.data, d.target, noise=0.3, n_cls=3)

def wine_noisy_learner(seed):
    set_seed(seed, reproducible=True)
    trn, val = _wine_noisy()
    return Learner(_dls(trn, val, 8), _mlp(13, 3), loss_func=CrossEntropyLossFlat(), metrics=accuracy)

TASKS = {
    'digits_cnn':      dict(make=digits_cnn_learner, epochs=4),
    'cancer_mlp':      dict(make=cancer_mlp_learner, epochs=6),
    'text_lstm':       dict(make=text_lstm_learner, epochs=3),
    'digits_finetune': dict(make=digits_finetune_learner, epochs=3),
    'diabetes_mlp':    dict(make=diabetes_mlp_learner, epochs=10, lower=True),
    'cancer_noisy':    dict(make=cancer_noisy_learner, epochs=6),
    'wine_noisy':      dict(make=wine_noisy_learner, epochs=10),
}

def score(name, metric, best):
    "The task's metric as a share of the oracle's `best` (1.0 = as good as the oracle; higher is better)"
    if TASKS[name].get('lower'): return best/metric if np.isfinite(metric) and metric > 0 else 0.
    return metric/best

def quiet():
    "Silence the warnings and set two threads, as on the CI machine (`BENCH_THREADS` overrides: 1 on a shared machine)"
    import os
    warnings.simplefilter('ignore'); torch.set_num_threads(int(os.environ.get('BENCH_THREADS', 2)))
