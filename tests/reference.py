"""Plain-NumPy twins of the published update equations: the readable spec the
native kernels are tested against. Written from the equations (and
torch.optim's order of operations), not from the Cython code.

Each twin steps one array in that array's precision. Python scalars are computed in
double precision and rounded to the array's dtype where torch hands them to a kernel,
and the array arithmetic follows torch's single-tensor code expression by expression,
through the elementary operations ``add``, ``addcmul``, ``addcdiv``, ``lerp`` and
``sqrt`` below. Here those are plain, correctly rounded NumPy expressions. torch's CPU
kernels fuse the multiply-adds and, built with MKL, take square roots that are not
always correctly rounded, so the twins agree with torch to rounding, not bit for bit;
with torch's elementary operations substituted they agree bit for bit
(tests/test_reference.py).
"""

from __future__ import annotations

import math

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
    "nesterov": False,
    "decoupled_weight_decay": False,
    "learning_rate_in_momentum": False,
}

ADAM_DEFAULTS = {
    "beta1": 0.9,
    "beta2": 0.999,
    "epsilon": 1e-8,
    "weight_decay": 0.0,
    "amsgrad": False,
    "maximize": False,
    "epsilon_hat": False,
    "eps_root": 0.0,
}

DEFAULTS = {
    "rmsprop": RMSPROP_DEFAULTS,
    "adagrad": {
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "epsilon": 1e-10,
        "maximize": False,
        "epsilon_in_sqrt": False,
    },
    "adadelta": {"rho": 0.9, "epsilon": 1e-6, "weight_decay": 0.0, "maximize": False},
    "adam": ADAM_DEFAULTS,
    "adamw": {**ADAM_DEFAULTS, "weight_decay": 1e-2},
    "sgd": {
        "momentum": 0.0,
        "dampening": 0.0,
        "nesterov": False,
        "weight_decay": 0.0,
        "maximize": False,
        "decoupled_weight_decay": False,
        "learning_rate_in_momentum": False,
    },
    "adamax": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0,
               "maximize": False},
    "nadam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0,
              "momentum_decay": 4e-3, "decoupled_weight_decay": False, "maximize": False},
    "radam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0,
              "decoupled_weight_decay": False, "maximize": False},
    "rprop": {"etaminus": 0.5, "etaplus": 1.2, "step_size_min": 1e-6, "step_size_max": 50.0,
              "maximize": False},
    "asgd": {"lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weight_decay": 0.0, "maximize": False},
    "lion": {"beta1": 0.9, "beta2": 0.99, "weight_decay": 1e-3, "maximize": False},
    "adafactor": {"beta2_decay": -0.8, "epsilon1": None, "epsilon2": 1e-3, "d": 1.0,
                  "weight_decay": 0.0, "maximize": False, "shape": None},
    "muon": {"momentum": 0.95, "nesterov": True, "ns_coefficients": (3.4445, -4.7750, 2.0315),
             "epsilon": 1e-7, "ns_steps": 5, "adjust_lr_fn": None, "weight_decay": 0.1,
             "maximize": False, "shape": None},
}  # fmt: skip

# torch's defaults, except RMSprop's: rmsopt's (and Keras's) 1e-3 rather than torch's 1e-2.
LEARNING_RATES = {
    "rmsprop": 1e-3,
    "adagrad": 1e-2,
    "adadelta": 1.0,
    "adam": 1e-3,
    "adamw": 1e-3,
    "sgd": 1e-3,
    "adamax": 2e-3,
    "nadam": 2e-3,
    "radam": 1e-3,
    "rprop": 1e-2,
    "asgd": 1e-2,
    "lion": 1e-4,
    "adafactor": 1e-2,
    "muon": 1e-3,
}


# The elementary operations, named after the torch methods they stand for. Scalars
# arrive already rounded to the arrays' dtype.


def add(x, other, alpha):
    """torch's ``x.add(other, alpha=alpha)``."""
    return x + alpha * other


def addcmul(x, a, b, value):
    """torch's ``x.addcmul(a, b, value=value)``: ``x + ((value * a) * b)``."""
    return x + value * a * b


def addcdiv(x, a, b, value):
    """torch's ``x.addcdiv(a, b, value=value)``: ``x + ((value * a) / b)``."""
    return x + value * a / b


def lerp(start, end, weight):
    """torch's ``start.lerp(end, weight)``, which switches formula at weight 0.5."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (weight.dtype.type(1) - weight)


def sqrt(x):
    """torch's ``x.sqrt()``."""
    return np.sqrt(x)


class _Reference:
    """One optimizer on one array, one step at a time, in the array's precision.

    ``state`` maps each state row's name to its current array; rows a configuration
    does not use keep their initial value.
    """

    name = ""
    state_rows: tuple[str, ...] = ()

    def __init__(self, x0, learning_rate=None, **options):
        unknown = sorted(set(options) - set(DEFAULTS[self.name]))
        if unknown:
            raise TypeError(f"unknown {self.name} options: {', '.join(unknown)}")
        self.options = {**DEFAULTS[self.name], **options}
        self.x = np.array(x0, copy=True)
        if self.x.dtype.kind != "f":
            self.x = self.x.astype(np.float64)
        self.dtype = self.x.dtype.type
        self.learning_rate = LEARNING_RATES[self.name] if learning_rate is None else learning_rate
        self.step_count = 0
        self.state = {row: np.full_like(self.x, self.initial_value(row)) for row in self.state_rows}

    def initial_value(self, row):
        return 0.0

    def step(self, grad, learning_rate=None):
        """One step along ``grad`` (at ``learning_rate`` if given); returns the new x."""
        learning_rate = self.learning_rate if learning_rate is None else learning_rate
        self.step_count += 1
        g = np.asarray(grad, dtype=self.dtype)
        g = -g if self.options["maximize"] else g.copy()
        self.x = self.update(g, float(learning_rate))
        return self.x

    def update(self, g, lr):
        """The new x from the (maximize-signed) gradient ``g``; updates ``state``."""
        raise NotImplementedError


class RMSpropReference(_Reference):
    """RMSprop, torch's form plus the framework variants (epsilon inside the square
    root, initial accumulator, bias correction) and a clamp of the centered variance."""

    name = "rmsprop"
    state_rows = ("square_avg", "grad_avg", "momentum_buffer")

    def initial_value(self, row):
        return self.options["initial_accumulator_value"] if row == "square_avg" else 0.0

    @property
    def square_avg(self):
        return self.state["square_avg"]

    @property
    def grad_avg(self):
        return self.state["grad_avg"]

    @property
    def momentum_buffer(self):
        return self.state["momentum_buffer"]

    def update(self, g, lr):
        o, t, state = self.options, self.dtype, self.state
        x = self.x
        if o["weight_decay"] != 0:
            if o["decoupled_weight_decay"]:
                x = x * t(1 - lr * o["weight_decay"])
            else:
                g = add(g, x, t(o["weight_decay"]))

        weight = t(1.0 - o["rho"])
        state["square_avg"] = addcmul(state["square_avg"] * t(o["rho"]), g, g, weight)
        v = state["square_avg"]
        correction = t(1.0 - o["rho"] ** self.step_count)
        if o["bias_correction"]:
            v = v / correction

        if o["centered"]:
            state["grad_avg"] = lerp(state["grad_avg"], g, weight)
            m = state["grad_avg"]
            if o["bias_correction"]:
                m = m / correction
            # torch takes the square root of whatever the subtraction gives, NaN included.
            spread = np.maximum(addcmul(v, m, m, t(-1)), t(0))
        else:
            spread = v

        eps = t(o["epsilon"])
        denom = sqrt(spread + eps) if o["epsilon_in_sqrt"] else sqrt(spread) + eps
        if o["momentum"] > 0:
            momentum = t(o["momentum"])
            if o["learning_rate_in_momentum"]:
                # TF1 and optax: the buffer accumulates lr * g / d, and x steps by it.
                update = g / denom * t(lr)
                buffer = state["momentum_buffer"] * momentum + update
                state["momentum_buffer"] = buffer
                return x - (update + momentum * buffer if o["nesterov"] else buffer)
            buffer = addcdiv(state["momentum_buffer"] * momentum, g, denom, t(1))
            state["momentum_buffer"] = buffer
            if o["nesterov"]:
                buffer = g / denom + momentum * buffer
            return add(x, buffer, t(-lr))
        return addcdiv(x, g, denom, t(-lr))


class AdagradReference(_Reference):
    """Adagrad (Duchi, Hazan and Singer 2011) as torch.optim.Adagrad."""

    name = "adagrad"
    state_rows = ("square_sum",)

    def initial_value(self, row):
        return self.options["initial_accumulator_value"]

    def update(self, g, lr):
        o, t, state = self.options, self.dtype, self.state
        if o["weight_decay"] != 0:
            g = add(g, self.x, t(o["weight_decay"]))
        decayed_lr = lr / (1 + (self.step_count - 1) * o["lr_decay"])
        state["square_sum"] = addcmul(state["square_sum"], g, g, t(1))
        if o["epsilon_in_sqrt"]:  # Keras
            std = sqrt(state["square_sum"] + t(o["epsilon"]))
        else:
            std = sqrt(state["square_sum"]) + t(o["epsilon"])
        return addcdiv(self.x, g, std, t(-decayed_lr))


class AdadeltaReference(_Reference):
    """Adadelta (Zeiler 2012) as torch.optim.Adadelta, learning rate included."""

    name = "adadelta"
    state_rows = ("square_avg", "acc_delta")

    def update(self, g, lr):
        o, t, state = self.options, self.dtype, self.state
        if o["weight_decay"] != 0:
            g = add(g, self.x, t(o["weight_decay"]))
        rho, weight, eps = t(o["rho"]), t(1 - o["rho"]), t(o["epsilon"])
        state["square_avg"] = addcmul(state["square_avg"] * rho, g, g, weight)
        std = sqrt(state["square_avg"] + eps)
        delta = sqrt(state["acc_delta"] + eps) / std * g
        state["acc_delta"] = addcmul(state["acc_delta"] * rho, delta, delta, weight)
        return add(self.x, delta, t(-lr))


class AdamReference(_Reference):
    """Adam (Kingma and Ba 2015), optionally AMSGrad, as torch.optim.Adam: weight decay
    added to the gradient."""

    name = "adam"
    state_rows = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    decoupled_weight_decay = False

    def update(self, g, lr):
        o, t, state = self.options, self.dtype, self.state
        beta1, beta2 = o["beta1"], o["beta2"]
        x = self.x
        if o["weight_decay"] != 0:
            if self.decoupled_weight_decay:
                x = x * t(1 - lr * o["weight_decay"])
            else:
                g = add(g, x, t(o["weight_decay"]))

        state["exp_avg"] = lerp(state["exp_avg"], g, t(1 - beta1))
        state["exp_avg_sq"] = addcmul(state["exp_avg_sq"] * t(beta2), g, g, t(1 - beta2))

        bias_correction1 = 1 - beta1**self.step_count
        bias_correction2 = 1 - beta2**self.step_count
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5

        second_moment = state["exp_avg_sq"]
        optax_form = o["eps_root"] != 0 or o["amsgrad"] == "optax"
        if o["amsgrad"] == "optax":  # the maximum of the bias-corrected moment
            second_moment = second_moment / t(bias_correction2)
        if o["amsgrad"]:
            state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], second_moment)
            second_moment = state["max_exp_avg_sq"]
        if o["epsilon_hat"]:  # Keras: the corrections in the rate, epsilon on the raw root
            alpha = t(lr * bias_correction2_sqrt / bias_correction1)
            return x - (state["exp_avg"] * alpha) / (sqrt(second_moment) + t(o["epsilon"]))
        if optax_form:  # optax: corrected moments, eps_root inside the root
            if o["amsgrad"] != "optax":
                second_moment = second_moment / t(bias_correction2)
            denom = sqrt(second_moment + t(o["eps_root"])) + t(o["epsilon"])
            return x + t(-lr) * ((state["exp_avg"] / t(bias_correction1)) / denom)
        denom = sqrt(second_moment) / t(bias_correction2_sqrt) + t(o["epsilon"])
        return addcdiv(x, state["exp_avg"], denom, t(-step_size))


class AdamWReference(AdamReference):
    """AdamW (Loshchilov and Hutter 2019) as torch.optim.AdamW: x shrinks by
    ``1 - lr * weight_decay`` before the moments are updated."""

    name = "adamw"
    decoupled_weight_decay = True


class SGDReference(_Reference):
    """Stochastic gradient descent with optional (Nesterov) momentum, as torch.optim.SGD."""

    name = "sgd"
    state_rows = ("momentum_buffer",)

    def __init__(self, x0, learning_rate=None, **options):
        super().__init__(x0, learning_rate, **options)
        o = self.options
        if o["nesterov"] and (o["momentum"] <= 0 or o["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def update(self, g, lr):
        o, t, state = self.options, self.dtype, self.state
        x = self.x
        if o["weight_decay"] != 0:
            if o["decoupled_weight_decay"]:
                x = x * t(1 - lr * o["weight_decay"])
            else:
                g = add(g, x, t(o["weight_decay"]))
        if o["momentum"] != 0 and o["learning_rate_in_momentum"]:
            # Keras: the buffer accumulates lr * g, and x steps by it.
            g = t(lr) * g
            if self.step_count == 1:
                state["momentum_buffer"] = g.copy()
            else:
                state["momentum_buffer"] = add(
                    state["momentum_buffer"] * t(o["momentum"]), g, t(1 - o["dampening"])
                )
            buffer = state["momentum_buffer"]
            return x - (g + t(o["momentum"]) * buffer if o["nesterov"] else buffer)
        if o["momentum"] != 0:
            if self.step_count == 1:
                # torch starts the buffer at the gradient itself, undampened.
                state["momentum_buffer"] = g.copy()
            else:
                state["momentum_buffer"] = add(
                    state["momentum_buffer"] * t(o["momentum"]), g, t(1 - o["dampening"])
                )
            if o["nesterov"]:
                g = add(g, state["momentum_buffer"], t(o["momentum"]))
            else:
                g = state["momentum_buffer"]
        return add(x, g, t(-lr))


class AdamaxReference(_Reference):
    """Adamax (Kingma and Ba 2015, section 7.1) as torch.optim.Adamax: the second moment is
    a decaying maximum of ``|g| + eps``."""

    name = "adamax"
    state_rows = ("exp_avg", "exp_inf")

    def update(self, g, lr):
        o, t, state = self.options, self.dtype, self.state
        if o["weight_decay"] != 0:
            g = add(g, self.x, t(o["weight_decay"]))
        state["exp_avg"] = lerp(state["exp_avg"], g, t(1 - o["beta1"]))
        state["exp_inf"] = np.maximum(state["exp_inf"] * t(o["beta2"]), np.abs(g) + t(o["epsilon"]))
        clr = lr / (1 - o["beta1"] ** self.step_count)
        return addcdiv(self.x, state["exp_avg"], state["exp_inf"], t(-clr))


class NAdamReference(_Reference):
    """NAdam (Dozat 2016) as torch.optim.NAdam: Nesterov momentum with the schedule
    mu_t = beta1 (1 - 0.96**(t psi) / 2) and the running product of the mu_t."""

    name = "nadam"
    state_rows = ("exp_avg", "exp_avg_sq")

    def __init__(self, x0, learning_rate=None, **options):
        super().__init__(x0, learning_rate, **options)
        self.mu_product = 1.0

    def update(self, g, lr):
        o, t, state, step = self.options, self.dtype, self.state, self.step_count
        beta1, beta2, x = o["beta1"], o["beta2"], self.x
        if o["weight_decay"] != 0:
            if o["decoupled_weight_decay"]:
                x = x * t(1 - lr * o["weight_decay"])
            else:
                g = add(g, x, t(o["weight_decay"]))
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * o["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * o["momentum_decay"]))
        self.mu_product *= mu
        state["exp_avg"] = lerp(state["exp_avg"], g, t(1 - beta1))
        state["exp_avg_sq"] = addcmul(state["exp_avg_sq"] * t(beta2), g, g, t(1 - beta2))
        denom = sqrt(state["exp_avg_sq"] / t(1 - beta2**step)) + t(o["epsilon"])
        x = addcdiv(x, g, denom, t(-lr * (1.0 - mu) / (1.0 - self.mu_product)))
        product_next = self.mu_product * mu_next
        return addcdiv(x, state["exp_avg"], denom, t((-lr * mu_next) / (1.0 - product_next)))


class RAdamReference(_Reference):
    """RAdam (Liu et al. 2020) as torch.optim.RAdam: momentum steps until the variance of
    the adaptive rate is tractable (rho_t > 5), then rectified Adam steps."""

    name = "radam"
    state_rows = ("exp_avg", "exp_avg_sq")

    def update(self, g, lr):
        o, t, state, step = self.options, self.dtype, self.state, self.step_count
        beta1, beta2, x = o["beta1"], o["beta2"], self.x
        if o["weight_decay"] != 0:
            if o["decoupled_weight_decay"]:
                x = x * t(1 - lr * o["weight_decay"])
            else:
                g = add(g, x, t(o["weight_decay"]))
        state["exp_avg"] = lerp(state["exp_avg"], g, t(1 - beta1))
        state["exp_avg_sq"] = addcmul(state["exp_avg_sq"] * t(beta2), g, g, t(1 - beta2))
        correction1, correction2 = 1 - beta1**step, 1 - beta2**step
        update = state["exp_avg"] / t(correction1) * t(lr)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / correction2
        if rho_t > 5.0:
            rect = (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            # torch's `scalar / tensor` is the tensor's reciprocal times the scalar.
            adaptive = t(1) / (sqrt(state["exp_avg_sq"]) + t(o["epsilon"])) * t(correction2**0.5)
            update = update * adaptive * t(rect**0.5)
        return add(x, update, t(-1))


class RpropReference(_Reference):
    """Rprop (Riedmiller and Braun 1993) as torch.optim.Rprop: per-element step sizes
    grown by etaplus while the gradient keeps its sign, shrunk by etaminus when it flips."""

    name = "rprop"
    state_rows = ("prev", "step_size")

    def update(self, g, lr):
        o, t, state = self.options, self.dtype, self.state
        if self.step_count == 1:
            state["step_size"] = np.full_like(self.x, lr)
        sign = np.sign(g * state["prev"])
        factor = np.where(sign > 0, t(o["etaplus"]), np.where(sign < 0, t(o["etaminus"]), t(1)))
        state["step_size"] = np.clip(
            state["step_size"] * factor, t(o["step_size_min"]), t(o["step_size_max"])
        )
        g = np.where(factor == t(o["etaminus"]), t(0), g)
        state["prev"] = g
        return addcmul(self.x, np.sign(g), state["step_size"], t(-1))


class ASGDReference(_Reference):
    """Averaged SGD (Polyak and Juditsky 1992) as torch.optim.ASGD at a constant rate: a
    decaying step eta_t and the running average ax of the iterates after step t0."""

    name = "asgd"
    state_rows = ("ax",)

    def update(self, g, lr):
        o, t, state, step = self.options, self.dtype, self.state, self.step_count
        if o["weight_decay"] != 0:
            g = add(g, self.x, t(o["weight_decay"]))
        eta = lr / (1 + o["lambd"] * lr * (step - 1)) ** o["alpha"]
        mu = 1 / max(1, step - 1 - o["t0"])
        x = add(self.x * t(1 - o["lambd"] * eta), g, t(-eta))
        state["ax"] = x.copy() if mu == 1 else state["ax"] + (x - state["ax"]) * t(mu)
        return x


class LionReference(_Reference):
    """Lion (Chen et al. 2023) as optax.lion: the sign of an interpolated momentum, plus
    the decayed weights, times the learning rate."""

    name = "lion"
    state_rows = ("exp_avg",)

    def update(self, g, lr):
        o, t, state = self.options, self.dtype, self.state
        m = state["exp_avg"]
        update = np.sign(t(1 - o["beta1"]) * g + t(o["beta1"]) * m)
        update = update + t(o["weight_decay"]) * self.x
        state["exp_avg"] = t(1 - o["beta2"]) * g + t(o["beta2"]) * m
        return self.x + t(-lr) * update


def sequential_sum(values, axis=-1):
    """The sum in double, element after element (the kernels' order; NumPy's sum pairs)."""
    return np.cumsum(np.asarray(values, dtype=np.float64), axis=axis).take(-1, axis=axis)


def lane_sum(lines, lanes=8):
    """The kernels' sum of a 2-D array of doubles: element j of each line (row) in partial
    sum j % lanes, each partial sum over the lines in order, then the partial sums added
    pairwise ((0 + 1) + (2 + 3)) + ((4 + 5) + (6 + 7))."""
    lines = np.asarray(lines, dtype=np.float64)
    partial = [sequential_sum(lines[:, k::lanes].ravel()) if lines[:, k::lanes].size else 0.0
               for k in range(lanes)]  # fmt: skip
    return ((partial[0] + partial[1]) + (partial[2] + partial[3])) + (
        (partial[4] + partial[5]) + (partial[6] + partial[7])
    )


def clamp_below(values, low):
    """torch's ``clamp(min=low)``: NaN stays NaN."""
    return np.where(values < low, low, values)


def matrices(shape):
    """(batches, rows, cols) of a shape: its last two dimensions and the rest's product."""
    return int(np.prod(shape[:-2])), shape[-2], shape[-1]


class AdafactorReference(_Reference):
    """Adafactor as torch.optim.Adafactor: relative step size, a factored second moment for
    a matrix (``shape``), the update's RMS clipped at ``d``. The state's one row holds the
    vector's variance, or the row moments then the column moments."""

    name = "adafactor"
    state_rows = ("variance",)

    def update(self, g, lr):
        o, t = self.options, self.dtype
        step, n = float(self.step_count), self.x.size
        eps1 = float(np.finfo(t).eps) if o["epsilon1"] is None else o["epsilon1"]
        rho = min(lr, 1 / step**0.5)
        x_norm = float(t(np.sqrt(lane_sum([self.x.astype(np.float64) ** 2]))))
        alpha = max(o["epsilon2"], x_norm / n**0.5) * rho
        x = self.x * t(1 - lr * o["weight_decay"]) if o["weight_decay"] != 0 else self.x
        w = t(step ** o["beta2_decay"])
        v = self.state["variance"]
        if o["shape"] is None:
            v = lerp(v, g * g, w)
            self.state["variance"] = estimate = v
        else:
            b, r, c = matrices(o["shape"])
            squares = g.reshape(b, r, c).astype(np.float64) ** 2
            row_sums = [lane_sum([line]) for line in squares.reshape(b * r, c)]
            row_norm = np.sqrt(np.reshape(row_sums, (b, r))).astype(t)
            col_norm = np.sqrt(sequential_sum(squares, axis=1)).astype(t)
            rows = lerp(v[: b * r].reshape(b, r), row_norm * row_norm / t(c), w)
            cols = lerp(v[b * r : b * (r + c)].reshape(b, c), col_norm * col_norm / t(r), w)
            self.state["variance"] = np.concatenate([rows.ravel(), cols.ravel(), v[b * (r + c) :]])
            divisor = clamp_below((sequential_sum(rows, axis=1) / r).astype(t), t(eps1))
            estimate = (rows[:, :, None] * cols[:, None, :] / divisor[:, None, None]).ravel()
        u = (t(1) / np.sqrt(clamp_below(estimate, t(eps1 * eps1)))) * g
        lines = u.reshape(1, n) if o["shape"] is None else u.reshape(-1, o["shape"][-1])
        u_norm = float(t(np.sqrt(lane_sum(lines.astype(np.float64) ** 2))))
        denominator = max(1.0, u_norm / (n**0.5 * o["d"]))
        return add(x, u, t(-alpha / denominator))


class MuonReference(_Reference):
    """Muon as torch.optim.Muon with its Newton-Schulz products in the array's dtype
    (torch's are in bfloat16), x read as a matrix of ``shape``."""

    name = "muon"
    state_rows = ("momentum_buffer",)

    def update(self, g, lr):
        o, t = self.options, self.dtype
        rows, cols = o["shape"]
        buffer = lerp(self.state["momentum_buffer"], g, t(1 - o["momentum"]))
        self.state["momentum_buffer"] = buffer
        u = lerp(g, buffer, t(o["momentum"])) if o["nesterov"] else buffer
        norm = clamp_below(t(np.sqrt(sequential_sum(u.astype(np.float64) ** 2))), t(o["epsilon"]))
        ortho = (u / norm).reshape(rows, cols)
        if rows > cols:
            ortho = ortho.T
        a, b, c = (t(value) for value in o["ns_coefficients"])
        for _ in range(o["ns_steps"]):
            gram = ortho @ ortho.T
            ortho = a * ortho + (b * gram + c * (gram @ gram)) @ ortho
        if rows > cols:
            ortho = ortho.T
        if o["adjust_lr_fn"] == "match_rms_adamw":
            ratio = 0.2 * math.sqrt(max(rows, cols))
        else:
            ratio = math.sqrt(max(1, rows / cols))
        return add(self.x * t(1 - lr * o["weight_decay"]), ortho.ravel(), t(-(lr * ratio)))


REFERENCES = {
    "rmsprop": RMSpropReference,
    "adagrad": AdagradReference,
    "adadelta": AdadeltaReference,
    "adam": AdamReference,
    "adamw": AdamWReference,
    "sgd": SGDReference,
    "adamax": AdamaxReference,
    "nadam": NAdamReference,
    "radam": RAdamReference,
    "rprop": RpropReference,
    "asgd": ASGDReference,
    "lion": LionReference,
    "adafactor": AdafactorReference,
    "muon": MuonReference,
}


def reference_iterates(grad_fn, x0, n_steps, learning_rate=None, method="rmsprop", **options):
    """Iterates x_0 .. x_{n_steps} of the twin of ``method`` on ``grad_fn``.

    ``learning_rate`` is a number, None for the method's default, or a schedule called
    with the number of steps already taken (0 for the first step).
    """
    optimizer = REFERENCES[method](x0, **options)
    iterates = [optimizer.x.copy()]
    for _ in range(n_steps):
        lr = learning_rate(optimizer.step_count) if callable(learning_rate) else learning_rate
        iterates.append(optimizer.step(grad_fn(optimizer.x), lr).copy())
    return np.array(iterates)


def clip_gradient(grad, clipnorm=None, clipvalue=None):
    """Keras 3's clipping of one variable's gradient: ``clipnorm`` rescales ``grad`` to
    an L2 norm of at most ``clipnorm``, ``clipvalue`` clips each element to
    ``[-clipvalue, clipvalue]``. As in Keras, at most one of them may be given."""
    if clipnorm is not None and clipvalue is not None:
        raise ValueError("only one of clipnorm and clipvalue can be set")
    g = np.asarray(grad)
    if g.dtype.kind != "f":
        g = g.astype(np.float64)
    t = g.dtype.type
    if clipnorm is not None:
        norm = np.sqrt(np.sum(g * g))
        # Keras's expression: even a gradient inside the ball is multiplied and divided.
        return g * t(clipnorm) / np.maximum(norm, t(clipnorm))
    if clipvalue is not None:
        return np.clip(g, t(-clipvalue), t(clipvalue))
    return g.copy()


# The effective per-element step size after step t, written plainly from each method's
# equations (the library computes it natively in the kernels): the factor the step applied to
# the gradient (Adam: to the first moment) before momentum, from the state after step t.


def rmsprop_step_size(o, rows, step, rate):
    correction = 1.0 - o["rho"] ** step if o["bias_correction"] else 1.0
    spread = rows["square_avg"] / correction
    if o["centered"]:
        spread = np.maximum(spread - (rows["grad_avg"] / correction) ** 2, 0.0)
    if o["epsilon_in_sqrt"]:
        return rate / np.sqrt(spread + o["epsilon"])
    return rate / (np.sqrt(spread) + o["epsilon"])


def adagrad_step_size(o, rows, step, rate):
    decayed = rate / (1.0 + (step - 1) * o["lr_decay"])
    return decayed / (np.sqrt(rows["square_sum"]) + o["epsilon"])


def adadelta_step_size(o, rows, step, rate):
    eps = o["epsilon"]
    return rate * np.sqrt(rows["acc_delta"] + eps) / np.sqrt(rows["square_avg"] + eps)


def adam_step_size(o, rows, step, rate):
    second_moment = rows["max_exp_avg_sq"] if o["amsgrad"] else rows["exp_avg_sq"]
    denominator = np.sqrt(second_moment) / np.sqrt(1.0 - o["beta2"] ** step) + o["epsilon"]
    return rate / (1.0 - o["beta1"] ** step) / denominator


def sgd_step_size(o, rows, step, rate):
    return np.full(next(iter(rows.values())).shape, rate)


def adamax_step_size(o, rows, step, rate):
    return rate / (1.0 - o["beta1"] ** step) / rows["exp_inf"]


def nadam_step_size(o, rows, step, rate):
    def mu(t):
        return o["beta1"] * (1.0 - 0.5 * 0.96 ** (t * o["momentum_decay"]))

    product = 1.0
    for t in range(1, step + 1):
        product *= mu(t)
    denominator = np.sqrt(rows["exp_avg_sq"] / (1.0 - o["beta2"] ** step)) + o["epsilon"]
    return rate * mu(step + 1) / (1.0 - product * mu(step + 1)) / denominator


def radam_step_size(o, rows, step, rate):
    beta2 = o["beta2"]
    scaled = np.full(rows["exp_avg"].shape, rate / (1.0 - o["beta1"] ** step))
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * beta2**step / (1 - beta2**step)
    if rho_t <= 5:
        return scaled
    rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return scaled * np.sqrt(1 - beta2**step) * rect / (np.sqrt(rows["exp_avg_sq"]) + o["epsilon"])


def rprop_step_size(o, rows, step, rate):
    return rows["step_size"].astype(np.float64)


def asgd_step_size(o, rows, step, rate):
    eta = rate / (1 + o["lambd"] * rate * (step - 1)) ** o["alpha"]
    return np.full(rows["ax"].shape, eta)


def adafactor_step_size(o, rows, step, rate):
    v = rows["variance"].astype(np.float64)
    eps1 = (
        o["epsilon1"] if o["epsilon1"] is not None else float(np.finfo(rows["variance"].dtype).eps)
    )
    rho = min(rate, 1 / step**0.5)
    if o["shape"] is None:
        estimate = v
    else:
        b, r, c = matrices(o["shape"])
        row, col = v[: b * r].reshape(b, r), v[b * r : b * (r + c)].reshape(b, c)
        mean = clamp_below(sequential_sum(row, axis=1) / r, eps1)
        estimate = (row[:, :, None] * col[:, None, :] / mean[:, None, None]).ravel()
    return rho / np.sqrt(clamp_below(estimate, eps1 * eps1))


def muon_step_size(o, rows, step, rate):
    r, c = o["shape"]
    ratio = (
        0.2 * math.sqrt(max(r, c))
        if o["adjust_lr_fn"] == "match_rms_adamw"
        else math.sqrt(max(1, r / c))
    )
    return np.full(rows["momentum_buffer"].shape, rate * ratio)


STEP_SIZES = {
    "rmsprop": rmsprop_step_size,
    "adagrad": adagrad_step_size,
    "adadelta": adadelta_step_size,
    "adam": adam_step_size,
    "adamw": adam_step_size,
    "sgd": sgd_step_size,
    "adamax": adamax_step_size,
    "nadam": nadam_step_size,
    "radam": radam_step_size,
    "rprop": rprop_step_size,
    "asgd": asgd_step_size,
    "lion": sgd_step_size,
    "adafactor": adafactor_step_size,
    "muon": muon_step_size,
}
