"""Plain-NumPy twins of the published update equations: the readable spec the
native kernels are tested against. Written from the equations (and
torch.optim's order of operations), not from the Cython code."""

from __future__ import annotations

import numpy as np

RMSPROP_DEFAULTS = {
    "rho": 0.9,
    "epsilon": 1e-8,
    "momentum": 0.0,
    "centered": False,
    "weight_decay": 0.0,
    "maximize": False,
    "epsilon_in_sqrt": False,
    "initial_accumulator_value": 0.0,
    "bias_correction": False,
}


class RMSpropReference:
    """RMSprop on one array, one step at a time, in the array's precision."""

    def __init__(self, x0, learning_rate=1e-3, **options):
        self.options = {**RMSPROP_DEFAULTS, **options}
        self.x = np.array(x0, copy=True)
        self.dtype = self.x.dtype.type
        self.learning_rate = learning_rate
        self.square_avg = np.full_like(self.x, self.options["initial_accumulator_value"])
        self.grad_avg = np.zeros_like(self.x)
        self.momentum_buffer = np.zeros_like(self.x)
        self.step_count = 0

    def step(self, grad):
        o, t = self.options, self.dtype
        self.step_count += 1
        g = -np.asarray(grad, dtype=t) if o["maximize"] else np.asarray(grad, dtype=t).copy()
        if o["weight_decay"] != 0:
            g = g + t(o["weight_decay"]) * self.x

        rho, weight = t(o["rho"]), t(1.0 - o["rho"])
        self.square_avg = self.square_avg * rho + weight * g * g
        v = self.square_avg
        correction = t(1.0 - o["rho"] ** self.step_count)
        if o["bias_correction"]:
            v = v / correction

        if o["centered"]:
            m = self.grad_avg
            # torch's lerp(m, g, weight)
            if abs(weight) < 0.5:
                m = m + weight * (g - m)
            else:
                m = g - (g - m) * (t(1) - weight)
            self.grad_avg = m
            if o["bias_correction"]:
                m = m / correction
            spread = np.maximum(v - m * m, t(0))
        else:
            spread = v

        eps = t(o["epsilon"])
        denom = np.sqrt(spread + eps) if o["epsilon_in_sqrt"] else np.sqrt(spread) + eps
        neg_lr = t(-self.learning_rate)
        if o["momentum"] > 0:
            self.momentum_buffer = self.momentum_buffer * t(o["momentum"]) + g / denom
            self.x = self.x + neg_lr * self.momentum_buffer
        else:
            self.x = self.x + neg_lr * g / denom
        return self.x


def reference_iterates(grad_fn, x0, n_steps, learning_rate=1e-3, **options):
    """Iterates x_0 .. x_{n_steps} of the reference RMSprop on ``grad_fn``."""
    optimizer = RMSpropReference(x0, learning_rate, **options)
    iterates = [optimizer.x.copy()]
    for _ in range(n_steps):
        iterates.append(optimizer.step(grad_fn(optimizer.x)).copy())
    return np.array(iterates)
