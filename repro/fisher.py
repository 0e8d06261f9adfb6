"""Fisher information of a network's weights, as the trace and per layer.

The paper's quantity is the model Fisher

    tr F = E_x E_{y ~ p_w(y|x)} || grad_w log p_w(y|x) ||^2,

with labels drawn from the network's own predictive distribution. Three estimators, side by side:

- "exact":     the inner expectation taken over all K classes, sum_y p_y ||g_y||^2 (K gradients per
               example, no sampling noise). The claims use this one.
- "sampled":   y drawn from p_w(y|x), `samples` draws per example (Monte Carlo; unbiased but noisy
               when rare labels carry large gradients, as they do once a net is confident).
- "empirical": y the true label (the "empirical Fisher"; a different quantity, for comparison).

Gradients are per example, with BatchNorm in eval mode so that examples do not interact, in chunks
to bound memory. Two ways to get them, tested equal: "func" (torch.func: functional_call + vmap +
grad, any module) and "taps" (for nets made of Conv2d, Linear and BatchNorm layers: one batched
backward pass per label gives every example's output gradient at each layer, and the layer's
per-example weight gradient follows from its input, e.g. delta_i a_i^T for a linear layer; many
times faster on CPU). The squared gradient of a batch's mean loss is NOT an estimate of tr F: it
is the square of a mean, not the mean of squares.

Besides the raw per-layer traces, `weighted` multiplies the trace of every weight that a BatchNorm
normalises by the weight's squared norm: such a layer's output is invariant to rescaling the weight
by a, so its gradient scales by 1/a and its Fisher by 1/a^2, and ||w||^2 tr F_w is the part that is
not an artefact of weight decay shrinking normalised weights.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, vmap

ESTIMATORS = ("exact", "sampled", "empirical")
METHODS = ("auto", "taps", "func")
TAPPABLE = (nn.Conv2d, nn.Linear, nn.modules.batchnorm._BatchNorm)
FISHER_SEED = 0xF15E  # probe selection and label sampling: never the training run's generators


@dataclass(frozen=True)
class FisherTrace:
    total: float
    layers: dict[str, float]  # raw trace per layer (module name), summing to `total`
    weighted: dict[str, float]  # per layer, normalised weights multiplied by ||w||^2

    def to_row(self) -> dict:
        return {"fisher": self.total, "fisher_layers": self.layers,
                "fisher_weighted": sum(self.weighted.values()),
                "fisher_weighted_layers": self.weighted}


def layer_of(param_name: str) -> str:
    """'net.3.weight' -> 'net.3': a layer is the module that owns the parameters."""
    return param_name.rsplit(".", 1)[0]


def normalised_layers(model: nn.Module) -> set[str]:
    """Conv/linear layers whose output goes straight into a BatchNorm (in module order), i.e. whose
    weight's scale the network cannot see."""
    leaves = [(n, m) for n, m in model.named_modules()
              if not list(m.children()) and any(True for _ in m.parameters(recurse=False))]
    out = set()
    for (name, m), (_, nxt) in pairwise(leaves):
        if (isinstance(m, (nn.Conv2d, nn.Linear))
                and isinstance(nxt, nn.modules.batchnorm._BatchNorm)):
            out.add(name)
    return out


def probe_indices(labels: torch.Tensor, size: int, num_classes: int, seed: int = FISHER_SEED):
    """A fixed class-balanced probe set: `size // num_classes` examples of each class."""
    g = torch.Generator().manual_seed(seed)
    y = labels.cpu()
    per = size // num_classes
    picks = []
    for c in range(num_classes):
        idx = torch.nonzero(y == c).flatten()
        if len(idx) < per:
            raise ValueError(f"class {c} has {len(idx)} examples, the probe needs {per}")
        picks.append(idx[torch.randperm(len(idx), generator=g)[:per]])
    return torch.sort(torch.cat(picks)).values


def per_example_grads(model: nn.Module, x: torch.Tensor,
                      y: torch.Tensor) -> dict[str, torch.Tensor]:
    """grad_w log p_w(y_i|x_i) for every example i: {param name: [B, *param.shape]}.
    The model must be in eval mode (BatchNorm on running statistics)."""
    params = {n: p.detach() for n, p in model.named_parameters()}
    buffers = {n: b.detach() for n, b in model.named_buffers()}

    def log_lik(p, xi, yi):
        out = functional_call(model, (p, buffers), (xi.unsqueeze(0),))
        return -F.cross_entropy(out, yi.unsqueeze(0))

    return vmap(grad(log_lik), in_dims=(None, 0, 0))(params, x, y)


def _sq_norms(grads: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Per-example squared norm of each layer's gradient: {layer: [B]}."""
    out: dict[str, torch.Tensor] = {}
    for name, g in grads.items():
        s = g.flatten(1).square().sum(1)
        layer = layer_of(name)
        out[layer] = out[layer] + s if layer in out else s
    return out


def fisher_trace(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                 estimator: str = "exact", samples: int = 1, chunk: int = 256,
                 generator: torch.Generator | None = None, method: str = "auto") -> FisherTrace:
    """tr F of `model` on inputs `x` (already network inputs), per layer. `y` (true labels) only
    for the empirical estimator; `generator` draws the labels of the sampled one."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown Fisher estimator {estimator!r}; known: {', '.join(ESTIMATORS)}")
    if estimator == "empirical" and y is None:
        raise ValueError("the empirical Fisher needs the true labels y")
    if estimator == "sampled" and samples < 1:
        raise ValueError("samples must be at least 1")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    if method == "auto":
        method = "taps" if tappable(model) else "func"
    elif method == "taps" and not tappable(model):
        raise ValueError("the taps method needs a net of Conv2d, Linear and BatchNorm layers")
    was_training = model.training
    model.eval()
    try:
        sums: dict[str, float] = {}
        for i in range(0, len(x), chunk):
            xc = x[i : i + chunk]
            yc = None if y is None else y[i : i + chunk]
            for layer, v in _chunk_sums(model, xc, yc, estimator, samples, generator,
                                        method).items():
                sums[layer] = sums.get(layer, 0.0) + v
    finally:
        model.train(was_training)
    layers = {k: v / len(x) for k, v in sums.items()}
    norms = {layer_of(n): p.detach().square().sum().item()
             for n, p in model.named_parameters() if n.endswith("weight")}
    scaled = normalised_layers(model)
    weighted = {k: v * norms[k] if k in scaled else v for k, v in layers.items()}
    return FisherTrace(total=sum(layers.values()), layers=layers, weighted=weighted)


def _chunk_sums(model, x, y, estimator, samples, generator, method) -> dict[str, float]:
    """Sum over the chunk's examples of the per-layer squared gradient norms (in expectation over
    the estimator's labels)."""
    if method == "taps":
        taps = _Taps(model, x)
        sq_norms, p = taps.sq_norms, taps.probs
    else:
        def sq_norms(labels):
            return _sq_norms(per_example_grads(model, x, labels))
        with torch.no_grad():
            p = F.softmax(model(x).double(), dim=1)
    if estimator == "empirical":
        return {k: v.sum().item() for k, v in sq_norms(y).items()}
    acc: dict[str, torch.Tensor] = {}
    if estimator == "exact":
        for c in range(p.shape[1]):
            yc = torch.full((len(x),), c, dtype=torch.long, device=x.device)
            for k, v in sq_norms(yc).items():
                acc[k] = acc.get(k, 0) + (p[:, c] * v.double()).sum()
        return {k: float(v) for k, v in acc.items()}
    for _ in range(samples):
        ys = torch.multinomial(p.float().cpu(), 1, generator=generator).flatten().to(x.device)
        for k, v in sq_norms(ys).items():
            acc[k] = acc.get(k, 0) + v.double().sum() / samples
    return {k: float(v) for k, v in acc.items()}


def tappable(model: nn.Module) -> bool:
    for m in model.modules():
        own = any(True for _ in m.parameters(recurse=False))
        if own and not isinstance(m, TAPPABLE):
            return False
        if isinstance(m, nn.Conv2d) and (m.groups != 1 or m.padding_mode != "zeros"
                                          or m.dilation != (1, 1) or isinstance(m.padding, str)):
            return False
    return True


class _Taps:
    """One forward pass of a chunk that records each layer's input and output; then, for a label
    per example, one backward pass gives every example's gradient at each layer's output, from
    which the per-example squared norms of the layer's parameter gradients follow exactly."""

    def __init__(self, model: nn.Module, x: torch.Tensor):
        self.records: list[tuple[str, nn.Module, torch.Tensor, torch.Tensor]] = []
        hooks = [m.register_forward_hook(self._hook(name))
                 for name, m in model.named_modules()
                 if any(True for _ in m.parameters(recurse=False))]
        try:
            with torch.enable_grad():
                self.log_p = F.log_softmax(model(x), dim=1)
        finally:
            for h in hooks:
                h.remove()
        self.probs = self.log_p.detach().double().exp()

    def _hook(self, name):
        def hook(module, inputs, output):
            # the rest of the net gets a copy, so that an in-place activation after this layer
            # leaves the recorded output intact
            self.records.append((name, module, inputs[0].detach(), output))
            return output.clone()
        return hook

    def sq_norms(self, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        chosen = self.log_p.gather(1, labels[:, None]).sum()
        deltas = torch.autograd.grad(chosen, [r[3] for r in self.records], retain_graph=True)
        if not hasattr(self, "inputs"):  # what the layers' gradients need of their inputs, once
            self.inputs = [_layer_input(m, a) for _, m, a, _ in self.records]
        return {name: _layer_sq_norm(m, a, d.detach())
                for (name, m, _, _), a, d in zip(self.records, self.inputs, deltas)}


def _layer_input(m: nn.Module, a: torch.Tensor) -> torch.Tensor:
    """A conv's input as columns [B, C*k*k, L]; a BatchNorm's normalised input (running
    statistics); a linear layer's input as it is."""
    if isinstance(m, nn.Conv2d):  # F.unfold, without its slow CPU kernel
        # tappable() has ruled out string padding ("same"/"valid")
        (kh, kw), (ph, pw), (sh, sw) = m.kernel_size, cast(tuple[int, int], m.padding), m.stride
        u = F.pad(a, (pw, pw, ph, ph)).unfold(2, kh, sh).unfold(3, kw, sw)  # B C H' W' kh kw
        b, c, h, w = u.shape[:4]
        return u.permute(0, 1, 4, 5, 2, 3).reshape(b, c * kh * kw, h * w)
    if isinstance(m, nn.Linear):
        return a
    bn = cast(nn.modules.batchnorm._BatchNorm, m)  # the rest of TAPPABLE, in eval mode
    mean, var = cast(torch.Tensor, bn.running_mean), cast(torch.Tensor, bn.running_var)
    shape = (1, -1) + (1,) * (a.dim() - 2)
    return (a - mean.view(shape)) / torch.sqrt(var.view(shape) + bn.eps)


def _layer_sq_norm(m: nn.Module, a: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """Per-example ||grad of this layer's parameters||^2 from its prepared input `a` and the
    gradient `d` at its output."""
    b = len(a)
    if isinstance(m, nn.Linear):
        total = d.square().sum(1) * a.square().sum(1)
        return total + d.square().sum(1) if m.bias is not None else total
    if isinstance(m, nn.Conv2d):
        dl = d.reshape(b, d.shape[1], -1)  # [B, O, L]
        total = torch.bmm(dl, a.transpose(1, 2)).square().flatten(1).sum(1)
        return total + dl.sum(2).square().sum(1) if m.bias is not None else total
    # BatchNorm in eval mode: y = gamma * x_hat + beta
    x_hat = a
    dims = tuple(range(2, a.dim()))
    g_gamma = (d * x_hat).sum(dims) if dims else d * x_hat
    g_beta = d.sum(dims) if dims else d
    total = torch.zeros(b, dtype=d.dtype, device=d.device)
    if m.weight is not None:
        total = total + g_gamma.square().sum(1)
    if m.bias is not None:
        total = total + g_beta.square().sum(1)
    return total


def batch_mean_sq_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """||grad of the batch-mean log-likelihood||^2: a common mistake, NOT the Fisher trace (kept
    to show in tests and benchmarks how far it is from it)."""
    was_training = model.training
    model.eval()
    try:
        model.zero_grad(set_to_none=True)
        (-F.cross_entropy(model(x), y)).backward()
        out = sum(p.grad.square().sum().item() for p in model.parameters() if p.grad is not None)
        model.zero_grad(set_to_none=True)
    finally:
        model.train(was_training)
    return out

