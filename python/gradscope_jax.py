"""gradscope_jax: record a JAX training loop's gradient flow into a gradscope run directory.

The JAX counterpart of gradscope_hook.py. JAX has no module hooks, so the loop hands over, per
step, what it has: the gradient pytree, the parameters before the update and, optionally, after
it, and (optionally) each module's output and the gradient of the loss with respect to it.
Depends on numpy (and on jax only to flatten pytrees that are not dicts, lists or tuples)::

    import gradscope_jax
    rec = gradscope_jax.Recorder("runs/mine", every=1, lr=1e-3, activations={"Dense_0": "relu"})
    for batch in batches:
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        new_params = optax.apply_updates(params, updates)
        rec.step(loss, grads, params, new_params)          # params: before the update
        params = new_params
    rec.close()

Modules are the parents of the parameter leaves (Flax: `{"Dense_0": {"kernel", "bias"}}` gives
module "Dense_0" with weight "kernel"), ordered by `order` if given, else by their paths in
natural order (Dense_2 before Dense_10). Per module it writes the metrics of docs/METRICS.md that
the parameters give (gradWeightNorm, gradBiasNorm, weightNorm, gradToWeight, updateRatio) and,
when `outputs={path: z}` and `output_grads={path: dL/dz}` are given (Flax: capture_intermediates
and perturb), q, gradPreactMeanSq, the activation statistics and histograms; the others are
null (not measured). Statistics are computed on the host in float64 (recorded steps move the
parameters and gradients to the host); steps in between only compute the loss and the global
gradient norm, to catch an explosion. The files are those of gradscope_hook.py (python/README.md)
with `"source": "jax"`.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import re
import time
import weakref
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["Recorder", "HOOK_VERSION"]

HOOK_VERSION = 1
SUMMARY_INTERVAL = 2.0
WEIGHT_NAMES = ("kernel", "weight", "w", "embedding", "scale")
BIAS_NAMES = ("bias", "b")
MAX_DERIVATIVE = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}


def _flatten(tree: Any, prefix: Tuple[str, ...] = ()) -> List[Tuple[Tuple[str, ...], Any]]:
    """(path, leaf) pairs of a pytree: dicts (and Mappings such as Flax's FrozenDict), lists and
    tuples here; anything else through jax.tree_util when jax is installed."""
    if tree is None:
        return []
    if hasattr(tree, "items") and hasattr(tree, "keys"):
        out = []
        for k in tree.keys():
            out += _flatten(tree[k], prefix + (str(k),))
        return out
    if isinstance(tree, (list, tuple)):
        out = []
        for i, v in enumerate(tree):
            out += _flatten(v, prefix + (str(i),))
        return out
    if hasattr(tree, "shape") or isinstance(tree, (int, float)):
        return [(prefix, tree)]
    try:
        import jax

        leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
        return [(prefix + tuple(str(getattr(k, "key", getattr(k, "idx", k))) for k in p), v) for p, v in leaves]
    except ImportError as e:
        raise TypeError(f"cannot flatten a {type(tree).__name__} without jax") from e


def _natural(path: str) -> List[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path)]


def _enc(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, dict):
        return {k: _enc(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_enc(x) for x in v]
    return v


def _dumps(v: Any, indent: Optional[int] = None) -> str:
    return json.dumps(_enc(v), allow_nan=False, indent=indent, separators=None if indent else (",", ":"))


def _write_atomic(path: str, text: str) -> None:
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def _global_sq(leaves: List[Any]) -> float:
    """Sum of squares of every gradient entry: on the device for jax arrays (one scalar moves to
    the host), with numpy otherwise."""
    if not leaves:
        return 0.0
    if not isinstance(leaves[0], np.ndarray) and hasattr(leaves[0], "shape"):
        try:
            import jax.numpy as jnp

            return float(sum(jnp.vdot(g, g) for g in leaves))
        except ImportError:
            pass
    return float(sum(float(np.vdot(np.asarray(g), np.asarray(g)).real) for g in leaves))


def _host(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _moments(x: np.ndarray) -> Tuple[float, float, int]:
    """(sum, sum of squares, NaN/Inf count) in float64."""
    finite = np.isfinite(x)
    nonfinite = int(x.size - np.count_nonzero(finite))
    return float(np.sum(x)), float(np.sum(x * x)), nonfinite


def _std(x: np.ndarray) -> float:
    return float(np.std(x)) if x.size else math.nan


def _hist(x: np.ndarray) -> Dict[str, Any]:
    """Histogram of |x| between powers of two, zeros and NaN/Inf apart (every entry counted)."""
    a = np.abs(x.reshape(-1))
    finite = np.isfinite(a)
    zeros = int(np.count_nonzero(a == 0))
    pos = a[finite & (a > 0)]
    edges: List[float] = []
    counts: List[int] = []
    if pos.size:
        e = np.floor(np.log2(pos)).astype(np.int64)
        lo, hi = int(e.min()), int(e.max())
        counts = np.bincount(e - lo, minlength=hi - lo + 1).tolist()
        edges = [math.ldexp(1.0, k) for k in range(lo, hi + 2)]
    return {
        "edges": edges,
        "counts": counts,
        "zeros": zeros,
        "nonfinite": int(a.size - np.count_nonzero(finite)),
        "sampled": int(a.size),
        "total": int(a.size),
    }


def _activation(name: str, z: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(phi(z), phi'(z)) for the activations whose statistics are computed here."""
    if name == "sigmoid":
        a = 1 / (1 + np.exp(-z))
        return a, a * (1 - a)
    if name == "tanh":
        a = np.tanh(z)
        return a, 1 - a * a
    if name == "relu":
        return np.maximum(z, 0), (z > 0).astype(np.float64)
    raise ValueError(name)


class Recorder:
    """Writes a gradscope run directory from a JAX training loop: call `step(...)` once per
    optimizer step and `close()` at the end (or use it as a context manager)."""

    def __init__(
        self,
        run_dir: str,
        every: int = 1,
        name: Optional[str] = None,
        lr: Optional[float] = None,
        optimizer: Optional[str] = None,
        activations: Optional[Dict[str, str]] = None,
        order: Optional[Sequence[str]] = None,
    ):
        if int(every) < 1:
            raise ValueError("every must be >= 1")
        for f in ("config.json", "metrics.jsonl", "summary.json"):
            if os.path.exists(os.path.join(str(run_dir), f)):
                raise FileExistsError(f"run directory {run_dir} already holds a run ({f})")
        os.makedirs(str(run_dir), exist_ok=True)
        self.run_dir = str(run_dir)
        self.every = int(every)
        self.name = name
        self.lr = lr
        self.optimizer = optimizer
        self.activations = dict(activations or {})
        self.order = list(order) if order is not None else None
        self.modules: Optional[List[Dict[str, Any]]] = None
        self.n = 0
        self.recorded = 0
        self.initial_loss: Optional[float] = None
        self.final_loss: Optional[float] = None
        self.explosion: Optional[Dict[str, Any]] = None
        self.status = "running"
        self.closed = False
        self._last_summary = 0.0
        self._fd: Optional[int] = None
        self._write_summary()
        _open.add(self)

    # -- modules -------------------------------------------------------------------------------

    def _modules(self, params: Any) -> List[Dict[str, Any]]:
        groups: Dict[str, Dict[str, Any]] = {}
        for path, leaf in _flatten(params):
            mod = "/".join(path[:-1]) or "(root)"
            groups.setdefault(mod, {})[path[-1] if path else "(leaf)"] = leaf
        paths = list(groups)
        if self.order is not None:
            known = [p for p in self.order if p in groups]
            paths = known + sorted((p for p in paths if p not in known), key=_natural)
        else:
            paths.sort(key=_natural)
        mods = []
        for i, p in enumerate(paths):
            leaves = groups[p]
            weight = next((k for k in WEIGHT_NAMES if k in leaves), None)
            if weight is None:
                weight = next((k for k, v in leaves.items() if np.ndim(v) >= 2), None)
            bias = next((k for k in BIAS_NAMES if k in leaves), None)
            mods.append(
                {
                    "layer": i + 1,
                    "path": p,
                    "type": "Params",
                    "params": int(sum(np.size(v) for v in leaves.values())),
                    "activation": self.activations.get(p),
                    "weight": weight,
                    "bias": bias,
                }
            )
        return mods

    def _config(self, dtype: str) -> Dict[str, Any]:
        return {
            "source": "jax",
            "name": self.name,
            "hookVersion": HOOK_VERSION,
            "every": self.every,
            "dtype": dtype,
            "optimizer": {"type": self.optimizer, "lr": self.lr} if (self.optimizer or self.lr is not None) else None,
            "modules": [{k: v for k, v in m.items() if k != "bias"} for m in self.modules or []],
        }

    # -- the step ------------------------------------------------------------------------------

    def step(
        self,
        loss: Any,
        grads: Any,
        params: Any,
        new_params: Any = None,
        outputs: Optional[Dict[str, Any]] = None,
        output_grads: Optional[Dict[str, Any]] = None,
    ) -> None:
        """One optimizer step: its loss, the gradients, the parameters they were taken at, and
        optionally the parameters after the update (for the update ratio) and each module's
        output and output gradient, keyed by module path."""
        if self.closed:
            raise RuntimeError("gradscope_jax: step() after close()")
        self.n += 1
        n = self.n
        lv = float(np.mean(np.asarray(loss, dtype=np.float64))) if loss is not None else None
        if self.initial_loss is None and lv is not None:
            self.initial_loss = lv
        if lv is not None:
            self.final_loss = lv
        if self.modules is None:
            self.modules = self._modules(params)
            leaves = [v for _, v in _flatten(params)]
            dt = str(getattr(leaves[0], "dtype", "float32")) if leaves else "float32"
            dtype = {"float64": "f64", "float32": "f32", "float16": "f16", "bfloat16": "bf16"}.get(dt, dt)
            _write_atomic(os.path.join(self.run_dir, "config.json"), _dumps(self._config(dtype), indent=2) + "\n")
        scheduled = n == 1 or n % self.every == 0
        if not scheduled and self.explosion is None:
            sq = _global_sq([g for _, g in _flatten(grads)])
            if (lv is None or math.isfinite(lv)) and math.isfinite(sq):
                self._maybe_summary()
                return
        if scheduled or self.explosion is None:
            with np.errstate(all="ignore"):  # NaN/Inf are recorded, not warned about
                self._record(n, lv, grads, params, new_params, outputs or {}, output_grads or {})
        self._maybe_summary()

    def _record(self, n, loss, grads, params, new_params, outputs, output_grads) -> None:
        gmap = {"/".join(p[:-1]) or "(root)": {} for p, _ in _flatten(grads)}
        for p, g in _flatten(grads):
            gmap["/".join(p[:-1]) or "(root)"][p[-1] if p else "(leaf)"] = g
        pmap: Dict[str, Dict[str, Any]] = {}
        for p, v in _flatten(params):
            pmap.setdefault("/".join(p[:-1]) or "(root)", {})[p[-1] if p else "(leaf)"] = v
        nmap: Dict[str, Dict[str, Any]] = {}
        for p, v in _flatten(new_params):
            nmap.setdefault("/".join(p[:-1]) or "(root)", {})[p[-1] if p else "(leaf)"] = v
        total_sq = 0.0
        layers = []
        nf_parts = []
        for m in self.modules or []:
            path = m["path"]
            g = {k: _host(v) for k, v in gmap.get(path, {}).items()}
            for v in g.values():
                total_sq += float(np.sum(v * v))
            rec: Dict[str, Any] = {"layer": m["layer"], "path": path, "weight": m["weight"]}
            nf_w = nf_b = nf_o = nf_z = nf_a = nf_g = 0
            w = m["weight"]
            if w is not None and w in g:
                W = _host(pmap[path][w])
                dW = g[w]
                _, sq, nf_w = _moments(dW)
                rec["gradWeightNorm"] = math.sqrt(sq)
                rec["weightNorm"] = float(np.linalg.norm(W))
                w_std = _std(W)
                rec["gradToWeight"] = _std(dW) / w_std if w_std > 0 else (math.inf if _std(dW) > 0 else math.nan)
                if path in nmap and w in nmap[path] and w_std > 0:
                    d = _std(_host(nmap[path][w]) - W)
                    rec["updateRatio"] = math.log10(d / w_std) if d > 0 else (-math.inf if d == 0 else math.nan)
                else:
                    rec["updateRatio"] = None
            else:
                rec.update({"gradWeightNorm": 0.0, "weightNorm": 0.0, "gradToWeight": None, "updateRatio": None})
            b = m["bias"]
            if b is not None and b in g:
                _, sq, nf_b = _moments(g[b])
                rec["gradBiasNorm"] = math.sqrt(sq)
            else:
                rec["gradBiasNorm"] = 0.0
            for k, v in g.items():
                if k not in (w, b):
                    nf_o += _moments(v)[2]
            z = _host(outputs[path]) if path in outputs else None
            dz = _host(output_grads[path]) if path in output_grads else None
            act = m["activation"] if m["activation"] in MAX_DERIVATIVE else None
            hist: Dict[str, Any] = {"grad": None, "act": None}
            if z is not None:
                _, sq, nf_z = _moments(z)
                rec["q"] = sq / z.size if z.size else math.nan
                a, d = _activation(act, z) if act else (z, None)
                if act:
                    nf_a = _moments(a)[2]
                rec["actMean"] = float(np.mean(a))
                rec["actStd"] = _std(a)
                if d is not None:
                    low = float(np.mean(d < 0.01 * MAX_DERIVATIVE[act]))
                    rec["saturated"] = low if act in ("sigmoid", "tanh") else 0.0
                    rec["lowDerivative"] = low
                    rec["inactive"] = float(np.mean(d == 0))
                    units = d.reshape(-1, d.shape[-1]) if d.ndim >= 1 else d.reshape(1, 1)
                    rec["dead"] = float(np.mean(np.all(units == 0, axis=0)))
                else:
                    rec.update({"saturated": 0.0, "lowDerivative": 0.0, "inactive": 0.0, "dead": 0.0})
                hist["act"] = _hist(a)
            else:
                rec.update({"q": None, "actMean": None, "actStd": None})
                rec.update({"saturated": 0.0, "lowDerivative": 0.0, "inactive": 0.0, "dead": 0.0})
            if dz is not None:
                _, sq, nf_g = _moments(dz)
                rec["gradPreactMeanSq"] = sq / dz.size if dz.size else math.nan
                hist["grad"] = _hist(dz)
            else:
                rec["gradPreactMeanSq"] = None
            rec["nonfinite"] = nf_z + nf_a + nf_g + nf_w + nf_b
            rec["subnormal"] = 0
            rec["underflow"] = False
            rec["hist"] = hist
            layers.append(rec)
            nf_parts.append((nf_z, nf_a, nf_g, nf_w, nf_b, nf_o))
        grad_norm = math.sqrt(total_sq) if not math.isnan(total_sq) else math.nan
        bad = (loss is not None and not math.isfinite(loss)) or not math.isfinite(grad_norm)
        bad = bad or any(sum(p) for p in nf_parts)
        if bad and self.explosion is None:
            self.explosion = self._locate(n, loss, layers, nf_parts)
        line = _dumps({"step": n, "loss": loss, "gradNorm": grad_norm, "lr": self.lr, "layers": layers})
        if self._fd is None:
            path = os.path.join(self.run_dir, "metrics.jsonl")
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(self._fd, (line + "\n").encode())
        self.recorded += 1

    @staticmethod
    def _locate(n, loss, layers, nf_parts) -> Dict[str, Any]:
        site: Tuple[Optional[int], str, Optional[str]] = (None, "gradient", None)
        for rec, (nz, na, _, _, _, _) in zip(layers, nf_parts):
            if nz or na:
                site = (rec["layer"], "z" if nz else "a", rec["path"])
                break
        if site[0] is None and loss is not None and not math.isfinite(loss):
            site = (None, "loss", None)
        if site[1] == "gradient":
            for rec, (_, _, ng, nw, nb, no) in reversed(list(zip(layers, nf_parts))):
                hit = next((w for c, w in ((ng, "dz"), (nw, "dW"), (nb, "db"), (no, "gradient")) if c), None)
                if hit:
                    site = (rec["layer"], hit, rec["path"])
                    break
        layer, what, path = site
        where = (
            f"in {what} of layer {layer} (module {path})"
            if layer is not None
            else ("in the loss" if what == "loss" else "in the global gradient norm")
        )
        return {
            "step": n,
            "layer": layer,
            "what": what,
            "loss": loss if loss is not None else math.nan,
            "message": f"exploded at step {n}: first NaN/Inf {where}",
        }

    # -- files ---------------------------------------------------------------------------------

    def summary(self) -> Dict[str, Any]:
        if self.status == "running":
            msg = f"running: {self.n} steps, {self.recorded} recorded"
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

    def _maybe_summary(self) -> None:
        if time.time() - self._last_summary >= SUMMARY_INTERVAL:
            self._write_summary()

    def close(self, interrupted: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.status = "exploded" if self.explosion else ("interrupted" if interrupted else "completed")
        self._write_summary()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        _open.discard(self)

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(interrupted=exc_type is not None)


_open: "weakref.WeakSet[Recorder]" = weakref.WeakSet()


@atexit.register
def _close_open() -> None:
    for r in list(_open):
        try:
            r.close(interrupted=True)
        except Exception:
            pass
