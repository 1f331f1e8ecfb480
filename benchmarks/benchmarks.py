"""asv benchmarks of rmsopt: the native steps of every method, RMSprop's NumPy peer, the
ask/tell objects' step, the minimize loop, minibatch epochs, and searches on 1 and 2 workers.

Run from the repository root (see ``README.md`` beside this file)::

    asv run --config benchmarks/asv.conf.json --python=same

Timing claims live here and in ``compare.py``, never in the unit tests.
"""

import numpy as np
from scipy.optimize import rosen, rosen_der

import rmsopt
from rmsopt._core.method_kernels import new_kernel
from rmsopt._methods.registry import METHODS

SIZES = (10, 1_000, 100_000, 1_000_000)
DTYPES = ("float32", "float64")
VARIANTS = {
    "plain": {"momentum": 0.0, "centered": False},
    "centered+momentum": {"momentum": 0.9, "centered": True},
}
RHO = 0.9
EPSILON = 1e-8
LEARNING_RATE = 1e-3
ROSEN_X0 = (-1.2, 1.0)
ROSEN_ITERATIONS = 1000
MEMORY_SIZE = 1_000_000
# Untimed steps in the step benchmarks' setup, which asv re-runs before every timed call: on
# the development VM the first few passes over freshly allocated memory run up to 2x slower,
# and steady speed (what an optimizer stepping the same arrays sees) needs about ten.
WARMUP_STEPS = 10


def matrix_options(method, n):
    """The options a whole-array method steps an n-vector with: ``shape``, the most nearly
    square (rows, cols) of n with rows <= cols (Muon requires one; Adafactor then factors its
    second moment as for a weight matrix). Nothing for the element-wise methods."""
    if METHODS[method].matrix is None:
        return {}
    rows = max(d for d in range(1, int(n**0.5) + 1) if n % d == 0)
    return {"shape": (rows, n // rows)}


def make_arrays(n, dtype, seed=0):
    """Random ``x``, two random gradients and a zeroed ``(3, n)`` state block, C-contiguous.

    Every page is written here (``np.full``, not the lazily mapped
    ``np.zeros``), so that no timed step pays for first-touch page faults.
    The step benchmarks take the two gradients in turn (``grads.reverse()``
    before each step, about 15 ns): under one constant gradient the centered
    variance estimate decays to rounding noise within a few hundred steps, a
    degenerate regime whose cost depends on how many steps the timer took.

    Parameters
    ----------
    n : int
        Number of variables.
    dtype : str or dtype
        ``float32`` or ``float64``.
    seed : int, optional
        Seed of the generator, so that every implementation starts alike.

    Returns
    -------
    x : ndarray
    grads : list of two ndarray
    state : ndarray
    """
    rng = np.random.default_rng(seed)
    x, *grads = (rng.standard_normal(n).astype(dtype) for _ in range(3))
    return x, grads, np.full((3, n), 0.0, dtype=dtype)


def make_kernel(momentum, centered, threads=1):
    """The native RMSprop step with torch's defaults apart from ``momentum`` and ``centered``,
    on ``threads`` threads for large n."""
    # Through the declaration, so that every field of the kernel's struct is filled.
    method = METHODS["rmsprop"]
    settings = method.validate(
        {"rho": RHO, "epsilon": EPSILON, "momentum": momentum, "centered": centered,
         "threads": threads},
        method.step_options,
    )  # fmt: skip
    return new_kernel(method.kernel, method.kernel_settings(settings))


class NumpyRMSprop:
    """RMSprop's step as in-place NumPy ufuncs (``out=``): the peer baseline of the kernel.

    Same equations and order of operations as ``RMSpropKernel`` with torch's
    defaults, optionally centered and with momentum; one scratch array of
    length ``n`` is allocated (and its pages written) once, here, so a step
    allocates nothing.

    Parameters
    ----------
    n : int
        Number of variables.
    dtype : str or dtype
        ``float32`` or ``float64``; the step computes in it.
    momentum : float
        Momentum factor; 0 disables momentum.
    centered : bool
        Divide by the gradient's estimated standard deviation instead of its RMS.
    """

    def __init__(self, n, dtype, momentum, centered):
        self.momentum = momentum
        self.centered = centered
        self.scratch = np.full(n, 0.0, dtype=dtype)

    def step(self, x, grad, state, step, learning_rate):
        """Advance ``x`` and ``state`` in place; the signature of ``RMSpropKernel.step``.

        ``step`` is unused (there is no bias correction); it is accepted so
        that both implementations are called alike.
        """
        square_avg, grad_avg, momentum_buffer = state
        scratch = self.scratch
        np.multiply(square_avg, RHO, out=square_avg)
        np.multiply(grad, grad, out=scratch)
        np.multiply(scratch, 1.0 - RHO, out=scratch)
        np.add(square_avg, scratch, out=square_avg)
        if self.centered:
            np.subtract(grad, grad_avg, out=scratch)
            np.multiply(scratch, 1.0 - RHO, out=scratch)
            np.add(grad_avg, scratch, out=grad_avg)
            np.multiply(grad_avg, grad_avg, out=scratch)
            np.subtract(square_avg, scratch, out=scratch)
            np.maximum(scratch, 0.0, out=scratch)
            np.sqrt(scratch, out=scratch)
        else:
            np.sqrt(square_avg, out=scratch)
        np.add(scratch, EPSILON, out=scratch)
        np.divide(grad, scratch, out=scratch)
        if self.momentum > 0:
            np.multiply(momentum_buffer, self.momentum, out=momentum_buffer)
            np.add(momentum_buffer, scratch, out=momentum_buffer)
            np.multiply(momentum_buffer, learning_rate, out=scratch)
        else:
            np.multiply(scratch, learning_rate, out=scratch)
        np.subtract(x, scratch, out=x)


def half_square_norm(x):
    """``0.5 * x @ x``, the cheap quadratic objective of the memory benchmark."""
    return 0.5 * float(x @ x)


def half_square_norm_grad(x):
    """The gradient of `half_square_norm`: ``x`` itself, which costs no allocation."""
    return x


def run_rosenbrock(x0):
    """``ROSEN_ITERATIONS`` RMSprop iterations of ``rmsopt.minimize`` on `rosen`, at a
    constant rate (the default schedule would call `rosen` at every iterate too)."""
    return rmsopt.minimize(
        rosen,
        x0,
        jac=rosen_der,
        method="rmsprop",
        options={"learning_rate": LEARNING_RATE, "maxiter": ROSEN_ITERATIONS, "gtol": 0.0},
    )


def run_bare_rosen_der_loop(x0):
    """``ROSEN_ITERATIONS`` calls of `rosen_der` at ``x0``: the loop's irreducible cost."""
    for _ in range(ROSEN_ITERATIONS):
        rosen_der(x0)


class KernelStep:
    """One in-place step of the native kernel."""

    params = (SIZES, DTYPES, tuple(VARIANTS))
    param_names = ("n", "dtype", "variant")

    def setup(self, n, dtype, variant):
        self.x, self.grads, self.state = make_arrays(n, dtype)
        self.kernel = make_kernel(**VARIANTS[variant])
        for _ in range(WARMUP_STEPS):
            self.time_step(n, dtype, variant)

    def time_step(self, n, dtype, variant):
        self.grads.reverse()
        self.kernel.step(self.x, self.grads[0], self.state, 1, LEARNING_RATE)


class NumpyStep:
    """One in-place step of the NumPy peer, same equations and arrays as `KernelStep`."""

    params = KernelStep.params
    param_names = KernelStep.param_names

    def setup(self, n, dtype, variant):
        self.x, self.grads, self.state = make_arrays(n, dtype)
        self.peer = NumpyRMSprop(n, dtype, **VARIANTS[variant])
        for _ in range(WARMUP_STEPS):
            self.time_step(n, dtype, variant)

    def time_step(self, n, dtype, variant):
        self.grads.reverse()
        self.peer.step(self.x, self.grads[0], self.state, 1, LEARNING_RATE)


class MethodStep:
    """One in-place step of each method's native kernel, torch's default options, on one
    thread and on two (the ``threads`` option)."""

    params = (tuple(METHODS), (1_000, 1_000_000), DTYPES, (1, 2))
    param_names = ("method", "n", "dtype", "threads")

    def setup(self, method, n, dtype, threads):
        declaration = METHODS[method]
        settings = declaration.validate(
            {"threads": threads, **matrix_options(method, n)}, declaration.step_options
        )
        self.kernel = new_kernel(declaration.kernel, declaration.kernel_settings(settings))
        self.x, self.grads, _ = make_arrays(n, dtype)
        self.state = np.full((len(declaration.state), n), 0.0, dtype=dtype)
        self.step_count = 0
        for _ in range(WARMUP_STEPS):
            self.time_step(method, n, dtype, threads)

    def time_step(self, method, n, dtype, threads):
        self.grads.reverse()
        self.step_count += 1
        self.kernel.step(self.x, self.grads[0], self.state, self.step_count, LEARNING_RATE)


class OptimizerObjectStep:
    """``opt.step(grad)`` of the ask/tell objects: argument checks, the finiteness checks
    and the out-of-place step that make a step all-or-nothing, and the copy into ``x``."""

    params = (("RMSprop", "Adam"), SIZES, ("float64",))
    param_names = ("optimizer", "n", "dtype")

    def setup(self, optimizer, n, dtype):
        self.x, self.grads, _ = make_arrays(n, dtype)
        self.optimizer = getattr(rmsopt, optimizer)(self.x, learning_rate=LEARNING_RATE)
        for _ in range(WARMUP_STEPS):
            self.time_step(optimizer, n, dtype)

    def time_step(self, optimizer, n, dtype):
        self.grads.reverse()
        self.optimizer.step(self.grads[0])


class RosenbrockLoop:
    """The cost of the minimize loop: 1000 iterations on 2-D Rosenbrock, with and without it."""

    def setup(self):
        self.x0 = np.array(ROSEN_X0)

    def time_rmsopt_minimize(self):
        run_rosenbrock(self.x0)

    def time_bare_rosen_der_loop(self):
        run_bare_rosen_der_loop(self.x0)


class HistoryCost:
    """What recording a history adds to minimize: 50 iterations of RMSprop on a separable
    quadratic, with every group but ``fun`` (which costs calls of ``fun``) and without."""

    params = ((2, 100_000), (False, True))
    param_names = ("n", "history")

    def setup(self, n, history):
        self.x0 = np.ones(n)
        groups = ["grad_norm", "step_norm", "learning_rate", "step_size", "v"]
        self.options = {"maxiter": 50, "gtol": 0.0, "history": groups if history else False}

    def time_minimize(self, n, history):
        rmsopt.minimize(half_square_norm, self.x0, jac=half_square_norm_grad, options=self.options)


class MinibatchEpochs:
    """The cost of minibatch mode: 10 epochs of logistic regression (1000 samples, batches of
    32, shuffled) through ``minimize``, against a hand-written loop over the same batches with
    an ``rmsopt.RMSprop`` object. The difference is what the minibatch driver adds."""

    def setup(self):
        self.problem = rmsopt.problems.logistic_regression(n_samples=1000, n_features=20)
        self.options = {"batch_size": 32, "epochs": 10, "seed": 0, "learning_rate": 1e-2}

    def time_rmsopt_minimize(self):
        p = self.problem
        rmsopt.minimize(p.fun, p.x0, args=p.args, jac=p.jac, options=self.options)

    def time_hand_written_loop(self):
        p = self.problem
        x = np.array(p.x0)
        optimizer = rmsopt.RMSprop(x, learning_rate=1e-2)
        rng = np.random.default_rng(0)
        features, labels = p.args
        for _ in range(10):
            order = rng.permutation(labels.shape[0])
            for start in range(0, labels.shape[0], 32):
                rows = order[start : start + 32]
                optimizer.step(p.jac(x, features[rows], labels[rows]))


class MinimizeMemory:
    """Peak memory of ``rmsopt.minimize`` on 1e6 variables; the gradient allocates nothing."""

    params = (DTYPES,)
    param_names = ("dtype",)

    def setup(self, dtype):
        self.x0 = np.ones(MEMORY_SIZE, dtype=dtype)

    def peakmem_baseline(self, dtype):
        """The process with ``x0`` alone; `peakmem_minimize` minus this is minimize's own."""

    def peakmem_minimize(self, dtype):
        rmsopt.minimize(
            half_square_norm,
            self.x0,
            jac=half_square_norm_grad,
            method="rmsprop",
            options={"maxiter": 10, "gtol": 0.0},
        )


# Searches: one rmsopt.tune grid of 64 trials, on 1 worker and on a pool of 2 processes.
TRIALS_SPACE = {
    "learning_rate": list(np.logspace(-4, -1, 8)),
    "rho": [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999],
}
LARGE_N = 200_000


def quadratic(x):
    """A separable quadratic; module level so that worker processes can unpickle it.

    ``np.sum(x * x)`` rather than ``np.dot(x, x)``: a BLAS dot product may sum in an order
    that depends on its thread count, which Dask's workers set to one."""
    return 0.5 * float(np.sum(x * x))


def quadratic_gradient(x):
    return x


def python_search(workers):
    """A 64-trial grid on 2-D Rosenbrock with SciPy's Python rosen_der (holds the GIL)."""
    return rmsopt.tune(
        rosen, np.array([-1.2, 1.0]), TRIALS_SPACE, jac=rosen_der,
        options={"maxiter": 2000, "gtol": 0.0}, workers=workers, as_frame=False,
    )  # fmt: skip


def numpy_search(workers):
    """A 64-trial grid on a quadratic in LARGE_N variables (NumPy and the kernel release
    the GIL)."""
    return rmsopt.tune(
        quadratic, np.ones(LARGE_N), TRIALS_SPACE, jac=quadratic_gradient,
        options={"maxiter": 30, "gtol": 0.0}, workers=workers, as_frame=False,
    )  # fmt: skip


class SearchWorkers:
    """A 64-trial search on one worker and on two processes (each call starts its pool, as a
    user's call does). ``benchmarks/parallel.py`` adds thread pools and Dask."""

    params = ((1, 2),)
    param_names = ("workers",)
    timeout = 120

    def time_python_objective(self, workers):
        python_search(workers)

    def time_numpy_objective(self, workers):
        numpy_search(workers)
