#!/usr/bin/python3
"""Generate Kinglet's model / reference-data test fixtures in tests/fixtures/.

Usage (from the repo root; NOT run by the test suite -- run it by hand when the fixtures
need to change, then commit tests/fixtures/):

    /usr/bin/python3 tools/make_fixtures.py              # writes tests/fixtures/
    /usr/bin/python3 tools/make_fixtures.py --out DIR    # write somewhere else
    /usr/bin/python3 tools/make_fixtures.py --threads 2  # see "Determinism" below
    /usr/bin/python3 tools/make_fixtures.py --only firenet   # only firenet.* + its entry in
                                                             # fashion_mnist_accuracy.json

Needs Debian's python3-torch (1.13), python3-torchvision (0.14), python3-onnx and
python3-numpy, plus the dataset-fashion-mnist package.  The first ``python3`` on PATH may
not see Debian's packages, hence /usr/bin/python3.  No network access is needed.

Runtime: about 10 minutes on a 2-core box that is busy compiling (LeNet-300-100 training
~1.3 min, LeNet-5 ~3 min, firenet ~4.5 min, everything else < 20 s); less on an idle
machine.  ``--only firenet`` takes ~4.5 min and leaves every other file untouched (the
other entries of fashion_mnist_accuracy.json are read and rewritten unchanged).

What it makes (float tensors are float32, saved with numpy.save):

  fashion_sample.npy            [16,1,28,28]  first 16 Fashion-MNIST test images (byte/255)
  fashion_sample_labels.npy     [16] int64    their labels
  lenet300.onnx                 LeNet-300-100 MLP (784-300-100-10, ReLU) trained on the 60k
                                Fashion-MNIST training images; input [N,1,28,28], dynamic N
  lenet5.onnx                   Caffe-style LeNet-5 (conv20@5x5, maxpool2, conv50@5x5,
                                maxpool2, fc500, relu, fc10), trained likewise
  firenet.onnx                  SqueezeNet-style CNN with fire modules and BatchNorm (see
                                FireNet), 61,482 params, trained likewise; input [N,1,28,28]
  {lenet300,lenet5,firenet}.input.npy    first 8 test images [8,1,28,28]
  {lenet300,lenet5,firenet}.output.npy   PyTorch logits [8,10]
  squeezenet1_1.onnx            torchvision squeezenet1_1(weights=None), torch.manual_seed(0)
                                init, eval mode, fixed input [1,3,224,224]
  squeezenet1_1.{input,output}.npy   randn [1,3,224,224] (seed 0) / logits [1,1000]
  lstm_classifier.onnx          2-layer LSTM(8->32) batch_first, last step -> Linear(32->5)
  gru_classifier.onnx           1-layer bidirectional GRU(8->32), last step -> Linear(64->5)
  {lstm,gru}_classifier.{input,output}.npy   randn [4,16,8] / logits [4,5]
  fashion_mnist_accuracy.json   top-1 accuracy and exact correct count of the trained models
                                (lenet300, lenet5, firenet) on the full 10,000-image test
                                set, as PyTorch (eval mode) computes it, plus top-1/top-2
                                logit-gap statistics (near-ties)

Fashion-MNIST preprocessing is exactly ``x = float32(byte) / 255.0f`` (the division is done
in float32, no mean/std normalisation), so C++ code can rebuild the inputs bit-exactly from
/usr/share/datasets/fashion-mnist/*-ubyte.gz.

ONNX export: opset 13, constant folding, input ``input``, output ``logits``, dynamic batch
(except SqueezeNet).  Each exported graph is then cleaned so that it only uses ops Kinglet
implements (SUPPORTED_OPS; the script fails otherwise):
  * all-zero initial_h/initial_c inputs of LSTM/GRU nodes (PyTorch builds them with a
    Shape->Gather->Unsqueeze->Concat->ConstantOfShape chain) are dropped -- in ONNX a missing
    initial state means zeros, so this is exact -- and the dead chain is removed;
  * Constant nodes become initializers.
Every final .onnx passes onnx.checker (full_check) and is executed by a small numpy ONNX
interpreter in this file (onnxruntime is not available), which must reproduce the PyTorch
outputs (also at a second batch size for dynamic-batch models).

Speed notes: Debian's torch uses the system libblas.so.3 (netlib reference BLAS by default,
< 1 GFLOP/s), so during *training only* fully-connected layers run through oneDNN
(torch's mkldnn_linear, ~10x faster) and conv models use channels_last.  Evaluation,
reference outputs, accuracy and export all use the stock PyTorch modules.

Determinism: everything is seeded (torch.manual_seed, seeded torch.Generator for shuffling
and inputs).  Results are reproducible for a fixed --threads value on the same CPU type and
torch build; the default is 1 thread because on a loaded 2-core machine 2 OpenMP threads
were measured 2-4x *slower*.  A different thread count / CPU may give slightly different
trained weights and accuracy -- always regenerate and commit all files together.
"""

import argparse
import collections
import gzip
import json
import os
import sys
import time
import warnings

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

DATA_DIR = "/usr/share/datasets/fashion-mnist"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "tests", "fixtures")

OPSET = 13

# Ops the Kinglet engine implements; exported graphs must stay inside this set.
SUPPORTED_OPS = set("""
Conv ConvTranspose Gemm MatMul BatchNormalization Relu LeakyRelu PRelu Clip Sigmoid Tanh
HardSigmoid HardSwish Elu Softmax LogSoftmax MaxPool AveragePool GlobalAveragePool
GlobalMaxPool Add Sub Mul Div Concat Split Slice Reshape Flatten Transpose Squeeze Unsqueeze
Pad Gather Identity Dropout ReduceMean LSTM GRU RNN
""".split())

# firenet must stay inside this smaller, shape-op-free set (no Shape/Gather chains).
FIRENET_OPS = set("""
Conv Gemm MatMul BatchNormalization Relu MaxPool AveragePool GlobalAveragePool GlobalMaxPool
Add Concat Flatten Reshape Identity Dropout Softmax
""".split())

# Training recipe: Adam, batch 128, per-step cosine decay of the learning rate to 0.
BATCH = 128
LR = {"lenet300": 1e-3, "lenet5": 2e-3, "firenet": 3e-3}
EPOCHS = {"lenet300": 8, "lenet5": 4, "firenet": 3}
SEED = {"lenet300": 1, "lenet5": 2, "firenet": 3}


# --------------------------------------------------------------------------- data

def read_idx(path):
    """Parse a gzipped IDX file (big-endian header) into a numpy array of uint8."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    off = 4 + 4 * ndim
    arr = np.frombuffer(data, dtype=np.uint8, offset=off)
    if arr.size != int(np.prod(dims)):
        raise ValueError("%s: size mismatch" % path)
    return arr.reshape(dims)


def load_split(split):
    """Return (images float32 [N,1,28,28] = byte/255 in float32, labels int64 [N])."""
    imgs = read_idx(os.path.join(DATA_DIR, "%s-images-idx3-ubyte.gz" % split))
    labels = read_idx(os.path.join(DATA_DIR, "%s-labels-idx1-ubyte.gz" % split))
    # float32 / float32 -> correctly rounded float32, identical to C++ `byte / 255.0f`.
    x = imgs.astype(np.float32)[:, None, :, :] / np.float32(255.0)
    assert x.dtype == np.float32
    return np.ascontiguousarray(x), labels.astype(np.int64)


# --------------------------------------------------------------------------- fast training GEMM
# Debian's torch calls the system libblas.so.3, which by default is netlib's reference BLAS
# (~0.5-1 GFLOP/s).  oneDNN (built into torch) is ~10x faster, so *during training only*
# fully-connected layers run through torch's mkldnn_linear with a hand-written backward.
# Evaluation, reference outputs, accuracy and ONNX export all use the ordinary nn.Linear path.

def _onednn_mm(a, b_t):
    """a [M,K] @ b_t[N,K]^T via oneDNN."""
    return torch._C._nn.mkldnn_linear(a.contiguous().to_mkldnn(),
                                      b_t.contiguous().to_mkldnn()).to_dense()


class _OneDNNLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return _onednn_mm(x, w) + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gx = _onednn_mm(g, w.t()) if ctx.needs_input_grad[0] else None
        return gx, _onednn_mm(g.t(), x.t()), g.sum(0)


def fc(layer, x):
    """nn.Linear forward; oneDNN-backed while training, the stock path in eval/export."""
    if layer.training and torch.backends.mkldnn.is_available():
        return _OneDNNLinear.apply(x, layer.weight, layer.bias)
    return layer(x)


# --------------------------------------------------------------------------- models

class LeNet300(nn.Module):
    """LeNet-300-100: 784-300-100-10 MLP with ReLU."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 300)
        self.fc2 = nn.Linear(300, 100)
        self.fc3 = nn.Linear(100, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = F.relu(fc(self.fc1, x))
        x = F.relu(fc(self.fc2, x))
        return fc(self.fc3, x)


class LeNet5(nn.Module):
    """Caffe-style LeNet-5: conv20@5x5, pool2, conv50@5x5, pool2, fc500, relu, fc10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(50 * 4 * 4, 500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2)
        x = F.max_pool2d(self.conv2(x), 2)
        x = torch.flatten(x, 1)
        x = F.relu(fc(self.fc1, x))
        return fc(self.fc2, x)


class Fire(nn.Module):
    """SqueezeNet fire module with BatchNorm.

    squeeze 1x1 conv -> BN -> ReLU, then expand 1x1 and expand 3x3 (pad 1) convs, Concat,
    BN over the concatenated channels, ReLU.  The convs feeding a BN have no bias.  On
    export (eval mode) PyTorch folds the squeeze BN into its Conv; the BN after the Concat
    cannot be folded into a single Conv and stays a BatchNormalization node.
    """

    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1, bias=False)
        self.squeeze_bn = nn.BatchNorm2d(squeeze)
        self.expand1x1 = nn.Conv2d(squeeze, expand, 1, bias=False)
        self.expand3x3 = nn.Conv2d(squeeze, expand, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(2 * expand)

    def forward(self, x):
        x = F.relu(self.squeeze_bn(self.squeeze(x)))
        return F.relu(self.bn(torch.cat([self.expand1x1(x), self.expand3x3(x)], 1)))


class FireNet(nn.Module):
    """SqueezeNet-style CNN for 28x28 Fashion-MNIST ("firenet").

    conv1 3x3@32 (pad 1, no bias) -> maxpool 2x2 -> BN -> ReLU            [32,14,14]
    fire1 (squeeze 16, expand 32+32)                                      [64,14,14]
    maxpool 3x3 stride 2 ceil_mode                                        [64,7,7]
    fire2 (16, 32+32) -> fire3 (32, 64+64) -> fire4 (32, 64+64)           [128,7,7]
    conv10 1x1@10 (bias) -> GlobalAveragePool -> flatten                  [10]
    No ReLU after conv10 (torchvision's SqueezeNet has one; here logits may be negative).
    The stem pools before BN/ReLU (cheaper to train at 14x14), so its BN stays a
    BatchNormalization node after the MaxPool in the exported graph.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.fire1 = Fire(32, 16, 32)
        self.fire2 = Fire(64, 16, 32)
        self.fire3 = Fire(64, 32, 64)
        self.fire4 = Fire(128, 32, 64)
        self.conv10 = nn.Conv2d(128, 10, 1)

    def forward(self, x):
        x = F.relu(self.bn1(F.max_pool2d(self.conv1(x), 2)))
        x = self.fire1(x)
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)
        x = self.fire4(self.fire3(self.fire2(x)))
        x = F.adaptive_avg_pool2d(self.conv10(x), 1)
        return torch.flatten(x, 1)


class RNNClassifier(nn.Module):
    """[N, T, F] batch_first sequence -> RNN -> output at the last time step -> Linear."""

    def __init__(self, cell, in_features=8, hidden=32, num_layers=1,
                 bidirectional=False, classes=5):
        super().__init__()
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn_cls(in_features, hidden, num_layers=num_layers,
                           batch_first=True, bidirectional=bidirectional)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), classes)

    def forward(self, x):
        y, _ = self.rnn(x)      # no initial state -> zeros
        return self.fc(y[:, -1, :])


# --------------------------------------------------------------------------- helpers

def log(msg):
    print(msg, flush=True)


def train(model, name, x_train, y_train, x_test, y_test, epochs, lr, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    # channels_last is ~30% faster for oneDNN conv / maxpool on CPU; it is a memory-layout
    # choice only (flatten and the weights are logical), undone after training.
    model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    n = xt.shape[0]
    steps = epochs * ((n + BATCH - 1) // BATCH)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    for ep in range(epochs):
        t0 = time.time()
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.numel()
        # progress only (LeNets: fast oneDNN path, train mode -- they have no dropout/BN;
        # models with BatchNorm are switched to eval mode so the running stats are used
        # and not updated with test data; model.train() is called again each epoch)
        if has_bn:
            model.eval()
        with torch.no_grad():
            pred = torch.cat([model(torch.from_numpy(x_test[i:i + 1000])).argmax(1)
                              for i in range(0, len(x_test), 1000)]).numpy()
        log("  %s epoch %d/%d  loss %.4f  test acc %.4f  (%.1fs)"
            % (name, ep + 1, epochs, total / n, float((pred == y_test).mean()),
               time.time() - t0))
    model.to(memory_format=torch.contiguous_format)
    model.eval()
    return model


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    """Return (correct count, logits [N,C] float32) in eval mode."""
    model.eval()
    outs = [model(torch.from_numpy(x[i:i + batch])) for i in range(0, len(x), batch)]
    logits = torch.cat(outs).numpy().astype(np.float32)
    correct = int((logits.argmax(1) == y).sum())
    return correct, logits


# --------------------------------------------------------------------------- graph clean-up

# Ops through which an all-zero tensor stays all-zero (data input = input 0).
_ZERO_PRESERVING = {"Slice", "Gather", "Squeeze", "Unsqueeze", "Reshape", "Transpose",
                    "Identity", "Flatten"}


def _zero_tensors(graph):
    """Names of tensors that are provably all-zero (ConstantOfShape(value=0) and views of it)."""
    zeros = set()
    for node in graph.node:  # nodes are topologically sorted
        if node.op_type == "ConstantOfShape":
            val = [a for a in node.attribute if a.name == "value"]
            if not val or not np.any(onnx.numpy_helper.to_array(val[0].t)):
                zeros.add(node.output[0])
        elif node.op_type in _ZERO_PRESERVING and node.input and node.input[0] in zeros:
            zeros.add(node.output[0])
        elif node.op_type == "Concat" and all(i in zeros for i in node.input):
            zeros.add(node.output[0])
    return zeros


def drop_zero_rnn_states(model):
    """Remove all-zero initial_h / initial_c inputs of LSTM/GRU/RNN nodes.

    PyTorch materialises the default zero state with Shape->Gather->Unsqueeze->Concat->
    ConstantOfShape (batch is dynamic).  In ONNX a missing initial_h/initial_c means zeros,
    so dropping them is exact; the now-dead shape chain is removed by remove_dead_nodes().
    """
    zeros = _zero_tensors(model.graph)
    for node in model.graph.node:
        if node.op_type in ("LSTM", "GRU", "RNN"):
            ins = list(node.input)
            for k in (5, 6):  # initial_h, initial_c
                if k < len(ins) and ins[k] in zeros:
                    ins[k] = ""
            while ins and ins[-1] == "":
                ins.pop()
            del node.input[:]
            node.input.extend(ins)


def remove_dead_nodes(model):
    g = model.graph
    live = {o.name for o in g.output}
    keep = []
    for node in reversed(g.node):
        if any(o in live for o in node.output if o):
            keep.append(node)
            live.update(i for i in node.input if i)
    keep.reverse()
    del g.node[:]
    g.node.extend(keep)
    inits = [t for t in g.initializer if t.name in live]
    del g.initializer[:]
    g.initializer.extend(inits)


def constants_to_initializers(model):
    """Turn Constant nodes (not a Kinglet op) into graph initializers."""
    g = model.graph
    keep = []
    for node in g.node:
        if node.op_type == "Constant":
            attr = node.attribute[0]
            if attr.name != "value":
                raise SystemExit("unsupported Constant attribute %s" % attr.name)
            t = onnx.TensorProto()
            t.CopyFrom(attr.t)
            t.name = node.output[0]
            g.initializer.append(t)
        else:
            keep.append(node)
    del g.node[:]
    g.node.extend(keep)


# --------------------------------------------------------------------------- numpy ONNX evaluator
# A tiny reference interpreter for exactly the ops these fixtures use.  onnxruntime is not
# available here; this checks that each *final* .onnx file (after the clean-up above)
# reproduces PyTorch's outputs under ONNX semantics (LSTM iofc gate order, GRU
# linear_before_reset, MaxPool ceil_mode, ...).

def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _im2col_conv(x, w, b, strides, pads, dilations, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (x.shape[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    out = np.zeros((n, m, oh, ow), dtype=np.float64)
    mg = m // group
    for g in range(group):
        xg = x[:, g * cg:(g + 1) * cg]
        cols = np.empty((n, cg, kh, kw, oh, ow), dtype=np.float64)
        for i in range(kh):
            for j in range(kw):
                hi, wj = i * dilations[0], j * dilations[1]
                cols[:, :, i, j] = xg[:, :, hi:hi + strides[0] * oh:strides[0],
                                      wj:wj + strides[1] * ow:strides[1]]
        wg = w[g * mg:(g + 1) * mg].reshape(mg, -1)
        out[:, g * mg:(g + 1) * mg] = np.einsum("mk,nkp->nmp", wg,
                                                cols.reshape(n, cg * kh * kw, oh * ow)
                                                ).reshape(n, mg, oh, ow)
    if b is not None:
        out += b[None, :, None, None]
    return out


def _maxpool(x, k, strides, pads, ceil_mode):
    n, c, h, w = x.shape
    outs = []
    for d, size in enumerate((h, w)):
        span = size + pads[d] + pads[d + 2] - k[d]
        o = (-(-span // strides[d]) if ceil_mode else span // strides[d]) + 1
        if ceil_mode and (o - 1) * strides[d] >= size + pads[d]:
            o -= 1
        outs.append(o)
    oh, ow = outs
    need_h = (oh - 1) * strides[0] + k[0]
    need_w = (ow - 1) * strides[1] + k[1]
    xp = np.full((n, c, max(need_h, h + pads[0]), max(need_w, w + pads[1])), -np.inf)
    xp[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + w] = x
    out = np.full((n, c, oh, ow), -np.inf)
    for i in range(k[0]):
        for j in range(k[1]):
            out = np.maximum(out, xp[:, :, i:i + strides[0] * oh:strides[0],
                                     j:j + strides[1] * ow:strides[1]])
    return out


def _rnn(op, ins, a):
    x, W, R = ins[0], ins[1], ins[2]
    B = ins[3] if len(ins) > 3 and ins[3] is not None else None
    if len(ins) > 4 and ins[4] is not None:
        raise NotImplementedError("sequence_lens")
    assert a.get("layout", 0) == 0 and "activations" not in a and "clip" not in a
    T, N, _ = x.shape
    H = a["hidden_size"]
    ndir = W.shape[0]
    h0 = ins[5] if len(ins) > 5 and ins[5] is not None else np.zeros((ndir, N, H))
    c0 = ins[6] if len(ins) > 6 and ins[6] is not None else np.zeros((ndir, N, H))
    ng = 4 if op == "LSTM" else 3
    if B is None:
        B = np.zeros((ndir, 2 * ng * H))
    Y = np.zeros((T, ndir, N, H))
    Yh, Yc = np.zeros((ndir, N, H)), np.zeros((ndir, N, H))
    direction = a.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else direction
    for d in range(ndir):
        rev = direction == "reverse" or (direction == "bidirectional" and d == 1)
        Wb, Rb = B[d, :ng * H], B[d, ng * H:]
        h, c = h0[d], c0[d]
        for t in (range(T - 1, -1, -1) if rev else range(T)):
            xw = x[t] @ W[d].T + Wb
            if op == "LSTM":
                g = xw + h @ R[d].T + Rb
                i, o, f, cc = (g[:, k * H:(k + 1) * H] for k in range(4))
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(cc)
                h = _sigmoid(o) * np.tanh(c)
            else:
                hr = h @ R[d].T
                z = _sigmoid(xw[:, :H] + hr[:, :H] + Rb[:H])
                r = _sigmoid(xw[:, H:2 * H] + hr[:, H:2 * H] + Rb[H:2 * H])
                if a.get("linear_before_reset", 0):
                    hh = np.tanh(xw[:, 2 * H:] + r * (hr[:, 2 * H:] + Rb[2 * H:]))
                else:
                    hh = np.tanh(xw[:, 2 * H:] + (r * h) @ R[d, 2 * H:].T + Rb[2 * H:])
                h = (1 - z) * hh + z * h
            Y[t, d] = h
        Yh[d], Yc[d] = h, c
    return [Y, Yh, Yc] if op == "LSTM" else [Y, Yh]


def run_onnx_numpy(model, x):
    """Evaluate an ONNX graph (float64 internally) on input x; returns the first output."""
    g = model.graph
    env = {t.name: onnx.numpy_helper.to_array(t) for t in g.initializer}
    env[g.input[0].name] = x.astype(np.float64)
    for node in g.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Gemm":
            A = ins[0].T if a.get("transA", 0) else ins[0]
            Bm = ins[1].T if a.get("transB", 0) else ins[1]
            y = a.get("alpha", 1.0) * (A @ Bm)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
            outs = [y]
        elif op == "MatMul":
            outs = [ins[0] @ ins[1]]
        elif op == "Add":
            outs = [ins[0] + ins[1]]
        elif op == "Mul":
            outs = [ins[0] * ins[1]]
        elif op == "Relu":
            outs = [np.maximum(ins[0], 0)]
        elif op in ("Identity", "Dropout"):
            outs = [ins[0]]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            outs = [ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)]
        elif op == "Conv":
            k = ins[1].shape[2:]
            outs = [_im2col_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                                 a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]),
                                 a.get("dilations", [1, 1]), a.get("group", 1))]
            assert list(a.get("kernel_shape", k)) == list(k)
        elif op == "MaxPool":
            assert a.get("dilations", [1, 1]) == [1, 1] and a.get("auto_pad", b"NOTSET") in (
                b"NOTSET", "NOTSET")
            outs = [_maxpool(ins[0], a["kernel_shape"], a.get("strides", [1, 1]),
                             a.get("pads", [0, 0, 0, 0]), a.get("ceil_mode", 0))]
        elif op == "BatchNormalization":
            assert len(node.output) == 1 and not a.get("training_mode", 0)
            xb, sc, bb, mean, var = ins[:5]
            shp = (1, -1) + (1,) * (xb.ndim - 2)
            outs = [(xb - mean.reshape(shp)) / np.sqrt(var.reshape(shp) + a.get(
                "epsilon", 1e-5)) * sc.reshape(shp) + bb.reshape(shp)]
        elif op == "GlobalAveragePool":
            outs = [ins[0].mean(axis=(2, 3), keepdims=True)]
        elif op == "Concat":
            outs = [np.concatenate(ins, axis=a["axis"])]
        elif op == "Transpose":
            outs = [np.transpose(ins[0], a.get("perm"))]
        elif op == "Reshape":
            shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(ins[1])]
            outs = [ins[0].reshape(shape)]
        elif op == "Squeeze":
            outs = [np.squeeze(ins[0], axis=tuple(int(v) for v in ins[1]))]
        elif op == "Unsqueeze":
            y = ins[0]
            for ax in sorted(int(v) % (y.ndim + len(ins[1])) for v in ins[1]):
                y = np.expand_dims(y, ax)
            outs = [y]
        elif op == "Gather":
            outs = [np.take(ins[0], ins[1].astype(np.int64), axis=a.get("axis", 0))]
        elif op == "Slice":
            data = ins[0]
            axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(ins[1]))
            steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(ins[1])
            sl = [slice(None)] * data.ndim
            for st, en, ax, sp in zip(ins[1], ins[2], axes, steps):
                n = data.shape[ax]
                st = int(max(min(st, n), -n)) if abs(st) < 2 ** 62 else (0 if st < 0 else n)
                en = int(max(min(en, n), -n - 1)) if abs(en) < 2 ** 62 else (
                    -n - 1 if en < 0 else n)
                sl[int(ax)] = slice(st, en if en != -n - 1 else None, int(sp))
            outs = [data[tuple(sl)]]
        elif op in ("LSTM", "GRU"):
            outs = _rnn(op, ins, a)
        else:
            raise NotImplementedError(op)
        for name, val in zip(node.output, outs):
            if name:
                env[name] = val
    return env[g.output[0].name]


def export(model, example, path, dynamic_batch):
    model.eval()
    kwargs = dict(opset_version=OPSET, do_constant_folding=True,
                  input_names=["input"], output_names=["logits"])
    if dynamic_batch:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "logits": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(model, (example,), path, **kwargs)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    drop_zero_rnn_states(m)
    constants_to_initializers(m)
    remove_dead_nodes(m)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    hist = collections.Counter(node.op_type for node in m.graph.node)
    bad = sorted(set(hist) - SUPPORTED_OPS)
    log("  %s: %d nodes, ops %s" % (os.path.basename(path), len(m.graph.node),
                                    dict(sorted(hist.items()))))
    if bad:
        raise SystemExit("ERROR: %s uses unsupported ops %s" % (path, bad))
    return dict(sorted(hist.items()))


def verify_onnx(path, model, x_ref, y_ref, dynamic_batch):
    """Check the final .onnx file with the numpy evaluator against PyTorch outputs."""
    m = onnx.load(path)
    cases = [(x_ref, y_ref)]
    if dynamic_batch:  # also a different batch size than the export example / reference
        xb = np.concatenate([x_ref, x_ref[:1] * np.float32(0.5)])[-3:]
        with torch.no_grad():
            cases.append((xb, model.eval()(torch.from_numpy(xb)).numpy()))
    worst = 0.0
    for x, y in cases:
        got = run_onnx_numpy(m, x)
        if got.shape != y.shape:
            raise SystemExit("ERROR: %s numpy-ONNX shape %s != torch %s"
                             % (path, got.shape, y.shape))
        err = float(np.max(np.abs(got - y)) / max(1e-6, float(np.max(np.abs(y)))))
        worst = max(worst, err)
    if worst > 1e-4:
        raise SystemExit("ERROR: %s numpy-ONNX vs torch rel. err %.3g" % (path, worst))
    log("  %s: numpy ONNX evaluation matches PyTorch (max rel err %.2g, batches %s)"
        % (os.path.basename(path), worst, [c[0].shape[0] for c in cases]))


def save_ref(out, name, model, x):
    x = np.ascontiguousarray(x, dtype=np.float32)
    with torch.no_grad():
        y = model.eval()(torch.from_numpy(x)).numpy().astype(np.float32)
    np.save(os.path.join(out, name + ".input.npy"), x)
    np.save(os.path.join(out, name + ".output.npy"), y)
    return y


def margin_stats(logits):
    """Top-1 minus top-2 logit gap: tells how fragile the argmax is to tiny numeric drift."""
    s = np.sort(logits, axis=1)
    gap = s[:, -1] - s[:, -2]
    return {"min_top2_gap": float(gap.min()),
            "num_top2_gap_below_1e-4": int((gap < 1e-4).sum()),
            "num_top2_gap_below_1e-3": int((gap < 1e-3).sum())}


# --------------------------------------------------------------------------- firenet

def build_firenet(out, x_train, y_train, x_test, y_test, hists):
    """Train + export the fire-module CNN; returns its fashion_mnist_accuracy.json entry."""
    name = "firenet"
    t0 = time.time()
    torch.manual_seed(SEED[name])
    model = FireNet()
    log("training %s (%d params)" % (name, sum(p.numel() for p in model.parameters())))
    train(model, name, x_train, y_train, x_test, y_test, EPOCHS[name], LR[name], SEED[name])
    correct, logits = evaluate(model, x_test, y_test)
    entry = {
        "top1": round(correct / len(y_test), 6),
        "correct": correct,
        "total": int(len(y_test)),
        "epochs": EPOCHS[name],
        "lr": LR[name],
    }
    entry.update(margin_stats(logits))
    log("  %s: test top-1 %d/%d = %.4f (PyTorch eval path; %.0fs incl. training)"
        % (name, correct, len(y_test), correct / len(y_test), time.time() - t0))
    y = save_ref(out, name, model, x_test[:8])
    path = os.path.join(out, name + ".onnx")
    hists[name] = export(model, torch.from_numpy(x_test[:2]), path, dynamic_batch=True)
    bad = sorted(set(hists[name]) - FIRENET_OPS)
    if bad:
        raise SystemExit("ERROR: %s uses ops outside FIRENET_OPS: %s" % (path, bad))
    for node in onnx.load(path).graph.node:  # BN must be in inference form (1 output)
        if node.op_type == "BatchNormalization" and len(node.output) != 1:
            raise SystemExit("ERROR: %s has a training-mode BatchNormalization" % path)
    verify_onnx(path, model, x_test[:8], y, dynamic_batch=True)
    return entry


def write_accuracy(out, accuracy):
    with open(os.path.join(out, "fashion_mnist_accuracy.json"), "w") as f:
        json.dump(accuracy, f, indent=2, sort_keys=True)
        f.write("\n")


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output dir (default tests/fixtures)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads (default 1; results are reproducible for a "
                         "fixed thread count, and 1 thread is fastest on a loaded 2-core box)")
    ap.add_argument("--only", choices=["firenet"],
                    help="build only this model: writes only its .onnx/.input.npy/"
                         ".output.npy and replaces only its entry in an existing "
                         "fashion_mnist_accuracy.json; no other file is touched")
    args = ap.parse_args()
    # torch.onnx chatter (shape-inference notes, "batch_size other than 1 with LSTM" -- the
    # latter is covered by verify_onnx() running a second batch size).
    warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")
    out = args.out
    os.makedirs(out, exist_ok=True)

    t_start = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    np.random.seed(0)
    log("torch %s, torchvision %s, onnx %s, numpy %s, threads %d"
        % (torch.__version__, torchvision.__version__, onnx.__version__,
           np.__version__, torch.get_num_threads()))

    x_train, y_train = load_split("train")
    x_test, y_test = load_split("t10k")
    log("Fashion-MNIST: train %s, test %s" % (x_train.shape, x_test.shape))

    if args.only == "firenet":
        hists = {}
        acc_path = os.path.join(out, "fashion_mnist_accuracy.json")
        with open(acc_path) as f:
            accuracy = json.load(f)
        accuracy["firenet"] = build_firenet(out, x_train, y_train, x_test, y_test, hists)
        write_accuracy(out, accuracy)
        log("\nop histogram:\n  %-16s %s" % ("firenet", hists["firenet"]))
        log("\naccuracy: firenet %.4f (%d)"
            % (accuracy["firenet"]["top1"], accuracy["firenet"]["correct"]))
        for fn in ("firenet.onnx", "firenet.input.npy", "firenet.output.npy"):
            log("  %10d  %s" % (os.path.getsize(os.path.join(out, fn)), fn))
        log("done in %.1fs" % (time.time() - t_start))
        return 0

    np.save(os.path.join(out, "fashion_sample.npy"), x_test[:16])
    np.save(os.path.join(out, "fashion_sample_labels.npy"), y_test[:16])

    hists = {}
    accuracy = {}

    # ---- LeNets (trained) -------------------------------------------------
    for name, cls in (("lenet300", LeNet300), ("lenet5", LeNet5)):
        seed = SEED[name]
        t0 = time.time()
        torch.manual_seed(seed)
        model = cls()
        log("training %s (%d params)" % (name, sum(p.numel() for p in model.parameters())))
        train(model, name, x_train, y_train, x_test, y_test, EPOCHS[name], LR[name], seed)
        correct, logits = evaluate(model, x_test, y_test)
        accuracy[name] = {
            "top1": round(correct / len(y_test), 6),
            "correct": correct,
            "total": int(len(y_test)),
            "epochs": EPOCHS[name],
            "lr": LR[name],
        }
        accuracy[name].update(margin_stats(logits))
        log("  %s: test top-1 %d/%d = %.4f (PyTorch eval path; %.0fs incl. training)"
            % (name, correct, len(y_test), correct / len(y_test), time.time() - t0))
        y = save_ref(out, name, model, x_test[:8])
        path = os.path.join(out, name + ".onnx")
        hists[name] = export(model, torch.from_numpy(x_test[:2]), path, dynamic_batch=True)
        verify_onnx(path, model, x_test[:8], y, dynamic_batch=True)

    # ---- firenet (trained; SqueezeNet-style fire modules + BatchNorm) ---------
    accuracy["firenet"] = build_firenet(out, x_train, y_train, x_test, y_test, hists)

    accuracy["_preprocessing"] = "x = float32(byte) / 255.0f, no normalisation"
    accuracy["_data"] = DATA_DIR + "/t10k-{images-idx3,labels-idx1}-ubyte.gz"
    write_accuracy(out, accuracy)

    # ---- SqueezeNet 1.1 (random init) --------------------------------------
    torch.manual_seed(0)
    sq = torchvision.models.squeezenet1_1(weights=None).eval()
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0)).numpy()
    y = save_ref(out, "squeezenet1_1", sq, x)
    path = os.path.join(out, "squeezenet1_1.onnx")
    hists["squeezenet1_1"] = export(sq, torch.from_numpy(x), path, dynamic_batch=False)
    verify_onnx(path, sq, x, y, dynamic_batch=False)

    # ---- RNN classifiers (random init) -------------------------------------
    rnn_specs = (
        ("lstm_classifier", dict(cell="lstm", num_layers=2, bidirectional=False), 10),
        ("gru_classifier", dict(cell="gru", num_layers=1, bidirectional=True), 11),
    )
    for name, spec, seed in rnn_specs:
        torch.manual_seed(seed)
        model = RNNClassifier(**spec).eval()
        x = torch.randn(4, 16, 8, generator=torch.Generator().manual_seed(seed)).numpy()
        y = save_ref(out, name, model, x)
        path = os.path.join(out, name + ".onnx")
        hists[name] = export(model, torch.from_numpy(x), path, dynamic_batch=True)
        verify_onnx(path, model, x, y, dynamic_batch=True)

    # ---- summary -------------------------------------------------------------
    log("\nop histograms:")
    for name, h in hists.items():
        log("  %-16s %s" % (name, h))
    log("\naccuracy: lenet300 %.4f (%d), lenet5 %.4f (%d), firenet %.4f (%d)"
        % (accuracy["lenet300"]["top1"], accuracy["lenet300"]["correct"],
           accuracy["lenet5"]["top1"], accuracy["lenet5"]["correct"],
           accuracy["firenet"]["top1"], accuracy["firenet"]["correct"]))
    log("\nfiles in %s:" % out)
    total = 0
    for fn in sorted(os.listdir(out)):
        sz = os.path.getsize(os.path.join(out, fn))
        total += sz
        log("  %10d  %s" % (sz, fn))
    log("  %10d  total" % total)
    log("done in %.1fs" % (time.time() - t_start))


if __name__ == "__main__":
    sys.exit(main())
