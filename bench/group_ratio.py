"""The ratio between parameter groups in fine-tuning: `fine_tune_auto` measuring it, against a 2-D grid oracle and fastai.

Five fine-tuning tasks, each a body pretrained inside the bench (fixed seed, no download) and a new head:
- `digits_cnn`:  tasks.py's digits CNN pretrained on digits 0-4, new head for digits 5-9 (2 groups, 11 batches/epoch)
- `text_lstm`:   a byte-level LSTM language model pretrained on Python source files of the standard library, then
                 fine-tuned (new output layer) on the English text of `pydoc_data.topics` (2 groups, 15 batches/epoch)
- `text_gru`:    the other way round, another cell: a byte-level GRU pretrained on other English of `pydoc_data.topics`,
                 fine-tuned on other Python source of the standard library (2 groups, 15 batches/epoch)
- `text_tfm`:    a small causal byte transformer (2 pre-norm layers, width 64) pretrained on the LSTM's Python source,
                 fine-tuned on the LSTM's English (2 groups: embeddings and layers, output; 15 batches/epoch)
- `vision`:      fastai's `vision_learner` (pretrained=False) over a small 3-conv arch on the digits images; its body
                 pretrained on all ten digits, fine-tuned with a new fastai head on digits 5-9, which the body already
                 knows (3 groups: two body halves and the head, as fastai's resnet split; 22 batches/epoch)

Every run: 1 frozen epoch, then 3 unfrozen (fastai's `fine_tune(3)` shape). 3 seeds.
- oracle: the frozen epoch at the head lr (`fit_one_cycle(1, lr, pct_start=0.99)`, fastai's frozen phase), then
  `fit_one_cycle(3, slice(lr/ratio, lr), pct_start=0.3, div=5)` (a fresh optimizer) over a grid of head lr (5 values,
  half a decade apart, 3e-3 to 3e-1) x ratio (1, 3, 10, 100); the best cell by mean accuracy.
- fastai:   `lr_find()` (on the frozen learner) -> valley -> `fine_tune(3, valley)`  (lr_mult 100)
- auto100:  `fine_tune_auto(3, lr_mult=100)`
- auto:     `fine_tune_auto(3)`  (lr_mult measured)
- cycle:    `learn.unfreeze(); learn.fit_auto_cycle(4)`: the same 4 epochs, no frozen phase, the ratio measured by
            `fit_auto_cycle` (its start test of all the groups sets the head's lr, two short one-group tests the ratio)
- cycle_1lr: the same, as `fit_auto_cycle` was before it measured the ratio: one start test of all the groups, one lr
Scores are final validation accuracy (and loss) as a ratio to the oracle's best cell: acc/best_acc, best_loss/loss;
then the ratio alone: the grid's accuracy at the best head lr and the ratio found (interpolated), over the best.
Then the cost line on the `vision` task: wall time of `fine_tune_auto(3)` over `lr_find()` + `fine_tune(3)`,
3 interleaved repeats, median of each.

    BENCH_THREADS=1 python bench/group_ratio.py   # 6 to 15 minutes on two CPU cores shared with other jobs (376 s, 899 s)
    BENCH_THREADS=1 python bench/group_ratio.py --seeds=5  # 5 seeds instead of 3 (about 25 minutes)
    BENCH_THREADS=1 python bench/group_ratio.py --gains [task ...]  # fine_tune_auto's `bound_gain` side by side, 6 seeds

`--gains` measures `bound_gain`: when the body alone takes more than the head and its test shows no rise up to the
window's top, its answer (every group's level) is only a lower bound; each seed runs `fine_tune_auto(3)` with each gain,
and the change from gain 1 is paired by seed.

On a loaded machine torch's two OpenMP threads spin-wait: one thread (BENCH_THREADS=1) ran it 5x faster there.
"""
import functools, os, sys, time, glob
from pathlib import Path
import numpy as np, torch
from torch import nn
sys.path.insert(0, str(Path(__file__).parent))
from tasks import quiet, digits_finetune_learner, _split_idx, _dls
from fastai.basics import *
from fastai.callback.schedule import *
from fastai.vision.learner import vision_learner
from fastai.layers import ConvLayer, Flatten
from fastlr_auto.all import *
from fastlr_auto.test_utils import TensorPairs, digits_dls

SEEDS = (0, 1, 2)
HEAD_LRS = (3e-3, 1e-2, 3e-2, 1e-1, 3e-1)
RATIOS = (1, 3, 10, 100)
EPOCHS = 3

# --- byte LSTM: Python source -> English ------------------------------------------------------------------
SEQ = 32
def _bytes_seqs(data, seed=0):
    ids = torch.tensor(list(data), dtype=torch.long)
    n = (len(ids)-1)//SEQ
    x, y = ids[:n*SEQ].view(n, SEQ), ids[1:n*SEQ+1].view(n, SEQ)
    trn, val = _split_idx(n, seed)
    return TensorPairs(x[trn], y[trn]), TensorPairs(x[val], y[val])

@functools.lru_cache(None)
def _source_bytes(n=48_000):
    files = sorted(glob.glob(os.path.join(os.path.dirname(os.__file__), '*.py')))
    return b''.join(Path(f).read_bytes() for f in files)[:n]

@functools.lru_cache(None)
def _english_bytes(n=20_000):
    import pydoc_data.topics as t
    return ''.join(t.topics[k] for k in sorted(t.topics)).encode('utf-8')[:n]

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

@functools.lru_cache(None)
def _text(which, lo, hi):
    "Bytes `lo:hi` of the standard library's Python source ('py') or of `pydoc_data.topics`' English ('en')"
    return (_source_bytes if which == 'py' else _english_bytes)(hi)[lo:hi]

_rnn_body = lambda m: list(m.emb.parameters()) + list(m.rnn.parameters())
BYTE_TASKS = { # name: (model, pretraining text, its epochs and lr, fine-tuning text, the body's parameters)
    'text_lstm': (ByteRNN, _source_bytes, 2, 1e-2, _english_bytes, _rnn_body),
    'text_gru':  (functools.partial(ByteRNN, nn.GRU), lambda: _text('en', 20_000, 68_000), 2, 1e-2, lambda: _text('py', 48_000, 68_000), _rnn_body),
    'text_tfm':  (ByteTransformer, _source_bytes, 3, 3e-3, _english_bytes,
                  lambda m: [m.pos] + list(m.emb.parameters()) + list(m.enc.parameters())),
}

@functools.lru_cache(None)
def _byte_body(name):
    "The task's model pretrained on its first text (fixed seed, cached): its weights but the output layer's"
    make, pre, epochs, lr, _, _ = BYTE_TASKS[name]
    set_seed(1234, reproducible=True)
    learn = Learner(_dls(*_bytes_seqs(pre()), 32), make(), loss_func=CrossEntropyLossFlat())
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr)
    return {k: v.clone() for k,v in learn.model.state_dict().items() if not k.startswith('out.')}

def byte_ft(name, seed):
    "The task's pretrained body and a new output layer on its second text; two groups: the body, the output layer"
    make, _, _, _, data, body = BYTE_TASKS[name]
    sd = _byte_body(name)
    set_seed(seed, reproducible=True)
    model = make(); model.load_state_dict(sd, strict=False)
    return Learner(_dls(*_bytes_seqs(data()), 32), model, loss_func=CrossEntropyLossFlat(), metrics=accuracy,
                   splitter=lambda m: [body(m), list(m.out.parameters())])

# --- vision_learner over a small arch, body pretrained on all ten digits --------------------------------------
def tiny_arch(pretrained=False):
    "Three fastai conv layers, pooling and a classifier: `vision_learner` cuts it at the pooling"
    return nn.Sequential(ConvLayer(3, 16), ConvLayer(16, 32, stride=2), ConvLayer(32, 64, stride=2), nn.AdaptiveAvgPool2d(1), Flatten(), nn.Linear(64, 10))

def _rgb_dls(classes, bs=32):
    d = digits_dls(classes=classes, bs=bs, device='cpu')
    tr, va = d.train.dataset, d.valid.dataset
    rgb = lambda ds: TensorPairs(ds.x.expand(-1, 3, -1, -1).contiguous(), ds.y)
    return DataLoaders(DataLoader(rgb(tr), bs=bs, shuffle=True, drop_last=True), DataLoader(rgb(va), bs=256), device=default_device())

def _three_groups(m): return [params(m[0][:2]), params(m[0][2:]), params(m[1])]

def _vision(classes, n_out):
    return vision_learner(_rgb_dls(classes), tiny_arch, pretrained=False, n_out=n_out, loss_func=CrossEntropyLossFlat(),
                          metrics=accuracy, splitter=_three_groups)

@functools.lru_cache(None)
def _vision_body():
    set_seed(1234, reproducible=True)
    learn = _vision(range(10), 10); learn.unfreeze()
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(3, 1e-2)
    return {k: v.clone() for k,v in learn.model[0].state_dict().items()}

def vision_ft(seed):
    body = _vision_body()
    set_seed(seed, reproducible=True)
    learn = _vision(range(5, 10), 5)
    learn.model[0].load_state_dict(body)
    return learn

TASKS = {'digits_cnn': digits_finetune_learner, **{n: functools.partial(byte_ft, n) for n in BYTE_TASKS}, 'vision': vision_ft}

# --- runs ---------------------------------------------------------------------------------------------------
def result(learn): return tuple(float(v) for v in learn.recorder.values[-1][1:3]) # (valid loss, accuracy)

def oracle_cells(make, seed):
    "Valid (loss, accuracy) of every grid cell for one seed; the frozen epoch at the cell's head lr, shared by its ratios"
    out = np.zeros((len(HEAD_LRS), len(RATIOS), 2))
    for i, lr in enumerate(HEAD_LRS):
        learn = make(seed); learn.freeze()
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, lr, pct_start=0.99)
        sd = {k: v.clone() for k,v in learn.model.state_dict().items()}
        for j, r in enumerate(RATIOS):
            learn = make(seed); learn.model.load_state_dict(sd); learn.unfreeze()
            set_seed(seed + 100, reproducible=True)
            with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(EPOCHS, slice(lr/r, lr) if r > 1 else lr, pct_start=0.3, div=5.)
            vl, va = result(learn); out[i, j] = (vl if np.isfinite(vl) else 1e9), va
    print(f'  oracle seed {seed} done', flush=True)
    return out

def fastai_ft(learn):
    learn.freeze()
    with learn.no_bar(), learn.no_logging():
        lr = learn.lr_find(show_plot=False).valley
        learn.fine_tune(EPOCHS, lr)
    return dict(lr=lr, mult=100.)

def auto_ft(learn, lr_mult=None, **kw):
    with learn.no_bar(), learn.no_logging(): learn.fine_tune_auto(EPOCHS, lr_mult=lr_mult, **kw)
    return start_of(learn)

def start_of(learn):
    "The head's lr and the ratio the last fit started with, from its first history row"
    h = learn.auto_lr.history
    r = h[h.fit == h.fit.max()].iloc[0]
    cols = sorted(c for c in h.columns if c.startswith('lr_max_'))
    return dict(lr=float(r[cols[-1]]), mult=float(r[cols[-1]]/r[cols[0]]))

def cycle(learn):
    "No frozen phase, the same 4 epochs: the ratio measured by `fit_auto_cycle` (an unfrozen learner with several groups)"
    learn.unfreeze()
    with learn.no_bar(), learn.no_logging(): learn.fit_auto_cycle(EPOCHS+1)
    return start_of(learn)

def cycle_1lr(learn):
    "`fit_auto_cycle` as it was before it measured the ratio: one start test of all groups together, its answer for every group"
    from fastlr_auto.learner import _start_suggestion, _start_len
    learn.unfreeze(); ctl = AutoLR()
    with learn.no_bar(): sg, crv = _start_suggestion(learn, _start_len(None, (EPOCHS+1)*len(learn.dls.train), 75)[0]) # the same first test as `cycle`'s
    ctl.record_start(sg, crv, np.full(len(learn.opt.param_lists), sg.lr))
    with learn.no_bar(), learn.no_logging(): learn.fit_auto_cycle(EPOCHS+1, sg.lr, auto=ctl)
    return start_of(learn)

METHODS = {'fastai': fastai_ft, 'auto100': functools.partial(auto_ft, lr_mult=100), 'auto': auto_ft, 'cycle': cycle, 'cycle_1lr': cycle_1lr}

def run_task(name, make):
    t0 = time.time()
    grid = np.stack([oracle_cells(make, s) for s in SEEDS]) # seeds x lrs x ratios x (loss, acc)
    mean = grid.mean(0)
    bi, bj = np.unravel_index(int(np.argmax(mean[..., 1])), mean.shape[:2])
    best_acc, best_loss = mean[bi, bj, 1], mean[..., 0].min()
    print(f'\n## {name}: oracle grid, mean valid accuracy over {len(SEEDS)} seeds (rows: head lr, columns: ratio)  [{time.time()-t0:.0f}s]')
    print('head lr  ' + ''.join(f'{r:>8g}' for r in RATIOS))
    for i, lr in enumerate(HEAD_LRS): print(f'{lr:<9.0e}' + ''.join(f'{mean[i, j, 1]:8.4f}' for j in range(len(RATIOS))))
    print(f'best cell: head lr {HEAD_LRS[bi]:g}, ratio {RATIOS[bj]}: accuracy {best_acc:.4f}; best mean valid loss {best_loss:.4f}'
          f' (ratio 100 best: accuracy {mean[:, -1, 1].max():.4f})')
    rows = {}
    for m, f in METHODS.items():
        res = []
        for s in SEEDS:
            learn = make(s); info = f(learn); res.append((*result(learn), info['lr'], info['mult']))
        print(f'  {m} done: accuracy by seed {" ".join(f"{r[1]:.4f}" for r in res)}', flush=True)
        rows[m] = np.array(res)
    w = 8*len(SEEDS) + 8 # the per-seed columns' width
    print(f'{"method":9}{"acc/best":>10}{"±seed":>8}{"loss best/x":>13}{"head lr (seeds)":>{w}}{"ratio (seeds)":>{w}}')
    for m, a in rows.items():
        sc = a[:, 1]/best_acc
        print(f'{m:9}{sc.mean():10.4f}{sc.std(ddof=1)/np.sqrt(len(sc)):8.4f}{best_loss/a[:, 0].mean():13.4f}'
              f'{" ".join(f"{v:.1e}" for v in a[:, 2]):>{w}}{" ".join(f"{v:.3g}" for v in a[:, 3]):>{w}}')
    at = lambda r: float(np.interp(np.log10(np.clip(r, RATIOS[0], RATIOS[-1])), np.log10(RATIOS), mean[bi, :, 1]))
    print(f'the ratio alone, scored on the grid row of the best head lr ({HEAD_LRS[bi]:g}; interpolated in log ratio):'
          f' found {np.mean([at(r) for r in rows["auto"][:, 3]])/best_acc:.4f}, 100 fixed {at(100)/best_acc:.4f}')
    print(f'[{name}: {time.time()-t0:.0f}s]', flush=True)
    return rows

GAINS, GAIN_SEEDS = (1., 1.25, 1.5, 2.), range(6)

def gains(name, make):
    "`fine_tune_auto(3, bound_gain=g)` side by side on the same seeds: accuracy, and its change from g=1 paired by seed (± its standard error)"
    t0, acc, bound = time.time(), np.zeros((len(GAIN_SEEDS), len(GAINS))), []
    for i, s in enumerate(GAIN_SEEDS):
        for j, g in enumerate(GAINS):
            learn = make(s); auto_ft(learn, bound_gain=g); acc[i, j] = result(learn)[1]
        bound.append(any('lower bound' in r for r in learn.auto_lr.history.reason)) # the largest gain's run says whether it acted
    d = acc - acc[:, :1]
    print(f'\n## {name}: bound_gain, {len(GAIN_SEEDS)} seeds (the gain acted on {sum(bound)}: the body answer was a lower bound)  [{time.time()-t0:.0f}s]')
    print('bound_gain     ' + ''.join(f'{g:>16g}' for g in GAINS))
    print('accuracy       ' + ''.join(f'{v:16.4f}' for v in acc.mean(0)))
    print('change vs 1    ' + ''.join(f'{m:+9.4f}±{e:.4f}' for m, e in zip(d.mean(0), d.std(0, ddof=1)/np.sqrt(len(d)))))

def start_window(lo=1e-5):
    "The first test's window: the rule on bench/curves.json's 1e-7..10 curves, read whole and from `lo` only"
    import json
    from fastlr_auto.suggest import suggest_lr
    r = []
    for c in json.loads((Path(__file__).parent/'curves.json').read_text()):
        lrs, L = np.array(c['lrs']), np.array(c['losses'])
        if lrs[0] > 1.1e-7: continue
        k = lrs >= lo*(1-1e-9)
        r.append(suggest_lr(lrs[k], L[k]).lr / suggest_lr(lrs, L).lr)
    r = np.array(r)
    print(f'\n## first test from {lo:g} instead of 1e-7: on {len(r)} stored 100-step curves the rule gives the same lr on'
          f' {int(np.isclose(r, 1).sum())}; ratios {r.min():.3f}..{r.max():.3f}')

def cost(make, reps=3):
    "Wall time of `fine_tune_auto(3)` and of `lr_find()` + `fine_tune(3)`, interleaved"
    ta, tf = [], []
    for k in range(reps):
        learn = make(k); t = time.perf_counter(); auto_ft(learn); ta.append(time.perf_counter()-t)
        learn = make(k); t = time.perf_counter(); fastai_ft(learn); tf.append(time.perf_counter()-t)
    n = len(make(0).dls.train)
    print(f'\n## cost on `vision` ({n} batches per epoch), {reps} interleaved repeats')
    print(f'fine_tune_auto(3): {np.median(ta):.2f}s {np.round(ta, 2).tolist()}; lr_find()+fine_tune(3): {np.median(tf):.2f}s {np.round(tf, 2).tolist()}')
    print(f'ratio of medians: {np.median(ta)/np.median(tf):.3f}; best of each: {min(ta)/min(tf):.3f}')

if __name__ == '__main__':
    quiet()
    if os.environ.get('BENCH_THREADS'): torch.set_num_threads(int(os.environ['BENCH_THREADS'])) # a shared, loaded machine: 1 thread avoids OpenMP spin-waits
    t0 = time.time()
    only = [a for a in sys.argv[1:] if not a.startswith('--')] or list(TASKS)
    for a in sys.argv[1:]:
        if a.startswith('--seeds='): SEEDS = tuple(range(int(a.split('=')[1])))
    if '--gains' in sys.argv:
        for name in only: gains(name, TASKS[name])
        sys.exit()
    start_window()
    for name in only: run_task(name, TASKS[name])
    cost(vision_ft)
    print(f'\ntotal {time.time()-t0:.0f}s')
