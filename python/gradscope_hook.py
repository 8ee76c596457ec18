"""gradscope_hook: record the gradient flow of any PyTorch model into a gradscope run directory.

One file, depending on nothing but torch. Usage::

    import gradscope_hook
    with gradscope_hook.watch(model, "runs/mine", every=1, optimizer=opt) as handle:
        for x, y in batches:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            handle.step(loss)          # after optimizer.step()

then ``gradscope diagnose runs/mine`` (or ``report``). ``watch`` registers forward hooks on
every module that owns parameters (Linear, Conv, Embedding, LayerNorm, MultiheadAttention,
custom modules with raw nn.Parameter, ...) and, on recorded steps only, a gradient hook on
each module's output. Every ``every`` steps (and step 1, and the first step whose loss or
gradient is NaN/Inf) it appends one line to metrics.jsonl with, per module, the metrics of
docs/METRICS.md (``q``, ``gradPreactMeanSq``, ``gradWeightNorm``, ``gradToWeight``,
``updateRatio``, activation statistics, saturated and dead fractions, non-finite counts) and
log-binned histograms, plus the loss and the global gradient norm.

The directory is written as it goes: summary.json at once (status "running") and atomically
(temporary file + rename) every few seconds; config.json at once and again, atomically, when
the first forward pass has shown the modules' order; metrics.jsonl one line per recorded step,
each written with a single unbuffered write(), so a killed run leaves a readable directory. NaN
and Inf are written as the strings "NaN", "Infinity" and "-Infinity" (JSON has none).

Statistics are computed with torch ops on the tensors' own device, without autograd, and moved
to the host once per recorded step (on CPU, where a read is no device sync, they are read as
they are computed; see _Stats). q, gradPreactMeanSq, the parameter metrics, dead units and
NaN/Inf counts are over every entry; the statistics of an activation (mean, std, saturated,
low-derivative and inactive fractions) of a tensor above ``activation_sample`` entries come
from a fixed regular sample of it (_Plan), and histograms are binned every ``hist_every``-th
recorded step; config.json states both. On steps that are not recorded the hooks return at once and only
the loss and the global gradient norm are read (to catch an explosion). python/README.md
documents the fields, the files and the measured overhead.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import sys
import time
import weakref
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["watch", "Handle", "HOOK_VERSION"]

HOOK_VERSION = 1

# Seconds between rewrites of summary.json while the run goes.
SUMMARY_INTERVAL = 2.0

# ---------------------------------------------------------------------------------------------
# Activations: recognised modules, their derivative and facts (docs/METRICS.md).


class _Activation:
    """An activation applied right after a watched module: its name (gradscope's names), the
    largest value of its derivative, whether it is bounded (sigmoid, tanh: the `saturated`
    metric applies) and phi'(u) from its input u and output a."""

    def __init__(self, name: str, max_derivative: float, bounded: bool = False, **params: Any):
        self.name = name
        self.max_derivative = max_derivative
        self.bounded = bounded
        self.params = params
        # phi'(u) = 0 exactly where phi(u) = 0: ReLU's derivative needs no tensor of its own.
        self.zero_is_inactive = name == "relu"

    def value(self, z: torch.Tensor, out: Optional[torch.Tensor] = None) -> torch.Tensor:
        """phi(z), for activations applied functionally (not as a module); ReLU writes `out`."""
        if self.name == "relu":
            return torch.clamp(z, min=0, out=out) if out is not None else torch.relu(z)
        if self.name == "gelu":
            return F.gelu(z, approximate=self.params.get("approximate", "none"))
        raise ValueError(self.name)

    def derivative(self, u: Optional[torch.Tensor], a: torch.Tensor) -> torch.Tensor:
        """phi'(u) as PyTorch's backward uses it (phi'(0) = 0 for ReLU). `u` may be None (an
        in-place activation overwrote it): then only activations whose derivative is a
        function of their output are supported, which covers every in-place module."""
        n = self.name
        p = self.params
        if n == "sigmoid":
            return a * (1 - a)
        if n == "tanh":
            return 1 - a * a
        if n == "relu":
            return (a > 0).to(a.dtype)
        if n == "leaky-relu":
            s = p["slope"]
            pos = (a > 0) if s >= 0 else (u > 0)  # type: ignore[operator]
            return torch.where(pos, torch.ones_like(a), torch.full_like(a, s))
        if n == "elu":
            alpha = p["alpha"]
            return torch.where(a > 0, torch.ones_like(a), a + alpha)
        if n == "selu":
            scale, alpha = p["scale"], p["alpha"]
            return torch.where(a > 0, torch.full_like(a, scale), a + scale * alpha)
        if n == "softplus":
            beta, threshold = p["beta"], p["threshold"]
            if u is None:
                return -torch.expm1(-beta * a)
            bu = beta * u
            return torch.where(bu > threshold, torch.ones_like(u), torch.sigmoid(bu))
        if n == "swish":
            s = torch.sigmoid(u)  # type: ignore[arg-type]
            return s * (1 + u * (1 - s))  # type: ignore[operator]
        if n == "gelu":
            if p.get("approximate", "none") == "tanh":
                k = math.sqrt(2 / math.pi)
                inner = k * (u + 0.044715 * u**3)  # type: ignore[operator]
                t = torch.tanh(inner)
                return 0.5 * (1 + t) + 0.5 * u * (1 - t * t) * k * (1 + 3 * 0.044715 * u * u)  # type: ignore[operator]
            cdf = 0.5 * (1 + torch.erf(u / math.sqrt(2)))  # type: ignore[operator]
            pdf = torch.exp(-0.5 * u * u) / math.sqrt(2 * math.pi)  # type: ignore[operator]
            return cdf + u * pdf  # type: ignore[operator]
        raise ValueError(n)


_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def _activation_of_module(m: nn.Module) -> Optional[_Activation]:
    """The activation an activation module computes, or None for other modules."""
    if isinstance(m, nn.Sigmoid):
        return _Activation("sigmoid", 0.25, bounded=True)
    if isinstance(m, nn.Tanh):
        return _Activation("tanh", 1.0, bounded=True)
    if isinstance(m, nn.ReLU):
        return _Activation("relu", 1.0)
    if isinstance(m, nn.LeakyReLU):
        s = float(m.negative_slope)
        return _Activation("leaky-relu", max(1.0, s), slope=s)
    if isinstance(m, nn.ELU):
        return _Activation("elu", max(1.0, float(m.alpha)), alpha=float(m.alpha))
    if isinstance(m, nn.SELU):
        return _Activation("selu", _SELU_SCALE * _SELU_ALPHA, scale=_SELU_SCALE, alpha=_SELU_ALPHA)
    if isinstance(m, nn.GELU):
        return _Activation("gelu", 1.1289, approximate=getattr(m, "approximate", "none"))
    if isinstance(m, nn.SiLU):
        return _Activation("swish", 1.0998)
    if isinstance(m, nn.Softplus):
        return _Activation("softplus", 1.0, beta=float(m.beta), threshold=float(m.threshold))
    return None


def _declared_activations(model: nn.Module) -> Dict[int, _Activation]:
    """Activations applied as functions inside known torch modules: TransformerEncoderLayer and
    TransformerDecoderLayer apply `activation` (F.relu or F.gelu by default) to linear1's
    output. Keyed by id of the module the activation follows."""
    out: Dict[int, _Activation] = {}
    layer_types = tuple(
        t for t in (getattr(nn, "TransformerEncoderLayer", None), getattr(nn, "TransformerDecoderLayer", None)) if t
    )
    for m in model.modules():
        if not isinstance(m, layer_types):
            continue
        fn = getattr(m, "activation", None)
        lin = getattr(m, "linear1", None)
        if lin is None or isinstance(fn, nn.Module):
            continue  # a module activation is seen by its own hook
        if fn is F.relu or fn is torch.relu:
            out[id(lin)] = _Activation("relu", 1.0)
        elif fn is F.gelu:
            out[id(lin)] = _Activation("gelu", 1.1289, approximate="none")
    return out


# ---------------------------------------------------------------------------------------------
# Tensor statistics. Every function returns tensors on the input's device; nothing is moved to
# the host here, except on CPU where a cheap scalar test skips a pass that cannot count anything
# (a non-finite count when the sum of squares is finite, ...). On GPU every pass runs (no sync).

_FLOAT_BITS = {
    # dtype: (integer view, exponent shift, exponent field max, exponent bias, mantissa bits)
    torch.float32: (torch.int32, 23, 255, 127, 23),
    torch.float64: (torch.int64, 52, 2047, 1023, 52),
    torch.float16: (torch.int16, 10, 31, 15, 10),
    torch.bfloat16: (torch.int16, 7, 255, 127, 7),
}
_ABS_MASK = {torch.int32: 0x7FFFFFFF, torch.int64: 0x7FFFFFFFFFFFFFFF, torch.int16: 0x7FFF}


def _bin_edge(dtype: torch.dtype, b: int) -> float:
    """Lower edge of exponent bin b (b = 0 holds the subnormal numbers)."""
    _, _, _, bias, mant = _FLOAT_BITS[dtype]
    if b == 0:
        return math.ldexp(1.0, 1 - bias - mant)
    if b - bias >= 1024:  # the top of float64's last bin, 2^1024: its largest finite value
        return sys.float_info.max
    return math.ldexp(1.0, b - bias)


# Activation statistics (mean, std, saturated/low-derivative/inactive fractions) and the
# histograms of a large tensor are computed from a fixed systematic sample of at most this many
# entries per tensor and call: every k-th entry from the first, k = ceil(n / ACTIVATION_SAMPLE)
# raised until coprime with the row length (so that every unit is visited), the same positions
# every step. A tensor of at most ACTIVATION_SAMPLE entries is used whole (exact). watch(...,
# activation_sample=) overrides it; config.json states it ("activationSample").
ACTIVATION_SAMPLE = 1 << 16

# Histograms are binned on the first recorded step and every HIST_EVERY-th recorded step after
# it (watch(..., hist_every=); config.json "histEvery"), from every m-th entry of the tensor's
# sample, at most HIST_SAMPLE entries (binning costs ~15 ns an entry: 65536 entries of each of
# 30 tensors would take 30 ms).
HIST_EVERY = 10
HIST_SAMPLE = 1 << 12


def _hist_sample(s: torch.Tensor) -> torch.Tensor:
    """At most HIST_SAMPLE entries of the (flat) sample s, every m-th: a copy."""
    n = s.numel()
    return s[:: -(-n // HIST_SAMPLE)].clone() if n > HIST_SAMPLE else s.clone()


class _Plan:
    """The sample of one tensor shape. The tensor is viewed as [outer, units, inner] (units:
    output features, the last dimension, or a convolution's channels, with inner its spatial
    positions), inner cut in blocks of up to 16 consecutive entries (a 64-byte cache line of
    float32: the sample reads about 1/k of the tensor's memory, where single entries every
    k-th would read every line). The sample keeps every unit, every ko-th outer index and every
    ki-th block (ko coprime with the second-last dimension, ki with the blocks of a row, so that
    every position along them is visited), the same entries every step: a regular sub-tensor
    [outer / ko, units, blocks / ki, block], whose sums per unit are one reduction. A tensor of
    at most `limit` entries is taken whole."""

    __slots__ = ("k", "ko", "ki", "view", "count", "dims", "sdims")

    def __init__(self, shape: torch.Size, fdim: int, limit: int):
        n = 1
        for size in shape:
            n *= size
        self.dims = [i for i in range(len(shape)) if i != fdim]
        self.sdims = [0, 2, 3]
        outer = 1
        for size in shape[:fdim]:
            outer *= size
        units = shape[fdim] if shape else 1
        inner = n // max(outer * units, 1) if n else 1
        block = next(b for b in (64, 32, 16, 8, 4, 2, 1) if inner % b == 0)
        nb = inner // block
        self.view = (outer, units, nb, block)
        self.k = 1
        self.ko = self.ki = 1
        self.count = n
        if n <= limit or n == 0:
            return
        r = -(-n // limit)  # reduction needed
        row_blocks = shape[-1] // block if fdim < len(shape) - 1 and shape[-1] % block == 0 else 1
        ki = min(r, nb)
        while ki < nb and ki > 1 and math.gcd(ki, row_blocks) != 1:
            ki += 1
        ko = -(-r // ki) if ki > 0 else r
        ko = min(ko, outer)
        period = shape[fdim - 1] if fdim >= 1 else 1
        while ko < outer and ko > 1 and math.gcd(ko, period) != 1:
            ko += 1
        while -(-outer // ko) * units * -(-nb // ki) * block > limit and ko < outer:
            ko += 1
        self.ko, self.ki = ko, ki
        self.k = ko * ki
        self.count = -(-outer // ko) * units * -(-nb // ki) * block

    def take(self, x: torch.Tensor) -> torch.Tensor:
        """The sample of x as a [outer', units, blocks', block] tensor (a view of x, not copied,
        when taken whole)."""
        v = x.reshape(self.view)
        if self.k == 1:
            return v
        return v[:: self.ko, :, :: self.ki].contiguous()


_PLANS: Dict[Any, _Plan] = {}


def _plan(x: torch.Tensor, fdim: int, limit: int) -> _Plan:
    key = (x.shape, fdim, limit)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) > 1024:
            _PLANS.clear()
        plan = _PLANS[key] = _Plan(x.shape, fdim, limit)
    return plan


_CHUNK = 4096


def _sum_squares(x: torch.Tensor) -> torch.Tensor:
    """Sum of squares of x as a float64 scalar, without a temporary the size of x: L2 norms of
    rows of at most ~4096 entries (the trailing dimensions; a float32 norm of a row is exact to
    ~1e-7), squared and summed in float64. (x * x).sum() would allocate a copy of x, whose page
    faults cost more than the sum on CPU; one vector_norm over everything loses ~1e-4 relative
    at 10^7 entries.)"""
    n = x.numel()
    row = _rows(x)
    if n == 0:
        return torch.zeros((), dtype=torch.float64, device=x.device)
    if row > 16 * _CHUNK:  # a long last dimension (or a vector): chunks, then the rest
        f = x.reshape(-1)
        m = n - n % _CHUNK
        head = torch.linalg.vector_norm(f[:m].view(-1, _CHUNK), dim=1)
        return torch.linalg.vector_norm(torch.cat([head, torch.linalg.vector_norm(f[m:]).reshape(1)]), dtype=torch.float64).square()
    norms = torch.linalg.vector_norm(x.reshape(-1, row), dim=1)
    return torch.linalg.vector_norm(norms, dtype=torch.float64).square()


def _sum_squares_float(x: torch.Tensor) -> float:
    """_sum_squares(x) read as a Python float (CPU): the row norms' float64 norm, squared on the
    host (one op fewer on the hot path)."""
    row = _rows(x)
    if row > 16 * _CHUNK or x.numel() == 0:
        return float(_sum_squares(x))
    norm = float(torch.linalg.vector_norm(torch.linalg.vector_norm(x.reshape(-1, row), dim=1), dtype=torch.float64))
    return norm * norm


def _rows(x: torch.Tensor) -> int:
    """Length of the rows x is cut into for sums: its trailing dimensions, up to ~4096 entries
    (at least the last dimension)."""
    shape = x.shape
    row = _ROWS.get(shape)
    if row is None:
        row = 1
        for size in reversed(shape):
            if row > 1 and row * size > _CHUNK:
                break
            row *= size
        if len(_ROWS) > 1024:
            _ROWS.clear()
        _ROWS[shape] = row
    return row


_ROWS: Dict[Any, int] = {}  # row length by shape


def _precise_moments(x: torch.Tensor, s: float, v: float) -> Tuple[float, float]:
    """(sum, sum of squares) of x from float32-accurate ones, redone in float64 about the mean
    when the spread is tiny against the mean (var < 1e-3 of the mean square: the difference of
    the float32 sums would lose it, e.g. a batch-norm gain of ones, saturated sigmoids)."""
    n = x.numel()
    if not n or not (math.isfinite(s) and math.isfinite(v)) or v / n - (s / n) ** 2 >= 1e-3 * v / n:
        return s, v
    d = x.detach().double()
    m = float(d.mean())
    c = float(_sum_squares(d - m))
    return m * n, c + n * m * m


def _precise_moments_many(tensors: List[torch.Tensor]) -> List[Tuple[float, float]]:
    """(sum, sum of squares) of each tensor, in float64 about its mean (_precise_moments), for
    all of them in a few ops: one float64 copy of them all, sums per tensor by index_add."""
    if len(tensors) == 1 or any(t.device != tensors[0].device for t in tensors):
        out = []
        for t in tensors:
            d = t.detach().double()
            m = float(d.mean())
            out.append((m * t.numel(), float(_sum_squares(d - m)) + t.numel() * m * m))
        return out
    sizes = tuple(t.numel() for t in tensors)
    dev = tensors[0].device
    flat = torch.cat([t.detach().reshape(-1).double() for t in tensors])
    key = (dev, sizes)
    seg = _SEGMENT_IDS.get(key)
    if seg is None:
        if len(_SEGMENT_IDS) > 64:
            _SEGMENT_IDS.clear()
        seg = _SEGMENT_IDS[key] = torch.repeat_interleave(
            torch.arange(len(sizes), device=dev), torch.tensor(sizes, device=dev)
        )
    counts = torch.tensor(sizes, dtype=torch.float64, device=dev)
    k = len(sizes)
    means = torch.zeros(k, dtype=torch.float64, device=dev).index_add_(0, seg, flat).div_(counts)
    centered = flat.sub_(means[seg]).square_()
    c = torch.zeros(k, dtype=torch.float64, device=dev).index_add_(0, seg, centered)
    host = torch.cat([means, c]).tolist()
    return [(m * n, cc + n * m * m) for m, cc, n in zip(host[:k], host[k:], sizes)]


_SEGMENT_IDS: Dict[Any, torch.Tensor] = {}  # tensor index of each entry, by (device, sizes)


def _norms(tensors: List[torch.Tensor]) -> List[torch.Tensor]:
    """L2 norm of each tensor (one foreach call when torch has it and the tensors allow)."""
    if hasattr(torch, "_foreach_norm"):
        try:
            return list(torch._foreach_norm(tensors))
        except (RuntimeError, TypeError):
            pass
    return [torch.linalg.vector_norm(t) for t in tensors]


def _exact_sum(x: torch.Tensor) -> torch.Tensor:
    """float64 sum of small integers held in x (counts): rows of <= 4096 sum exactly in float32,
    their sums add up exactly in float64."""
    row = _rows(x)
    if x.numel() == 0:
        return torch.zeros((), dtype=torch.float64, device=x.device)
    if row > _CHUNK:
        return x.reshape(-1).double().sum()
    return x.reshape(-1, row).sum(dim=1).sum(dtype=torch.float64)


class _Stats:
    """Tensor statistics with the device policy. On CPU (`lazy`), reading a scalar is not a
    device sync: statistics are Python floats as soon as computed, sums of squares are taken in
    the tensor's dtype (float32 norms of rows of <= 4096 entries, relative error ~1e-7) and
    redone in float64 only when the float32 result may have overflowed or underflowed, and
    passes that can only count zeros (NaN/Inf counts when the sum is finite, dead units when no
    derivative is zero) are skipped. Elsewhere (`lazy` False, GPUs) every statistic is a
    float64 tensor, every pass runs, and the step's statistics are stacked and moved to the host
    once."""

    def __init__(self, lazy: bool, acc: torch.dtype):
        self.lazy = lazy
        self.acc = acc
        self._bufs: Dict[Tuple[int, torch.dtype, torch.device], torch.Tensor] = {}
        self._zeros: Dict[torch.device, torch.Tensor] = {}
        self._views: Dict[Any, torch.Tensor] = {}

    def need(self, flag: Any) -> bool:
        return (not self.lazy) or bool(flag)

    def val(self, t: torch.Tensor) -> Any:
        """A statistic: a float (lazy) or an accumulation-dtype tensor."""
        return float(t) if self.lazy else t.to(self.acc)

    def pack(self, *values: Any) -> Any:
        """The statistics of one call: a tuple of floats (lazy) or one stacked tensor."""
        return tuple(values) if self.lazy else torch.stack(values)

    def zero_of(self, device: torch.device) -> Any:
        return 0.0 if self.lazy else self.zero(device)

    def sums(self, x: torch.Tensor, want_sum: bool = True) -> Tuple[torch.Tensor, torch.Tensor, Optional[bool]]:
        """(sum, sum of squares, finite) of x, the sums as accumulation-dtype scalars; `finite`
        is whether the sum of squares is finite (None when not read: eager mode)."""
        if not self.lazy:
            d = x.to(self.acc)
            return (d.sum() if want_sum else self.zero(x.device)), (d * d).sum(), None
        if x.dtype in (torch.float16, torch.bfloat16):
            x = x.float()
        v = _sum_squares_float(x)
        if x.dtype != torch.float64 and not (x.numel() * 1e-30 <= v < math.inf):
            x = x.double()  # squares may have overflowed or underflowed float32
            v = _sum_squares_float(x)
        if not want_sum:
            return 0.0, v, math.isfinite(v)
        s = float(x.sum())
        return (*_precise_moments(x, s, v), math.isfinite(v))

    def nonfinite(self, x: torch.Tensor, finite: Optional[bool]) -> torch.Tensor:
        """Count of NaN/Inf in x (none when its sum of squares is finite)."""
        if finite:
            return self.zero_of(x.device)
        return self.val((~torch.isfinite(x)).sum())

    def zero(self, device: torch.device) -> torch.Tensor:
        """A 0-d zero of the accumulation dtype (shared: only ever read)."""
        z = self._zeros.get(device)
        if z is None:
            z = self._zeros[device] = torch.zeros((), dtype=self.acc, device=device)
        return z

    def scratch(self, x: torch.Tensor, slot: int) -> torch.Tensor:
        """A reusable buffer shaped like x (two slots per dtype and device): elementwise
        passes write into it instead of allocating a temporary the size of an activation, whose
        page faults would cost more than the pass on CPU."""
        shape = x.shape
        view = self._views.get((slot, shape, x.dtype, x.device))
        if view is not None:
            return view
        key = (slot, x.dtype, x.device)
        buf = self._bufs.get(key)
        n = x.numel()
        if buf is None or buf.numel() < n:
            buf = torch.empty(n, dtype=x.dtype, device=x.device)
            self._bufs[key] = buf
            self._views = {k: v for k, v in self._views.items() if k[0] != slot or k[2:] != key[1:]}
        view = self._views[(slot, shape, x.dtype, x.device)] = buf[:n].view(shape)
        return view

    def count_nonzero(self, x: torch.Tensor, finite: Optional[bool]) -> torch.Tensor:
        """Number of nonzero entries of x >= 0 (NaN counts as nonzero)."""
        if not finite or not self.lazy:
            return self.val((x != 0).sum())
        b = self.scratch(x, 1)
        torch.sign(x, out=b)
        return float(_exact_sum(b))

    def count_below(self, x: torch.Tensor, threshold: float, finite: Optional[bool]) -> torch.Tensor:
        """Number of entries of x below `threshold`."""
        if not finite or not self.lazy:
            return self.val((x < threshold).sum())
        b = self.scratch(x, 1)
        torch.sub(x, threshold, out=b)
        b.clamp_(max=0).sign_()  # -1 below the threshold, 0 elsewhere
        return -float(_exact_sum(b))


def _histograms(samples: List[torch.Tensor], keys: List[int], n_keys: int) -> torch.Tensor:
    """Counts of |x| per binary exponent for samples of one dtype, summed per key: a
    [n_keys, bins] tensor whose row holds bin 0 (subnormal numbers), one bin per exponent, the
    Inf/NaN bin, then the exact zeros. One bincount for every sample of the step."""
    x = torch.cat(samples)
    idt, shift, emax, _, _ = _FLOAT_BITS[x.dtype]
    nb = emax + 2
    e = torch.bitwise_and(x.view(idt), _ABS_MASK[idt]) >> shift
    e = e.to(torch.int32).masked_fill_(x == 0, emax + 1)
    sizes = tuple(s.numel() for s in samples)
    ck = (x.device, nb, tuple(keys), sizes)
    seg = _SEGMENTS.get(ck)
    if seg is None:
        if len(_SEGMENTS) > 64:
            _SEGMENTS.clear()
        seg = _SEGMENTS[ck] = torch.cat(
            [torch.full((n,), k * nb, dtype=torch.int32, device=x.device) for k, n in zip(keys, sizes)]
        )
    return torch.bincount(e.add_(seg), minlength=n_keys * nb).view(n_keys, nb)


# Segment offsets of the step's samples for their common bincount, by (device, bins, keys, sizes):
# the same every recorded step of a run.
_SEGMENTS: Dict[Any, torch.Tensor] = {}


def _first_tensor(out: Any) -> Optional[torch.Tensor]:
    """The module's output tensor: the output itself, or the first floating tensor of a tuple,
    list or dict (MultiheadAttention: attn_output; LSTM: the output sequence)."""
    if isinstance(out, torch.Tensor):
        return out if out.is_floating_point() else None
    if isinstance(out, (tuple, list)):
        for o in out:
            t = _first_tensor(o)
            if t is not None:
                return t
    if isinstance(out, dict):
        for o in out.values():
            t = _first_tensor(o)
            if t is not None:
                return t
    return None


def _feature_dim(m: nn.Module, x: torch.Tensor) -> int:
    """The dimension of x that indexes units (output features): channels for convolutions, the
    last dimension otherwise."""
    if isinstance(m, nn.modules.conv._ConvNd) and x.dim() >= 2:
        return 1
    return x.dim() - 1


def _fmt_dtype(dt: torch.dtype) -> str:
    return {torch.float64: "f64", torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16"}.get(
        dt, str(dt).replace("torch.", "")
    )


def _enc_float(v: Any) -> Any:
    if type(v) is float and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def _enc(v: Any) -> Any:
    """JSON value with non-finite floats as the strings gradscope uses."""
    if isinstance(v, float):
        if math.isfinite(v):
            return v
        if math.isnan(v):
            return "NaN"
        return "Infinity" if v > 0 else "-Infinity"
    if isinstance(v, dict):
        return {k: _enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_enc(x) for x in v]
    return v


def _dumps(v: Any, indent: Optional[int] = None) -> str:
    return json.dumps(_enc(v), indent=indent, allow_nan=False, separators=None if indent else (",", ":"))


def _write_atomic(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Parameter statistics in a flat buffer.


class _FlatParams:
    """Every parameter's gradient, every weight before the step and every weight's update, each
    zero-padded to whole chunks of CHUNK entries, in one flat buffer. A recorded step costs a
    few tensor ops whatever the number of parameters: one copy of the weights before the step
    (snapshot), at the step's end one copy of the gradients and one of the weights (minus the
    snapshot: the update), then a sum and an L2 norm per chunk (float32 over 256 entries,
    relative error ~1e-7) added up per tensor in float64. Used when every parameter has one
    floating dtype and one device and the gradients are dense and of the parameters' dtype;
    else (and for a step whose gradients do not fit) Handle._param_stats takes one op per
    tensor."""

    CHUNK = 256

    def __init__(self, mods: List[_Module], dtype: torch.dtype, device: torch.device):
        M = len(mods)
        C = self.CHUNK
        self.grads: List[Tuple[int, nn.Parameter]] = []  # (segment, parameter) in buffer order
        for i, r in enumerate(mods):
            if r.weight is not None:
                self.grads.append((i, r.weight))
            if r.bias is not None:
                self.grads.append((M + i, r.bias))
            for q in r.others:
                self.grads.append((2 * M + i, q))
        weights = [r.weight for r in mods if r.weight is not None]
        self.n_weights = len(weights)
        numel = [q.numel() for _, q in self.grads] + [w.numel() for w in weights] * 2
        padded = [-(-n // C) * C for n in numel]
        self.offsets = []
        pos = 0
        for n in padded:
            self.offsets.append(pos)
            pos += n
        G = len(self.grads)
        W = self.n_weights
        self.g_end = self.offsets[G] if W else pos
        self.wb = (self.g_end, self.offsets[G + W] if W else pos)
        self.end = pos
        self.numel = numel
        self.pads = [p - n for p, n in zip(padded, numel)]
        self.buf = torch.zeros(pos, dtype=dtype, device=device)
        self.zeros = torch.zeros(max(numel + [C]), dtype=dtype, device=device)
        chunk_of = []
        for t, n in enumerate(padded):
            chunk_of += [t] * (n // C)
        self.chunk_tensor = torch.tensor(chunk_of, dtype=torch.int64, device=device)
        self.dtype = dtype
        self.device = device
        self.seg = [j for j, _ in self.grads] + [3 * M + w for w in range(W)] + [3 * M + W + w for w in range(W)]
        self.module_numel = [0] * (3 * M)
        for j, q in self.grads:
            self.module_numel[j] += q.numel()
        self.snapped = False
        # the zero pads after each tensor, and zeros standing for a missing gradient (views)
        self.pad_views = [self.zeros[:pad] if pad else None for pad in self.pads]
        self.zero_views = [self.zeros[:n] for n in numel]
        self.views = [buf_view for buf_view in (self.buf[o : o + n] for o, n in zip(self.offsets, numel))]

    @staticmethod
    def create(mods: List[_Module]) -> Optional["_FlatParams"]:
        params = [q for r in mods for q in ([r.weight, r.bias] + r.others) if q is not None]
        if not params:
            return None
        dtype, device = params[0].dtype, params[0].device
        if dtype not in _FLOAT_BITS or any(q.dtype != dtype or q.device != device for q in params):
            return None
        return _FlatParams(mods, dtype, device)

    def _pieces(self, tensors: List[Optional[torch.Tensor]], first: int) -> List[torch.Tensor]:
        out = []
        pads = self.pad_views
        for k, t in enumerate(tensors, first):
            out.append(self.zero_views[k] if t is None else t.view(-1) if t.is_contiguous() else t.reshape(-1))
            if pads[k] is not None:
                out.append(pads[k])
        return out

    def snapshot(self, ws: List[torch.Tensor]) -> None:
        G = len(self.grads)
        if self.n_weights:
            torch.cat(self._pieces(ws, G), out=self.buf[self.wb[0] : self.wb[1]])
        self.snapped = True

    def before_views(self, ws: List[torch.Tensor]) -> List[torch.Tensor]:
        G = len(self.grads)
        return [self.views[G + k].view(w.shape) for k, w in enumerate(ws)]

    def stats(self, mods, ws: List[torch.Tensor], have_before: bool, acc: torch.dtype) -> Optional[Dict[str, Any]]:
        """Handle._param_stats's answer from the buffer, or None when the gradients do not fit."""
        grads: List[Optional[torch.Tensor]] = []
        for _, q in self.grads:
            g = q.grad
            if g is not None and (g.is_sparse or g.dtype != self.dtype or g.device != self.device or g.shape != q.shape):
                return None
            grads.append(g)
        G = len(self.grads)
        W = self.n_weights
        buf = self.buf
        torch.cat(self._pieces(grads, 0), out=buf[: self.g_end])
        updated = bool(W) and have_before and self.snapped
        end = self.end if updated else self.wb[1]
        if W:
            if updated:
                delta = buf[self.wb[1] :]
                torch.cat(self._pieces(ws, G + W), out=delta)
                delta.sub_(buf[self.wb[0] : self.wb[1]])
            else:  # no snapshot of this step: the weights as they are
                torch.cat(self._pieces(ws, G), out=buf[self.wb[0] : self.wb[1]])
        T = G + W * (2 if updated else 1)
        chunks = buf[:end].view(-1, self.CHUNK)
        idx = self.chunk_tensor[: chunks.shape[0]]
        sums = torch.zeros(T, dtype=acc, device=self.device).index_add_(0, idx, chunks.sum(dim=1).to(acc))
        sq = torch.zeros(T, dtype=acc, device=self.device).index_add_(
            0, idx, torch.linalg.vector_norm(chunks, dim=1).to(acc).square_()
        )
        tensors: List[Optional[torch.Tensor]] = list(grads)
        tensors += self.views[G:T]
        return {
            "flat": torch.cat([sq, sums]),
            "tensors": tensors,
            "seg": self.seg[:T],
            "numel": self.module_numel,
            "weights": W,
            "updated": updated,
            "squared": True,
        }


# ---------------------------------------------------------------------------------------------
# Watched modules.


class _Module:
    """A module that owns parameters, and what is known about it."""

    def __init__(self, reg: int, path: str, module: nn.Module):
        self.reg = reg  # index in registration order
        self.path = path
        self.module = module
        self.type = type(module).__name__
        own = list(module.named_parameters(recurse=False))
        self.params = sum(p.numel() for _, p in own)
        self.weight_name, self.weight = self._pick(own, ("weight", "in_proj_weight"), matrix=True)
        self.bias_name, self.bias = self._pick(own, ("bias", "in_proj_bias"), matrix=False)
        self.others = [p for _, p in own if p is not self.weight and p is not self.bias]
        self.call = -1  # order of the first forward call, -1 while never called
        self.activation: Optional[_Activation] = None
        self.activation_source: Optional[str] = None  # "module" | "declared"
        self.activation_module: Optional[int] = None  # id of the activation module
        self.alias_of: Optional["_Module"] = None  # out_proj of a MultiheadAttention
        self.aliases: List["_Module"] = []
        self.targets = [reg]  # records its output statistics go to (itself and its aliases)
        self.layer = reg + 1  # 1-based index in config order (first forward call)

    @staticmethod
    def _pick(own, names, matrix):
        for n, p in own:
            if n in names:
                return n, p
        if matrix:
            for n, p in own:
                if p.dim() >= 2:
                    return n, p
        return None, None


class Handle:
    """What `watch` returns: call `step(loss)` after each optimizer step and `close()` at the
    end, or use it as a context manager (an exception inside marks the run "interrupted")."""

    def __init__(
        self,
        model: nn.Module,
        run_dir: str,
        every: int = 1,
        optimizer: Optional[torch.optim.Optimizer] = None,
        name: Optional[str] = None,
        hist_every: int = HIST_EVERY,
        activation_sample: int = ACTIVATION_SAMPLE,
    ):
        if not isinstance(model, nn.Module):
            raise TypeError("watch(model, ...): model must be a torch.nn.Module")
        every = int(every)
        if every < 1:
            raise ValueError("every must be >= 1")
        self.model = model
        self.run_dir = str(run_dir)
        self.every = every
        self.hist_every = int(hist_every)
        if self.hist_every < 1:
            raise ValueError("hist_every must be >= 1")
        self.sample_limit = int(activation_sample)
        if self.sample_limit < 1:
            raise ValueError("activation_sample must be >= 1")
        self.optimizer = optimizer
        self.name = name
        self.closed = False

        for f in ("config.json", "metrics.jsonl", "summary.json"):
            if os.path.exists(os.path.join(self.run_dir, f)):
                raise FileExistsError(
                    f"run directory {self.run_dir} already holds a run ({f}): choose another or remove it"
                )
        os.makedirs(self.run_dir, exist_ok=True)

        self.all_params = list(model.parameters())
        first = self.all_params[0] if self.all_params else None
        self.device = first.device if first is not None else torch.device("cpu")
        self.dtype = _fmt_dtype(first.dtype) if first is not None else "f32"
        acc = torch.float32 if self.device.type == "mps" else torch.float64  # MPS has no float64
        self.stats = _Stats(lazy=self.device.type == "cpu", acc=acc)

        # Modules with parameters of their own, in registration order.
        self.mods: List[_Module] = []
        seen = set()
        for path, m in model.named_modules():
            if id(m) in seen:
                continue
            seen.add(id(m))
            if any(True for _ in m.parameters(recurse=False)):
                self.mods.append(_Module(len(self.mods), path or "(root)", m))
        by_id = {id(r.module): r for r in self.mods}
        # MultiheadAttention applies out_proj functionally (its forward never runs): the
        # attention's output is out_proj's output, so out_proj's record shares it.
        for r in self.mods:
            if isinstance(r.module, nn.MultiheadAttention):
                op = by_id.get(id(getattr(r.module, "out_proj", None)))
                if op is not None:
                    op.alias_of = r
                    r.aliases.append(op)
                    r.targets.append(op.reg)
        declared = _declared_activations(model)
        for r in self.mods:
            if id(r.module) in declared:
                r.activation = declared[id(r.module)]
                r.activation_source = "declared"
        self.order: List[_Module] = list(self.mods)  # config order, fixed at step 1
        self._ordered = False
        self._calls = 0

        self.n = 0  # optimizer steps seen
        self.recorded = 0
        self.initial_loss: Optional[float] = None
        self.final_loss: Optional[float] = None
        self.explosion: Optional[Dict[str, Any]] = None
        self.status = "running"
        self._last_summary = 0.0
        self._recording = True  # step 1 is recorded
        self._hist_step = True  # and gets histograms
        self._sampled_steps = 0  # recorded steps with activation statistics so far
        self._reset_step()
        self._w_before: Optional[List[torch.Tensor]] = None
        self._flat = _FlatParams.create(self.mods)
        self._snapshot()

        self._pre_hooks: List[Any] = []
        self._hooks: List[Any] = []
        for r in self.mods:
            self._pre_hooks.append(r.module.register_forward_pre_hook(self._pre_hook(r)))
            self._hooks.append(r.module.register_forward_hook(self._fwd_hook(r)))
        for m in model.modules():
            act = _activation_of_module(m)
            if act is not None:
                self._hooks.append(m.register_forward_hook(self._act_hook(act)))

        self._metrics_fd: Optional[int] = None
        self._write_config()
        self._write_summary()
        _open_handles.add(self)

    # -- hooks ---------------------------------------------------------------------------------

    def _reset_step(self) -> None:
        # Per recorded step, one entry per hook call, summed per module at the step's end:
        self._fwd: List[Tuple[_Module, int, Any]] = []  # (module, n, [sum z^2, nonfinite z])
        # (module, n, weight, [sum a, sum a^2, low, zero, nonfinite a], from an activation?):
        # sums over the call's sample, times `weight` (entries per sampled entry) at the end
        self._act: List[Tuple[_Module, int, float, Any, bool]] = []
        self._bwd: List[Tuple[_Module, int, Any]] = []  # (module, n, [sum g^2, nonfinite g])
        # histogram samples: (module, kind 0 act / 1 grad, entries, sample, from an activation?)
        self._hist: List[Tuple[_Module, int, int, torch.Tensor, bool]] = []
        self._dead: Dict[int, torch.Tensor] = {}  # module -> per-unit sum of |phi'| so far
        self._alive: set = set()  # modules with a call in which no unit can be dead
        self._outputs: Dict[int, Tuple[_Module, Any, Optional[bool]]] = {}  # id(z) -> (module, weakref, finite)

    def _pre_hook(self, r: _Module):
        def hook(module, inputs):
            if r.call < 0 and self._recording and torch.is_grad_enabled():
                r.call = self._calls
                self._calls += 1

        return hook

    def _fwd_hook(self, r: _Module):
        is_grad_enabled = torch.is_grad_enabled
        Tensor = torch.Tensor
        grad_hook = self._grad_hook(r)

        def hook(module, inputs, output):
            if not self._recording or not is_grad_enabled():
                return
            z = output if type(output) is Tensor else _first_tensor(output)
            if z is None or z.dtype not in _FLOAT_BITS:
                return
            finite = self._forward_stats(r, z.detach())  # detached: no graph is recorded
            if r.activation_source != "declared" and (r.activation is not None or not self._ordered):
                self._outputs[id(z)] = (r, weakref.ref(z), finite)
            if z.requires_grad:
                z.register_hook(grad_hook)

        return hook

    def _act_hook(self, act: _Activation):
        def hook(module, inputs, output):
            if not self._recording or not self._outputs or not inputs:
                return
            u = inputs[0]
            entry = self._outputs.get(id(u))
            if entry is None or entry[1]() is not u:
                return
            r = entry[0]
            if r.activation is None and not self._ordered:
                r.activation = act
                r.activation_source = "module"
                r.activation_module = id(module)
            if r.activation_module != id(module):
                return  # not the module's activation (a second consumer of its output)
            a = _first_tensor(output)
            if a is None or a.dtype not in _FLOAT_BITS:
                return
            with torch.no_grad():
                self._activation_stats(r, None if a is u else u.detach(), a.detach(), entry[2])

        return hook

    def _grad_hook(self, r: _Module):
        S = self.stats

        def hook(g):
            if g.dtype not in _FLOAT_BITS:
                return None
            with torch.no_grad():
                g = g.detach()
                _, sq, finite = S.sums(g, want_sum=False)
                self._bwd.append((r, g.numel(), S.pack(sq, S.nonfinite(g, finite))))
                if self._hist_step:
                    self._hist.append((r, 1, g.numel(), _hist_sample(_plan(g, max(g.dim() - 1, 0), self.sample_limit).take(g).reshape(-1)), True))
            return None

        return hook

    # -- statistics of outputs, activations and output gradients ------------------------------

    def _forward_stats(self, r: _Module, z: torch.Tensor) -> Optional[bool]:
        """q and the NaN/Inf count of z, over every entry (one pass: its sum of squares); when
        no activation follows (known so far), z's own mean and std, from its sample. Returns
        whether z is finite (None when not read: eager mode)."""
        S = self.stats
        n = z.numel()
        own = r.activation is None or not self._ordered
        zsum, zsq, finite = S.sums(z, want_sum=own)
        nf = S.nonfinite(z, finite)
        self._fwd.append((r, n, S.pack(zsq, nf)))
        if r.activation_source == "declared":
            self._activation_stats(r, z, None, finite)
        elif own:
            # z's own mean and std, exact: its sum is one more pass over z, just read (cheaper
            # than copying a sample of it)
            zero = S.zero_of(z.device)
            self._act.append((r, n, 1.0, S.pack(zsum, zsq, zero, zero, zero), False))  # NaN/Inf counted in z
            if self._hist_step:
                self._hist.append((r, 0, n, _hist_sample(_plan(z, _feature_dim(r.module, z), self.sample_limit).take(z).reshape(-1)), False))
        return finite

    def _activation_stats(self, r: _Module, u: Optional[torch.Tensor], a: Optional[torch.Tensor], z_finite: Optional[bool]) -> None:
        """Mean, std, saturated/low-derivative/inactive fractions of the activation a = phi(u)
        after r, from its sample (_Plan); dead units and the NaN/Inf count over every entry.
        `a` is None for an activation applied functionally (declared): phi is computed on the
        sample only."""
        S = self.stats
        act = r.activation
        assert act is not None
        x = a if a is not None else u
        assert x is not None
        n = x.numel()
        plan = _plan(x, _feature_dim(r.module, x), self.sample_limit)
        whole = not (z_finite or not S.lazy)  # NaN/Inf in z: every entry (its mean is NaN)
        take = (lambda t: t.reshape(plan.view)) if whole else plan.take
        declared = a is None
        relu = act.zero_is_inactive
        us: Optional[torch.Tensor] = None
        if declared:
            us = take(u)
            s = act.value(us)
        else:
            s = take(a)
            if u is not None and act.name in ("swish", "gelu", "softplus", "leaky-relu"):
                us = take(u)
        ns = s.numel()
        ssum, ssq, finite = S.sums(s)
        zero_t = S.zero_of(x.device)
        d: Optional[torch.Tensor] = None
        if relu:
            low = zero = ns - S.count_nonzero(s, finite)
            d = s  # phi'(u) = 0 exactly where a = 0, and a >= 0
        elif us is None and act.name in ("swish", "gelu"):
            low = zero = zero_t  # an in-place activation whose derivative needs its input
        else:
            if act.name == "sigmoid":
                d = s - s * s  # a (1 - a) >= 0
            elif act.name == "tanh":
                d = 1 - s * s
            else:
                d = act.derivative(us, s).abs()
            low = S.count_below(d, 0.01 * act.max_derivative, finite)
            zero = ns - S.count_nonzero(d, finite) if S.need(low > 0) else zero_t
        # Dead units (phi' = 0 at every entry of the unit), over every entry. On CPU, skipped
        # when the sample (which keeps every unit) proves there is none: no zero derivative in
        # it, or a nonzero one in every unit.
        alive = d is None or not plan.dims
        if not alive and S.lazy and not whole:
            alive = zero == 0 or bool((d.sum(dim=plan.sdims) > 0).all())
        if alive:
            self._alive.add(r.reg)
        else:
            if relu:
                # a unit is dead when its largest a is 0 (declared: its largest u <= 0); NaN is
                # not 0: alive
                unit = x.amax(dim=plan.dims).clamp_(min=0) if declared else x.sum(dim=plan.dims)
            elif act.name in ("sigmoid", "tanh"):
                assert a is not None
                full = S.scratch(a, 0)
                torch.mul(a, a, out=full)
                if act.name == "sigmoid":
                    torch.sub(a, full, out=full)
                else:
                    full.neg_().add_(1)
                unit = full.sum(dim=plan.dims)
            else:
                unit = act.derivative(u, a if a is not None else act.value(u)).abs().sum(dim=plan.dims)
            self._merge_dead(r, unit.to(S.acc))
        if z_finite or finite:
            nf = zero_t  # phi of finite numbers is finite (every activation known here)
        elif a is not None:
            nf = S.val((~torch.isfinite(a)).sum())
        elif whole:
            nf = S.val((~torch.isfinite(s)).sum())  # declared: s is phi(u), whole
        else:
            nf = S.val((~torch.isfinite(act.value(u))).sum())
        self._act.append((r, n, n / ns if ns else 1.0, S.pack(ssum, ssq, low, zero, nf), True))
        if self._hist_step:
            self._hist.append((r, 0, n, _hist_sample(s.reshape(-1)), True))

    def _merge_dead(self, r: _Module, unit_sum: torch.Tensor) -> None:
        prev = self._dead.get(r.reg)
        if prev is None:
            self._dead[r.reg] = unit_sum
        elif prev.shape == unit_sum.shape:
            self._dead[r.reg] = prev + unit_sum
        else:
            self._alive.add(r.reg)  # calls with different unit counts: not measured

    # -- parameters ----------------------------------------------------------------------------

    def _weights(self) -> List[torch.Tensor]:
        return [r.weight.detach() for r in self.mods if r.weight is not None]

    def _snapshot(self) -> None:
        """The weights before the coming optimizer step, when that step is recorded (for the
        update ratio and the weights' statistics, which are of W before the update): one copy
        into the flat buffer when the parameters allow it (_FlatParams), else one per weight."""
        ws = self._weights()
        if self._flat is not None:
            with torch.no_grad():
                self._flat.snapshot(ws)
            self._w_before = self._flat.before_views(ws)
            return
        snap = self._w_before
        with torch.no_grad():
            if snap is not None and len(snap) == len(ws) and all(
                s.shape == w.shape and s.dtype == w.dtype and s.device == w.device for s, w in zip(snap, ws)
            ):
                for s, w in zip(snap, ws):
                    s.copy_(w)
            else:
                self._w_before = [w.clone() for w in ws]

    def _grad_list(self) -> List[torch.Tensor]:
        out = []
        for p in self.all_params:
            g = p.grad
            if g is not None:
                out.append(g.coalesce()._values() if g.is_sparse else g)
        return out

    def _global_norm_sq(self) -> float:
        """Squared global gradient norm, for the explosion check of steps not recorded (float32
        norms may overflow for finite gradients: _record then decides with float64 sums)."""
        grads = self._grad_list()
        if not grads:
            return 0.0
        return float((torch.stack([v.to(self.device) for v in _norms(grads)]).to(self.stats.acc) ** 2).sum())

    def _param_stats(self, have_before: bool) -> Dict[str, Any]:
        """Per-tensor norms and sums of the gradients (segments: each module's weight, bias and
        other parameters), of the weights before the step and of the step's update: torch
        tensors to move to the host with the rest, then `_param_sums` adds them up per segment.
        No temporary as large as the parameters (foreach norms, per-tensor sums)."""
        if self._flat is not None:
            out = self._flat.stats(self.mods, self._weights(), have_before and self._w_before is not None, self.stats.acc)
            if out is not None:
                return out
        M = len(self.mods)
        tensors: List[Optional[torch.Tensor]] = []
        seg: List[int] = []
        numel: List[int] = [0] * (3 * M)

        def add(j, ps):
            for p in ps:
                numel[j] += p.numel()
                g = p.grad
                if g is None:
                    continue  # no gradient: zeros, which add nothing to the sums
                tensors.append((g.coalesce()._values() if g.is_sparse else g).detach())
                seg.append(j)

        for i, r in enumerate(self.mods):
            add(i, [r.weight] if r.weight is not None else [])
            add(M + i, [r.bias] if r.bias is not None else [])
            add(2 * M + i, r.others)
        ws = self._weights()
        W = len(ws)
        if W:
            before = self._w_before if (have_before and self._w_before is not None) else None
            if before is not None:
                tensors += before
                seg += [3 * M + w for w in range(W)]
            else:
                tensors += ws
                seg += [3 * M + w for w in range(W)]
        norms = _norms(tensors) if tensors else []
        sums = [t.sum() for t in tensors]
        if W and before is not None:
            delta = torch._foreach_sub(ws, before) if hasattr(torch, "_foreach_sub") else [w - b for w, b in zip(ws, before)]
            tensors += delta
            seg += [3 * M + W + w for w in range(W)]
            norms += _norms(delta)
            sums += [d.sum() for d in delta]
        acc = self.stats.acc
        dev = self.device
        flat = None
        if tensors:
            try:
                flat = torch.stack(norms + sums).to(acc)
            except RuntimeError:  # parameters on several devices or of several dtypes
                flat = torch.stack([v.to(dev, acc) for v in norms + sums])
        return {
            "flat": flat,
            "tensors": tensors,
            "seg": seg,
            "numel": numel,
            "weights": W,
            "updated": W and before is not None,
            "squared": False,
        }

    def _param_sums(self, ps: Dict[str, Any], host: List[float]) -> Dict[str, List[float]]:
        """Per segment: sum, sum of squares and NaN/Inf count, from the per-tensor norms and sums
        (a float32 norm that may have overflowed or underflowed is redone in float64)."""
        M = len(self.mods)
        W = ps["weights"]
        nseg = 3 * M + 2 * W
        total = [0.0] * nseg
        squares = [0.0] * nseg
        nonfinite = [0] * nseg
        k = len(ps["tensors"])
        squared = ps["squared"]
        redo: List[Tuple[torch.Tensor, int]] = []
        for t, j, v, s in zip(ps["tensors"], ps["seg"], host[:k], host[k : 2 * k]):
            if t is None:  # a parameter without a gradient: zeros
                continue
            n = t.numel()
            v2 = v if squared else v * v
            if n and not (n * 1e-30 <= v2 < math.inf and math.isfinite(s)):
                d = t.detach().double()  # the float32 norm may have overflowed or underflowed
                v2 = float(_sum_squares(d))
                s = float(d.sum())
                if not (math.isfinite(v2) and math.isfinite(s)):
                    nonfinite[j] += int((~torch.isfinite(t)).sum())
            # segments whose std is reported (W, dW, the update), when the spread is tiny against
            # the mean: redone in float64 about the mean, all such tensors at once (below)
            if (j < M or j >= 3 * M) and n and math.isfinite(s) and math.isfinite(v2):
                if v2 / n - (s / n) ** 2 < 1e-3 * v2 / n:
                    redo.append((t, j))
                    continue
            squares[j] += v2
            total[j] += s
        if redo:
            for (t, j), (s, v2) in zip(redo, _precise_moments_many([t for t, _ in redo])):
                squares[j] += v2
                total[j] += s
        return {"sum": total, "sq": squares, "nonfinite": nonfinite}

    # -- the step ------------------------------------------------------------------------------

    def step(self, loss: Any = None) -> None:
        """Call once per optimizer step, after optimizer.step(), with the step's loss (a tensor
        or a number). Gradients are read as they are now (the optimizer does not change them;
        clip_grad_norm_ before the step does)."""
        if self.closed:
            raise RuntimeError("gradscope_hook: step() after close()")
        self.n += 1
        n = self.n
        if loss is None:
            lv = None
        elif isinstance(loss, torch.Tensor):
            lv = float(loss.detach().double().mean()) if loss.numel() else None
        else:
            lv = float(loss)
        if self.initial_loss is None and lv is not None:
            self.initial_loss = lv
        if lv is not None:
            self.final_loss = lv
        with torch.no_grad():
            if self._recording:
                if not self._ordered:
                    self._fix_order()
                self._record(n, lv, sampled=True)
            elif self.explosion is None:
                finite = (lv is None or math.isfinite(lv)) and math.isfinite(self._global_norm_sq())
                if not finite:
                    self._record(n, lv, sampled=False)
            self._reset_step()
            self._recording = (n + 1) % self.every == 0
            if self._recording:
                self._hist_step = self._sampled_steps % self.hist_every == 0
                self._snapshot()
        if time.time() - self._last_summary >= SUMMARY_INTERVAL:
            self._write_summary()

    def _fix_order(self) -> None:
        """Config order: the first forward call. A module never called (out_proj of attention,
        or parameters used functionally) goes right after the module registered before it."""
        keyed = []
        prev = -1
        for r in self.mods:
            if r.call >= 0:
                prev = r.call
                keyed.append(((r.call, 0, r.reg), r))
            else:
                keyed.append(((prev, 1, r.reg), r))
        keyed.sort(key=lambda kr: kr[0])
        self.order = [r for _, r in keyed]
        for i, r in enumerate(self.order):
            r.layer = i + 1
        self._ordered = True
        for h in self._pre_hooks:
            h.remove()
        self._pre_hooks = []
        self._write_config()

    def _record(self, n: int, loss: Optional[float], sampled: bool) -> None:
        acc = self.stats.acc
        dev = self.device
        mods = self.mods
        M = len(mods)
        ps = self._param_stats(sampled and self._w_before is not None)
        have_before = bool(ps["updated"])

        # Per-module sums of the hooks' statistics: over the calls, and to each module's targets
        # (itself and the modules sharing its output).
        count = {"f": [0.0] * M, "a": [0.0] * M, "b": [0.0] * M}

        host_sums = {}

        def gather(key, entries, width, weighted):
            """Per-module sums of the entries' statistics: float tuples (CPU) added here, tensors
            stacked and added on the device, to move with the rest. A weighted entry's sums over
            its sample count `weight` times (all but the last, its NaN/Inf count)."""
            sums = [[0.0] * width for _ in range(M)]
            host_sums[key] = sums
            counts = count[key]
            tensors = []
            idx = []
            wts = []
            for e in entries:
                r = e[0]
                if weighted:
                    w, vec = e[2], e[3]
                else:
                    w, vec = 1.0, e[2]
                for t in r.targets:
                    counts[t] += e[1]
                    if type(vec) is tuple:
                        row = sums[t]
                        if w == 1.0:
                            for k, v in enumerate(vec):
                                row[k] += v
                        else:
                            for k in range(width - 1):
                                row[k] += vec[k] * w
                            row[width - 1] += vec[width - 1]
                    else:
                        tensors.append(vec)
                        idx.append(t)
                        wts.append([w] * (width - 1) + [1.0])
            out = torch.zeros(M, width, dtype=acc, device=dev)
            if tensors:
                rows = torch.stack([v.to(dev, acc) for v in tensors])
                if weighted:
                    rows = rows * torch.tensor(wts, dtype=acc, device=dev)
                out.index_add_(0, torch.tensor(idx, device=dev), rows)
            return out

        act_entries = [e for e in self._act if e[4] == (e[0].activation is not None)]
        fwd = gather("f", self._fwd, 2, False)
        act = gather("a", act_entries, 5, True)
        bwd = gather("b", self._bwd, 2, False)
        dead_regs = [i for i in sorted(self._dead) if i not in self._alive]
        # per module, the number of units whose sum of |phi'| is 0 (divided by the units below)
        dead = [(self._dead[i] == 0).sum().reshape(1).to(dev, acc) for i in dead_regs]

        # Histograms per (module, kind), grouped by dtype (bins differ), one dtype per key.
        hist_entries = [
            (t, kind, total, h)
            for r, kind, total, h, from_act in self._hist
            if kind == 1 or from_act == (r.activation is not None)
            for t in r.targets
        ]
        key_dtype: Dict[Tuple[int, int], torch.dtype] = {}
        hist_counts: Dict[Tuple[int, int], List[float]] = {}  # (module, kind) -> [sampled, total]
        groups: Dict[torch.dtype, List[Tuple[Tuple[int, int], torch.Tensor]]] = {}
        for i, kind, total, h in hist_entries:
            if key_dtype.setdefault((i, kind), h.dtype) != h.dtype:
                continue
            c = hist_counts.setdefault((i, kind), [0, 0])
            c[0] += h.numel()
            c[1] += total
            groups.setdefault(h.dtype, []).append(((i, kind), h))
        hist_parts = []
        hist_keys = []
        for dtype, items in groups.items():
            keys = sorted(set(k for k, _ in items))
            pos = {k: j for j, k in enumerate(keys)}
            counts = _histograms([h if h.device == dev else h.to(dev) for _, h in items], [pos[k] for k, _ in items], len(keys))
            # the filled range of finite bins of each histogram: first and last bin, or -1
            finite = counts[:, : counts.shape[1] - 2] > 0
            first = finite.int().argmax(dim=1)
            last = finite.shape[1] - 1 - finite.flip(1).int().argmax(dim=1)
            empty = ~finite.any(dim=1)
            span = torch.stack([first.masked_fill(empty, -1), last.masked_fill(empty, -1)], dim=1)
            hist_parts += [counts.reshape(-1).to(acc), span.reshape(-1).to(acc)]
            hist_keys.append((counts.shape[1], keys, dtype))

        # One transfer to the host.
        parts = [fwd.reshape(-1), act.reshape(-1), bwd.reshape(-1)]
        parts += ([ps["flat"]] if ps["flat"] is not None else []) + dead + hist_parts
        host = torch.cat(parts).tolist()

        pos = 0

        def take(k):
            nonlocal pos
            out = host[pos : pos + k]
            pos += k
            return out

        def add_host(values, key, width):
            return [v + host_sums[key][i // width][i % width] for i, v in enumerate(values)]

        F_ = add_host(take(2 * M), "f", 2)
        A_ = add_host(take(5 * M), "a", 5)
        B_ = add_host(take(2 * M), "b", 2)
        W = ps["weights"]
        P = self._param_sums(ps, take(2 * len(ps["tensors"])))
        gsum, wsum, dsum = P["sum"][: 3 * M], P["sum"][3 * M : 3 * M + W], P["sum"][3 * M + W :]
        gsq, wsq, dsq = P["sq"][: 3 * M], P["sq"][3 * M : 3 * M + W], P["sq"][3 * M + W :]
        grad_nonfinite = P["nonfinite"][: 3 * M]
        deadv = {i: c / max(self._dead[i].numel(), 1) for i, c in zip(dead_regs, take(len(dead_regs)))}
        hist_of: Dict[Tuple[int, int], Tuple[List[float], torch.dtype]] = {}
        for length, keys, dtype in hist_keys:
            rows = [take(length) for _ in keys]
            spans = take(2 * len(keys))
            for j, k in enumerate(keys):
                hist_of[k] = (rows[j], dtype, int(spans[2 * j]), int(spans[2 * j + 1]))

        numel = ps["numel"]
        # histograms on the recorded steps that sampled them (none on the others: no "hist")
        with_hist = sampled and self._hist_step
        if sampled:
            self._sampled_steps += 1
        total_sq = math.fsum(gsq) if all(math.isfinite(v) for v in gsq) else sum(gsq)
        grad_norm = math.sqrt(total_sq) if not math.isnan(total_sq) else float("nan")

        w_index: Dict[int, int] = {}
        for r in mods:
            if r.weight is not None:
                w_index[r.reg] = len(w_index)

        layers = []
        hists: List[str] = []
        nf_parts = []
        for r in self.order:
            i = r.reg
            nz = count["f"][i]
            na = count["a"][i]
            nb = count["b"][i]
            ha = hist_of.get((i, 0))
            hg = hist_of.get((i, 1))
            nf_z = int(F_[2 * i + 1])
            nf_a = int(A_[5 * i + 4])
            nf_g = int(B_[2 * i + 1])
            nf_w, nf_b, nf_o = grad_nonfinite[i], grad_nonfinite[M + i], grad_nonfinite[2 * M + i]
            rec: Dict[str, Any] = {"layer": r.layer, "path": r.path}
            rec["q"] = F_[2 * i] / nz if nz > 0 else None
            rec["gradPreactMeanSq"] = B_[2 * i] / nb if nb > 0 else None
            j = w_index.get(i)
            rec["weight"] = r.weight_name
            rec["gradWeightNorm"] = _sqrt(gsq[i]) if j is not None else 0.0
            rec["gradBiasNorm"] = _sqrt(gsq[M + i])
            if j is None:
                rec["weightNorm"] = 0.0
                rec["gradToWeight"] = None
                rec["updateRatio"] = None
            else:
                wn = numel[i]
                g_std = _std(gsum[i], gsq[i], wn)
                if sampled:
                    w_std = _std(wsum[j], wsq[j], wn)
                    rec["weightNorm"] = _sqrt(wsq[j])
                    rec["gradToWeight"] = _ratio(g_std, w_std)
                    rec["updateRatio"] = _log_ratio(_std(dsum[j], dsq[j], wn), w_std) if have_before else None
                else:  # weights before this step were not kept
                    rec["weightNorm"] = None
                    rec["gradToWeight"] = None
                    rec["updateRatio"] = None
            if na > 0:
                mean = A_[5 * i] / na
                rec["actMean"] = mean
                rec["actStd"] = _sqrt(A_[5 * i + 1] / na - mean * mean, clamp=True)
            else:
                rec["actMean"] = None
                rec["actStd"] = None
            if r.activation is not None and na > 0:
                low = A_[5 * i + 2] / na
                rec["saturated"] = low if r.activation.bounded else 0.0
                rec["lowDerivative"] = low
                rec["inactive"] = A_[5 * i + 3] / na
                rec["dead"] = deadv.get(i, 0.0)
            else:
                rec["saturated"] = rec["lowDerivative"] = rec["inactive"] = rec["dead"] = 0.0
            rec["nonfinite"] = nf_z + nf_a + nf_g + nf_w + nf_b
            rec["subnormal"] = 0  # not measured
            rec["underflow"] = False
            if with_hist:
                hists.append(
                    ',"hist":{"grad":%s,"act":%s}}'
                    % (_hist_json(hg, hist_counts.get((i, 1))), _hist_json(ha, hist_counts.get((i, 0))))
                )
            else:
                hists.append("}")
            layers.append(rec)
            nf_parts.append((nf_z, nf_a, nf_g, nf_w, nf_b, nf_o))

        bad = loss is not None and not math.isfinite(loss)
        bad = bad or not math.isfinite(grad_norm)
        bad = bad or any(sum(p) > 0 for p in nf_parts)
        bad = bad or any(
            isinstance(rec[k], float) and not math.isfinite(rec[k])
            for rec in layers
            for k in ("q", "gradPreactMeanSq", "gradWeightNorm", "gradBiasNorm", "weightNorm", "actMean", "actStd")
        )
        if bad and self.explosion is None:
            self.explosion = self._locate(n, loss, layers, nf_parts, sampled)
        # The line, written by hand around json.dumps of the scalars: each layer's object gets its
        # histograms (finite numbers, pre-rendered) as a last member "hist".
        parts = []
        for rec, hist in zip(layers, hists):
            for k, v in rec.items():
                if type(v) is float and not math.isfinite(v):
                    rec[k] = _enc_float(v)
            parts.append(_dump(rec)[:-1] + hist)
        head = {"step": n, "loss": _enc_float(loss), "gradNorm": _enc_float(grad_norm), "lr": _enc_float(self._lr())}
        self._append(_dump(head)[:-1] + ',"layers":[' + ",".join(parts) + "]}")
        self.recorded += 1

    def _lr(self) -> Optional[float]:
        if self.optimizer is None or not self.optimizer.param_groups:
            return None
        v = self.optimizer.param_groups[0].get("lr")
        return float(v) if isinstance(v, (int, float, torch.Tensor)) else None

    def _locate(self, n, loss, layers, nf_parts, sampled) -> Dict[str, Any]:
        """Where NaN/Inf first appears, in the order of computation: the forward pass from the
        input (each module's output z, then its activation a), the loss, then the backward pass
        from the last module down (its output's gradient dz, then dW, db, other gradients)."""
        site: Tuple[Optional[int], str, Optional[str]] = (None, "gradient", None)
        if sampled:
            for rec, (nz, na, _, _, _, _) in zip(layers, nf_parts):
                if nz > 0 or na > 0:
                    site = (rec["layer"], "z" if nz > 0 else "a", rec["path"])
                    break
        if site[0] is None and loss is not None and not math.isfinite(loss):
            site = (None, "loss", None)
        if site[1] == "gradient":
            for rec, (_, _, ng, nw, nb, no) in reversed(list(zip(layers, nf_parts))):
                hit = next((w for c, w in ((ng, "dz"), (nw, "dW"), (nb, "db"), (no, "gradient")) if c > 0), None)
                if hit is not None:
                    site = (rec["layer"], hit, rec["path"])
                    break
        layer, what, path = site
        if layer is not None:
            where = f"in {what} of layer {layer} (module {path})"
        elif what == "loss":
            where = "in the loss" + (
                " (every recorded output finite)" if sampled else " (activations are not sampled on unrecorded steps)"
            )
        else:
            where = "in the global gradient norm (every entry finite: the norm overflowed)"
        return {
            "step": n,
            "layer": layer,
            "what": what,
            "loss": loss if loss is not None else float("nan"),
            "message": f"exploded at step {n}: first NaN/Inf {where}",
        }

    # -- files ---------------------------------------------------------------------------------

    def _config(self) -> Dict[str, Any]:
        opt = None
        if self.optimizer is not None:
            opt = {"type": type(self.optimizer).__name__, "lr": self._lr()}
        mods = []
        for r in self.order:
            if r.alias_of is not None:
                output_of: Optional[str] = r.alias_of.path
            else:
                output_of = r.path if (r.call >= 0 or not self._ordered) else None
            mods.append(
                {
                    "layer": r.layer,
                    "path": r.path,
                    "type": r.type,
                    "params": r.params,
                    "activation": r.activation.name if r.activation is not None else None,
                    "weight": r.weight_name,
                    "outputOf": output_of,
                }
            )
        return {
            "source": "pytorch-hook",
            "name": self.name,
            "hookVersion": HOOK_VERSION,
            "every": self.every,
            "histEvery": self.hist_every,
            "activationSample": self.sample_limit,
            "torch": torch.__version__,
            "dtype": self.dtype,
            "optimizer": opt,
            "modules": mods,
        }

    def _write_config(self) -> None:
        _write_atomic(os.path.join(self.run_dir, "config.json"), _dumps(self._config(), indent=2) + "\n")

    def _append(self, line: str) -> None:
        if self._metrics_fd is None:
            path = os.path.join(self.run_dir, "metrics.jsonl")
            self._metrics_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        data = (line + "\n").encode()
        # One write() per line: a killed process leaves whole lines.
        done = os.write(self._metrics_fd, data)
        while done < len(data):
            done += os.write(self._metrics_fd, data[done:])

    def summary(self) -> Dict[str, Any]:
        """summary.json as it would be written now."""
        if self.status == "running":
            msg = f"running: {self.n} steps, {self.recorded} recorded"
            if self.explosion is not None:
                msg += "; " + self.explosion["message"]
        elif self.status == "exploded":
            msg = self.explosion["message"] if self.explosion else "exploded"
        elif self.status == "interrupted":
            msg = f"interrupted after {self.n} steps ({self.recorded} recorded)"
        else:
            msg = f"completed {self.n} steps ({self.recorded} recorded)"
        return {
            "status": self.status,
            "steps": None,
            "stepsDone": self.n,
            "initialLoss": self.initial_loss,
            "finalLoss": self.final_loss,
            "recordedSteps": self.recorded,
            "explosion": self.explosion,
            "message": msg,
        }

    def _write_summary(self) -> None:
        self._last_summary = time.time()
        _write_atomic(os.path.join(self.run_dir, "summary.json"), _dumps(self.summary(), indent=2) + "\n")

    def close(self, interrupted: bool = False) -> None:
        """Remove the hooks and write the final summary: "exploded" when the run met NaN/Inf,
        else "interrupted" if asked (an exception left the `with` block), else "completed"."""
        if self.closed:
            return
        self.closed = True
        for h in self._pre_hooks + self._hooks:
            h.remove()
        self._pre_hooks = []
        self._hooks = []
        if self.explosion is not None:
            self.status = "exploded"
        else:
            self.status = "interrupted" if interrupted else "completed"
        self._write_summary()
        if self._metrics_fd is not None:
            os.close(self._metrics_fd)
            self._metrics_fd = None
        self._reset_step()
        self._w_before = None
        self._flat = None
        _open_handles.discard(self)

    def __enter__(self) -> "Handle":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(interrupted=exc_type is not None)


_EDGES: Dict[torch.dtype, List[str]] = {}


def _edges(dtype: torch.dtype) -> List[str]:
    """Lower edges of every exponent bin of `dtype`, and the top edge of the last finite one, as
    JSON numbers."""
    if dtype not in _EDGES:
        emax = _FLOAT_BITS[dtype][2]
        _EDGES[dtype] = [repr(_bin_edge(dtype, b)) for b in range(emax + 1)]
    return _EDGES[dtype]


def _hist_json(hd, counted) -> str:
    """A histogram of |x| as JSON: bins between powers of two (`edges`, trimmed to the filled
    range; the first bin of a dtype holds its subnormal numbers), exact zeros and NaN/Inf apart,
    over `sampled` of the `total` entries (a systematic sample: every k-th entry)."""
    if hd is None or counted is None:
        return "null"
    h, dtype, lo, hi = hd  # lo, hi: the first and last filled finite bin (-1: none)
    if lo >= 0:
        edges = ",".join(_edges(dtype)[lo : hi + 2])
        counts = ",".join(str(int(c)) for c in h[lo : hi + 1])
    else:
        edges = counts = ""
    return '{"edges":[%s],"counts":[%s],"zeros":%d,"nonfinite":%d,"sampled":%d,"total":%d}' % (
        edges,
        counts,
        int(h[-1]),
        int(h[-2]),
        int(counted[0]),
        int(counted[1]),
    )


_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


def _dump(value: Any) -> str:
    return _ENCODER.encode(value)


def _sqrt(v: float, clamp: bool = False) -> float:
    if math.isnan(v):
        return v
    if v < 0:
        return 0.0 if clamp else float("nan")
    return math.sqrt(v)


def _std(total: float, squares: float, count: int) -> float:
    """Population standard deviation from the sum and the sum of squares (float64)."""
    if count <= 0:
        return float("nan")
    if not (math.isfinite(total) and math.isfinite(squares)):
        return float("nan") if math.isnan(total) or math.isnan(squares) else float("inf")
    mean = total / count
    return math.sqrt(max(squares / count - mean * mean, 0.0))


def _ratio(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return float("nan")
    if b == 0:
        return float("nan") if a == 0 else float("inf")
    return a / b


def _log_ratio(a: float, b: float) -> Optional[float]:
    """log10(a / b) for the update ratio: None when std(W) before the step is 0 or infinite (not
    measurable), -Infinity for an exactly zero update, NaN when either is NaN."""
    if math.isnan(a) or math.isnan(b):
        return float("nan")
    if b == 0 or math.isinf(b):
        return None
    if a == 0:
        return float("-inf")
    return math.log10(a / b)


_open_handles: "weakref.WeakSet[Handle]" = weakref.WeakSet()


@atexit.register
def _close_open_handles() -> None:
    """A script that ends without close(): the run was cut short."""
    for h in list(_open_handles):
        try:
            h.close(interrupted=True)
        except Exception:
            pass


def watch(
    model: nn.Module,
    run_dir: str,
    every: int = 1,
    optimizer: Optional[torch.optim.Optimizer] = None,
    name: Optional[str] = None,
    hist_every: int = HIST_EVERY,
    activation_sample: int = ACTIVATION_SAMPLE,
) -> Handle:
    """Watch `model`'s gradient flow into the gradscope run directory `run_dir` (created; it must
    not hold a run). Records step 1, every `every`-th step, and the first step whose loss or
    gradient is NaN/Inf. Call `handle.step(loss)` after each `optimizer.step()` and
    `handle.close()` at the end, or use the handle as a context manager."""
    return Handle(
        model,
        run_dir,
        every=every,
        optimizer=optimizer,
        name=name,
        hist_every=hist_every,
        activation_sample=activation_sample,
    )
