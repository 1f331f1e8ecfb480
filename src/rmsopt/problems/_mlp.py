"""A one-hidden-layer perceptron classifying the "two moons" data set."""

from __future__ import annotations

from functools import partial

import numpy as np
from scipy.special import expit

from ._parameters import check_int, check_real
from ._problem import Problem

__all__ = ["mlp"]


def _unpack(x: np.ndarray, n_inputs: int) -> tuple[np.ndarray, ...]:
    """Views ``(W1, b1, W2, b2)`` of the flat parameter vector ``x``, laid out
    as ``[W1 (n_inputs * hidden, row-major), b1 (hidden), W2 (hidden), b2 (1)]``."""
    hidden = (x.shape[0] - 1) // (n_inputs + 2)
    weights_in = x[: n_inputs * hidden].reshape(n_inputs, hidden)
    bias_in = x[n_inputs * hidden : (n_inputs + 1) * hidden]
    weights_out = x[(n_inputs + 1) * hidden : (n_inputs + 2) * hidden]
    return weights_in, bias_in, weights_out, x[-1]


def _forward(x: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hidden activations ``tanh(X W1 + b1)`` and the output logits."""
    weights_in, bias_in, weights_out, bias_out = _unpack(x, X.shape[1])
    hidden = np.tanh(X @ weights_in + bias_in)
    return hidden, hidden @ weights_out + bias_out


def _weight_penalty(x: np.ndarray, n_inputs: int) -> float:
    weights_in, _, weights_out, _ = _unpack(x, n_inputs)
    return 0.5 * float(np.sum(weights_in**2) + weights_out @ weights_out)


def _mlp_loss(x: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float) -> float:
    """Mean binary cross-entropy of ``expit(logits)`` plus the L2 penalty on
    the weights."""
    x = np.asarray(x, dtype=np.float64)
    _, logits = _forward(x, X)
    # -y log(expit(z)) - (1 - y) log(1 - expit(z)) = log(1 + e^z) - y z
    cross_entropy = np.mean(np.logaddexp(0.0, logits) - y * logits)
    return float(cross_entropy) + l2 * _weight_penalty(x, X.shape[1])


def _mlp_loss_gradient(x: np.ndarray, X: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """The gradient of `_mlp_loss` by backpropagation, in the layout of `_unpack`."""
    x = np.asarray(x, dtype=np.float64)
    n_inputs = X.shape[1]
    hidden, logits = _forward(x, X)
    weights_in, _, weights_out, _ = _unpack(x, n_inputs)
    logits_gradient = (expit(logits) - y) / len(y)
    hidden_gradient = np.outer(logits_gradient, weights_out) * (1.0 - hidden**2)
    gradient = np.empty_like(x)
    grad_weights_in, grad_bias_in, grad_weights_out, _ = _unpack(gradient, n_inputs)
    grad_weights_in[...] = X.T @ hidden_gradient + l2 * weights_in
    grad_bias_in[...] = hidden_gradient.sum(axis=0)
    grad_weights_out[...] = hidden.T @ logits_gradient + l2 * weights_out
    gradient[-1] = logits_gradient.sum()
    return gradient


def _two_moons(
    rng: np.random.Generator, n_samples: int, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles with Gaussian noise, in random order so
    that any slice of the samples holds both classes."""
    n_upper = n_samples - n_samples // 2
    angle = rng.uniform(0.0, np.pi, n_samples)
    upper = np.arange(n_samples) < n_upper
    points = np.where(
        upper[:, None],
        np.column_stack([np.cos(angle), np.sin(angle)]),
        np.column_stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)]),
    )
    points += noise * rng.standard_normal((n_samples, 2))
    order = rng.permutation(n_samples)
    return points[order], (~upper[order]).astype(np.float64)


def mlp(
    hidden: int = 8, n_samples: int = 200, seed: int = 0, l2: float = 1e-4, noise: float = 0.1
) -> Problem:
    r"""Binary classification of "two moons" by a one-hidden-layer perceptron.

    The network maps a point ``u in R^2`` to the probability
    ``expit(W2^T tanh(W1^T u + b1) + b2)`` of class 1, and the loss is the mean
    binary cross-entropy plus an L2 penalty on the weights (not the biases):

    .. math::

        f(x; X, y) = \frac{1}{m} \sum_{i=1}^{m}
            \left[\log\left(1 + e^{z_i}\right) - y_i z_i\right]
            + \frac{\lambda}{2} \left(\|W_1\|_F^2 + \|W_2\|^2\right),
        \qquad z_i = W_2^\top \tanh(W_1^\top u_i + b_1) + b_2,

    computed stably with `numpy.logaddexp`, its gradient by backpropagation.
    The data are two interleaving half circles (the upper one class 0, the
    lower one, shifted by ``(1, 0.5)``, class 1) with Gaussian noise, in a random
    order, drawn from ``np.random.default_rng(seed)``; a linear classifier
    cannot separate them.

    Parameters
    ----------
    hidden : int, optional
        Number of hidden units ``h``.
    n_samples : int, optional
        Number of samples ``m`` (half of them, rounded up, in class 0).
    seed : int, optional
        Seed of the data and of the initial weights.
    l2 : float, optional
        Weight decay ``lambda >= 0`` on ``W1`` and ``W2``; not scaled by the
        number of samples.
    noise : float, optional
        Standard deviation of the Gaussian noise added to the points.

    Returns
    -------
    Problem
        ``args = (X, y)``, ``X`` of shape ``(n_samples, 2)``, ``y`` floats 0.0
        and 1.0. The parameters are one vector of length ``4 h + 1``:
        ``x = [W1 (2 h, row-major from shape (2, h)), b1 (h), W2 (h), b2 (1)]``.
        ``x0`` draws the weights Glorot-uniformly (from the same generator,
        after the data) and sets the biases to zero. Non-convex: no known
        minimiser or minimum.

    Examples
    --------
    >>> from rmsopt import problems
    >>> p = problems.mlp(hidden=8)
    >>> p
    <Problem 'MLP on two moons (h=8, m=200)': non-convex, n=33>
    >>> X, y = p.args
    >>> X.shape, float(y.mean())
    ((200, 2), 0.5)
    >>> bool(0.5 < p.fun(p.x0, *p.args) < 1.0)   # near log(2) at the start
    True
    """
    name = "mlp"
    hidden = check_int(name, "hidden", hidden, 1)
    n_samples = check_int(name, "n_samples", n_samples, 1)
    seed = check_int(name, "seed", seed, 0)
    l2 = check_real(name, "l2", l2, 0.0)
    noise = check_real(name, "noise", noise, 0.0)
    rng = np.random.default_rng(seed)
    X, y = _two_moons(rng, n_samples, noise)
    X.setflags(write=False)
    y.setflags(write=False)
    n_inputs = X.shape[1]
    x0 = np.zeros((n_inputs + 2) * hidden + 1)
    weights_in, _, weights_out, _ = _unpack(x0, n_inputs)
    weights_in[...] = rng.uniform(-1.0, 1.0, weights_in.shape) * np.sqrt(6 / (n_inputs + hidden))
    weights_out[...] = rng.uniform(-1.0, 1.0, hidden) * np.sqrt(6 / (hidden + 1))
    return Problem(
        name=f"MLP on two moons (h={hidden}, m={n_samples})",
        fun=partial(_mlp_loss, l2=l2),
        jac=partial(_mlp_loss_gradient, l2=l2),
        x0=x0,
        convex=False,
        character="A small neural network: non-convex, with saddle points and flat regions "
        "where tanh units saturate, and symmetries that make the minimisers non-isolated.",
        args=(X, y),
    )
