"""Print one plain-text table comparing rmsopt with its peers on this machine.

Usage::

    python benchmarks/compare.py [--quick] [--torch-threads N]

Sections (``--entry-points``: the first three only):

* What users call: RMSprop at n = 10**6, ns per element per iteration of the kernel alone,
  ``RMSprop.step``, ``minimize`` (whole, and beyond the time inside the user's jac), a
  ``torch.optim.RMSprop`` loop and a plain C loop, with ratios to the C loop and to torch; and
  the peak arrays of n that minimize and the class hold.
* Options: what each option (weight decay, maximize, clipping, a box, a schedule, history)
  costs minimize beyond the user's jac, as a ratio to the plain run, for RMSprop and Adam.
* Minibatches: ``minimize`` with ``batch_size`` against the hand-written loop of the same steps.
* Threads: every method's step at n = 10**7 on one thread and on two.

* RMSprop step: ns per element of one in-place step of rmsopt's native kernel
  (on one thread, on two, and on one with the baseline build of its loop when
  the CPU runs a wider one), the same step as NumPy ufuncs with ``out=``, ``torch.optim.RMSprop``
  (``foreach=False`` and ``foreach=True``, ``.grad`` preset to one of two
  gradients taken in turn) when torch is importable, optax's jitted rmsprop
  when jax and optax are, and a plain C loop (``step_loop.c``, built with
  ``cc -O3 -fno-math-errno`` when there is a compiler). Ratios are peer time /
  rmsopt time, so above 1 means rmsopt is faster. Before timing, every peer's
  first step is checked against rmsopt's.
* Every method: ns per element of each method's in-place step with torch's
  defaults, on one thread and on two, and torch.optim's foreach step.
* Minimize loop: microseconds per iteration of ``rmsopt.minimize`` on 2-D
  Rosenbrock with ``rosen_der``, of a bare loop calling ``rosen_der``, and of
  SciPy's L-BFGS-B for context.
* Native objective: nanoseconds per iteration of ``rmsopt.minimize`` on
  ``rmsopt.problems.rosenbrock().native`` (a C-level objective), of the same
  iterations as a plain C loop (``native_loop.c``, built with ``cc`` when
  there is one; its final x is checked to equal rmsopt's bit for bit), and of
  the run with Python callables.
* Memory: the peak memory of ``rmsopt.minimize`` beyond ``x0`` for every
  method, in arrays of n = 10**6 elements, after 10 and after 100 iterations.

Every figure is the minimum over repeats of ``timeit`` runs, each calibrated to
last at least a target time. ``--quick`` skips n = 10**7 and repeats less.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import subprocess
import tempfile
import timeit
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy
import scipy.optimize
from scipy.optimize import minimize as scipy_minimize
from scipy.optimize import rosen, rosen_der

import rmsopt
from rmsopt._core import simd as _simd
from rmsopt._core.method_kernels import new_kernel
from rmsopt._methods.registry import METHODS

if __package__:  # imported, e.g. by asv's discovery
    from . import benchmarks as suite
else:  # run as a script: this folder is sys.path[0]
    import benchmarks as suite

# rmsopt's one-thread step with the baseline build of the loop (timed with that build selected).
BASELINE = "rmsopt, baseline build"

# Peers' first steps must match rmsopt's to this many units in the last place of max|x|.
AGREEMENT_ULPS = 64


def seconds_per_call(func: Callable[[], object], repeat: int, min_time: float) -> float:
    """Minimum over ``repeat`` timeit runs of the seconds per call of ``func``.

    The number of calls per run grows tenfold until a run lasts ``min_time / 10``,
    then is scaled so that a run lasts about ``min_time``.
    """
    timer = timeit.Timer(func)
    number = 1
    while (elapsed := timer.timeit(number)) < min_time / 10:
        number *= 10
    number = max(1, round(number * min_time / elapsed))
    return min(timer.repeat(repeat, number)) / number


def import_torch(threads: int):
    """torch with ``threads`` intra-op threads, or None when it cannot be imported."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def cpu_name() -> str:
    """``platform.processor()``, or the model name of /proc/cpuinfo where that is empty."""
    name = platform.processor()
    if not name and os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            name = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                "",
            )
    return name or platform.machine()


def print_machine(torch, optax, args: argparse.Namespace) -> None:
    """The header: machine, versions, and how the timings were taken."""
    if torch is None:
        torch_version = "not importable"
    else:
        torch_version = f"{torch.__version__} ({torch.get_num_threads()} intra-op thread(s))"
    print(f"processor  {cpu_name()} ({platform.machine()}), os.cpu_count() = {os.cpu_count()}")
    print(f"platform   {platform.platform()}, Python {platform.python_version()}")
    print(
        f"versions   rmsopt {rmsopt.__version__}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, torch {torch_version}, "
        f"optax {'not importable' if optax is None else optax.__version__}"
    )
    print(
        f"kernels    the methods' loops run the {_simd.selected_loop()} build "
        f"(built: {', '.join(_simd.loop_targets())}; chosen at import)"
    )
    print(
        f"timing     minimum of {args.repeat} timeit runs of >= {args.min_time * 1e3:g} ms each"
        + (" (--quick)" if args.quick else "")
    )


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """Right-aligned columns, the first left-aligned, separated by two spaces."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first, *rest = cells
        aligned = [first.ljust(widths[0])]
        aligned += [cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True)]
        return "  ".join(aligned)

    print(line(header))
    print("-" * len(line(header)))
    for row in rows:
        print(line(row))


def step_functions(
    n: int, dtype: str, variant: str, torch, optax
) -> dict[str, tuple[Callable[[], object], Any]]:
    """For each implementation, a zero-argument step on fresh identical arrays, and its ``x``.

    Each step first swaps the two gradients (see ``benchmarks.make_arrays``);
    torch's swap assigns ``.grad`` (about 0.1 us). torch's parameter shares
    memory with its ``x``, so every ``x`` shows its implementation's iterate.
    """
    options = suite.VARIANTS[variant]
    functions = {}

    x, grads, state = suite.make_arrays(n, dtype)
    kernel = suite.make_kernel(**options)

    def rmsopt_step():
        grads.reverse()
        kernel.step(x, grads[0], state, 1, suite.LEARNING_RATE)

    functions["rmsopt"] = (rmsopt_step, x)

    x_threads, grads_threads, state_threads = suite.make_arrays(n, dtype)
    threaded = suite.make_kernel(**options, threads=2)

    def threaded_step():
        grads_threads.reverse()
        threaded.step(x_threads, grads_threads[0], state_threads, 1, suite.LEARNING_RATE)

    functions["rmsopt, 2 threads"] = (threaded_step, x_threads)

    if _simd.selected_loop() != "baseline":
        x_base, grads_base, state_base = suite.make_arrays(n, dtype)

        def baseline_step():
            grads_base.reverse()
            kernel.step(x_base, grads_base[0], state_base, 1, suite.LEARNING_RATE)

        functions[BASELINE] = (baseline_step, x_base)

    x_np, grads_np, state_np = suite.make_arrays(n, dtype)
    peer = suite.NumpyRMSprop(n, dtype, **options)

    def numpy_step():
        grads_np.reverse()
        peer.step(x_np, grads_np[0], state_np, 1, suite.LEARNING_RATE)

    functions["numpy"] = (numpy_step, x_np)

    if torch is not None:
        for name, foreach in (("torch", False), ("torch foreach", True)):
            x_torch, grads_numpy, _ = suite.make_arrays(n, dtype)
            functions[name] = (torch_step(torch, x_torch, grads_numpy, foreach, options), x_torch)
    if optax is not None:
        x_optax, grads_numpy, _ = suite.make_arrays(n, dtype)
        functions["optax"] = optax_step(optax, x_optax, grads_numpy, options)
    return functions


def import_optax():
    """optax with JAX in float64 mode, or None when either cannot be imported."""
    try:
        import jax
        import optax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return optax


def optax_step(optax, x: np.ndarray, grads: list[np.ndarray], options: dict):
    """``optax.rmsprop``'s update and ``apply_updates`` under ``jax.jit`` (buffers donated, so
    that XLA may update in place), gradients in turn; waits for the result at every step, as a
    loop that uses it must. The second value returns the current iterate as a NumPy array."""
    import jax
    import jax.numpy as jnp

    transform = optax.rmsprop(
        suite.LEARNING_RATE,
        decay=suite.RHO,
        eps=suite.EPSILON,
        eps_in_sqrt=False,
        centered=options["centered"],
        momentum=options["momentum"] or None,
    )

    def update(params, grad, state):
        updates, state = transform.update(grad, state, params)
        return optax.apply_updates(params, updates), state

    update = jax.jit(update, donate_argnums=(0, 2))
    params = jnp.asarray(x)
    current = [params, transform.init(params)]
    grads_jax = [jnp.asarray(grad) for grad in grads]

    def step():
        grads_jax.reverse()
        current[0], current[1] = update(current[0], grads_jax[0], current[1])
        current[0].block_until_ready()

    return step, lambda: np.asarray(current[0])


def torch_step(torch, x: np.ndarray, grads: list[np.ndarray], foreach: bool, options: dict):
    """``torch.optim.RMSprop``'s step on a parameter sharing ``x``'s memory, gradients in turn."""
    parameter = torch.nn.Parameter(torch.from_numpy(x))
    grads_torch = [torch.from_numpy(grad) for grad in grads]
    optimizer = torch.optim.RMSprop(
        [parameter],
        lr=suite.LEARNING_RATE,
        alpha=suite.RHO,
        eps=suite.EPSILON,
        foreach=foreach,
        **options,
    )

    def step():
        grads_torch.reverse()
        parameter.grad = grads_torch[0]
        optimizer.step()

    return step


def check_first_steps(
    functions: dict[str, tuple[Callable[[], object], np.ndarray]], label: str
) -> None:
    """Take every implementation's first step and check that its ``x`` (or what its callable
    returns) matches rmsopt's."""
    for step, _ in functions.values():
        step()
    expected = functions["rmsopt"][1]
    tolerance = AGREEMENT_ULPS * np.finfo(expected.dtype).eps * np.max(np.abs(expected))
    for name, (_, x) in functions.items():
        error = np.max(np.abs((x() if callable(x) else x) - expected))
        if error > tolerance:
            raise AssertionError(f"{label}: {name}'s step differs from rmsopt's by {error:.3g}")


def format_ns(value: float) -> str:
    """Two decimals below 100 ns, none above."""
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def build_c_program(name: str, folder: str) -> pathlib.Path | None:
    """``benchmarks/<name>.c`` built with ``cc -O3 -fno-math-errno`` in ``folder``, or None
    when there is no C compiler."""
    source = pathlib.Path(__file__).with_name(f"{name}.c")
    program = pathlib.Path(folder) / name
    command = ["cc", "-O3", "-fno-math-errno", "-ffp-contract=off", "-o", str(program)]
    try:
        subprocess.run([*command, str(source), "-lm"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return program


def c_step_ns(program: pathlib.Path, n: int, variant: str, dtype: str, args) -> float:
    """ns per element of ``step_loop.c``'s in-place step, timed as the peers are."""
    arguments = [str(n), variant, dtype, repr(args.min_time), str(args.repeat)]
    output = subprocess.run([str(program), *arguments], check=True, capture_output=True)
    return float(output.stdout)


def print_step_section(sizes: list[int], torch, optax, args: argparse.Namespace) -> None:
    """ns per element of one step, each peer's ratio to rmsopt."""
    with tempfile.TemporaryDirectory() as folder:
        c_program = build_c_program("step_loop", folder)
        _print_step_table(sizes, torch, optax, c_program, args)


def step_ns(name: str, step: Callable[[], object], n: int, args: argparse.Namespace) -> float:
    """ns per element of ``step``, with the loop build the column ``name`` stands for."""
    target = "baseline" if name == BASELINE else _simd.selected_loop()
    previous = _simd.select_loop(target)
    try:
        return seconds_per_call(step, args.repeat, args.min_time) * 1e9 / n
    finally:
        _simd.select_loop(previous)


def _print_step_table(sizes, torch, optax, c_program, args: argparse.Namespace) -> None:
    header = ["variant / dtype", "n", "rmsopt", "2 threads", "ratio"]
    if _simd.selected_loop() != "baseline":
        header += ["baseline build", "ratio"]
    header += ["numpy", "ratio"]
    if torch is not None:
        header += ["torch", "ratio", "torch foreach", "ratio"]
    if optax is not None:
        header += ["optax (jit)", "ratio"]
    if c_program is not None:
        header += ["C loop", "ratio"]
    rows = []
    for variant in suite.VARIANTS:
        for dtype in suite.DTYPES:
            for n in sizes:
                functions = step_functions(n, dtype, variant, torch, optax)
                check_first_steps(functions, f"{variant}, {dtype}, n={n}")
                ns = {name: step_ns(name, step, n, args) for name, (step, _) in functions.items()}
                rmsopt_ns = ns.pop("rmsopt")
                row = [f"{variant} / {dtype}", f"{n:,}", format_ns(rmsopt_ns)]
                if c_program is not None:
                    ns["C loop"] = c_step_ns(c_program, n, variant, dtype, args)
                for peer_ns in ns.values():
                    row += [format_ns(peer_ns), f"{peer_ns / rmsopt_ns:.2f}"]
                rows.append(row)
    print(
        f"\nRMSprop step, ns per element (ratio = peer / rmsopt; above 1: rmsopt faster), "
        f"lr={suite.LEARNING_RATE:g}, rho={suite.RHO:g}, eps={suite.EPSILON:g}"
    )
    print_table(header, rows)


# torch.optim's class for each method. Both sides take their defaults but the learning rate,
# and RMSprop's decay, where rmsopt's default is Hinton's and Keras's 0.9 and torch's 0.99.
TORCH_CLASSES = {
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "adamax": "Adamax",
    "nadam": "NAdam",
    "radam": "RAdam",
    "rprop": "Rprop",
    "asgd": "ASGD",
    "adafactor": "Adafactor",
    "muon": "Muon",
}  # Lion has no torch class: optax.lion is its reference


# Options that send each method's step to its general loop, which tests them per element.
GENERAL_LOOP_OPTIONS = {"maximize": True, "weight_decay": 0.01}


def method_step_functions(method: str, n: int, dtype: str, torch):
    """One in-place step of ``method`` with its defaults: rmsopt's kernel on one thread and on
    two, and ``torch.optim``'s foreach step when torch is importable; then rmsopt's step with
    `GENERAL_LOOP_OPTIONS`."""
    declaration = METHODS[method]
    settings = declaration.validate({}, declaration.step_options)
    functions = {}
    for name, threads, options in [
        ("rmsopt", 1, {}),
        ("rmsopt, 2 threads", 2, {}),
        ("rmsopt, general loop", 1, GENERAL_LOOP_OPTIONS),
    ]:
        declared = {option.name for option in declaration.step_options}
        options = {name: value for name, value in options.items() if name in declared}
        options.update(suite.matrix_options(method, n))
        checked = declaration.validate({**options, "threads": threads}, declaration.step_options)
        kernel = new_kernel(declaration.kernel, declaration.kernel_settings(checked))
        x, grads, _ = suite.make_arrays(n, dtype)
        state = np.full((len(declaration.state), n), 0.0, dtype=dtype)
        count = [0]

        def step(kernel=kernel, x=x, grads=grads, state=state, count=count):
            grads.reverse()
            count[0] += 1
            kernel.step(x, grads[0], state, count[0], suite.LEARNING_RATE)

        functions[name] = (step, x)
    if torch is not None and method in TORCH_CLASSES:
        x, grads, _ = suite.make_arrays(n, dtype)
        # Adafactor's and Muon's parameter is the matrix rmsopt reads x as (a view of x).
        shape = suite.matrix_options(method, n).get("shape", (n,))
        parameter = torch.nn.Parameter(torch.from_numpy(x).view(shape))
        grads_torch = [torch.from_numpy(grad).view(shape) for grad in grads]
        same_decay = {"alpha": settings["rho"]} if method == "rmsprop" else {}
        # torch's Muon has no foreach form; it runs as shipped (products in bfloat16).
        foreach = {} if method == "muon" else {"foreach": True}
        optimizer = getattr(torch.optim, TORCH_CLASSES[method])(
            [parameter], lr=suite.LEARNING_RATE, **foreach, **same_decay
        )

        run_dtype = torch.float64 if dtype == "float64" else torch.float32

        def torch_method_step():
            grads_torch.reverse()
            parameter.grad = grads_torch[0]
            # NAdam and ASGD create their scalars (mu_product, eta, mu) in torch's default
            # dtype at their first step: the run's own, as rmsopt keeps them.
            previous = torch.get_default_dtype()
            torch.set_default_dtype(run_dtype)
            optimizer.step()
            torch.set_default_dtype(previous)

        functions["torch foreach"] = (torch_method_step, x)
    return functions


def print_method_section(torch, args: argparse.Namespace) -> None:
    """ns per element of every method's in-place step, with torch's defaults."""
    header = ["method / dtype", "n", "rmsopt", "2 threads", "ratio", "general loop", "ratio"]
    if torch is not None:
        header += ["torch foreach", "ratio"]
    rows = []
    for method in args.methods.split(",") if args.methods else METHODS:
        for dtype in suite.DTYPES:
            for n in (100_000, 1_000_000):
                functions = method_step_functions(method, n, dtype, torch)
                general = functions.pop("rmsopt, general loop")
                # torch's Muon rounds to bfloat16: its first step is not rmsopt's to the ulp.
                bfloat16 = functions.pop("torch foreach") if method == "muon" else None
                check_first_steps(functions, f"{method}, {dtype}, n={n}")
                functions["rmsopt, general loop"] = general
                if bfloat16 is not None:
                    functions["torch foreach"] = bfloat16
                ns = {name: seconds_per_call(step, args.repeat, args.min_time) * 1e9 / n
                      for name, (step, _) in functions.items()}  # fmt: skip
                first = ns.pop("rmsopt")
                row = [f"{method} / {dtype}", f"{n:,}", format_ns(first)]
                for name in ("rmsopt, 2 threads", "rmsopt, general loop", "torch foreach"):
                    if name in ns:
                        row += [format_ns(ns[name]), f"{ns[name] / first:.2f}"]
                    elif torch is not None:  # Lion: torch has no such optimizer
                        row += ["-", "-"]
                rows.append(row)
    print(
        f"\nEvery method's step with its defaults, ns per element (ratio = column / rmsopt "
        f"on one thread), lr={suite.LEARNING_RATE:g}; `general loop`: one thread with "
        f"{GENERAL_LOOP_OPTIONS}, options tested per element. Adafactor and Muon read x as "
        "the most nearly square matrix of n elements (250 x 400, 1000 x 1000) and run on one "
        "thread; torch's Muon has no foreach form: its for-loop step, products in bfloat16"
    )
    print_table(header, rows)


ENTRY_POINT_SIZE = 1_000_000
ENTRY_POINT_ITERATIONS = 100


class TimedGradient:
    """The gradient ``0.5 * x`` of ``0.25 * |x|**2``, timing itself: ``seconds`` is the time
    spent inside it, which the entry-point table subtracts ("minus the user's jac")."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        started = timeit.default_timer()
        grad = 0.5 * x
        self.seconds += timeit.default_timer() - started
        return grad


class TimedObjective:
    """``0.25 * |x|**2``, timing itself like `TimedGradient`."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, x: np.ndarray) -> float:
        started = timeit.default_timer()
        value = 0.25 * float(x @ x)
        self.seconds += timeit.default_timer() - started
        return value


def minimize_ns(x0: np.ndarray, args: argparse.Namespace) -> tuple[float, float]:
    """ns per element per iteration of RMSprop's ``minimize``, whole and minus the time inside
    the user's jac (best of ``args.repeat`` runs)."""
    whole = beyond = np.inf
    options = {"learning_rate": suite.LEARNING_RATE, "rho": suite.RHO, "epsilon": suite.EPSILON}
    options.update(maxiter=ENTRY_POINT_ITERATIONS, gtol=0.0)
    for _ in range(args.repeat):
        jac = TimedGradient()
        started = timeit.default_timer()
        rmsopt.minimize(suite.half_square_norm, x0, jac=jac, options=options)
        elapsed = timeit.default_timer() - started
        whole = min(whole, elapsed)
        beyond = min(beyond, elapsed - jac.seconds)
    scale = 1e9 / (ENTRY_POINT_ITERATIONS * x0.size)
    return whole * scale, beyond * scale


def peak_arrays(run: Callable[[], object], n: int, dtype: str) -> float:
    """Peak NumPy memory of ``run()`` in arrays of n elements (tracemalloc)."""
    tracemalloc.start()
    try:
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / (n * np.dtype(dtype).itemsize)


def entry_point_timings(dtype: str, torch, args: argparse.Namespace) -> dict[str, float]:
    """ns per element per iteration of each entry point at ENTRY_POINT_SIZE in ``dtype``."""
    n = ENTRY_POINT_SIZE
    x, grads, state = suite.make_arrays(n, dtype)
    kernel = suite.make_kernel(momentum=0.0, centered=False)

    def kernel_step():
        grads.reverse()
        kernel.step(x, grads[0], state, 1, suite.LEARNING_RATE)

    optimizer = rmsopt.RMSprop(
        x, learning_rate=suite.LEARNING_RATE, rho=suite.RHO, epsilon=suite.EPSILON
    )

    def class_step():
        grads.reverse()
        optimizer.step(grads[0])

    whole, beyond = minimize_ns(x.copy(), args)
    timings = {
        "kernel alone, in place": seconds_per_call(kernel_step, args.repeat, args.min_time),
        "RMSprop(x).step(g)": seconds_per_call(class_step, args.repeat, args.min_time),
    }
    timings = {name: seconds * 1e9 / n for name, seconds in timings.items()}
    timings["minimize per iteration"] = whole
    timings["minimize minus the user's jac"] = beyond
    if torch is not None:
        parameter = torch.nn.Parameter(torch.from_numpy(x.copy()))
        torch_optimizer = torch.optim.RMSprop(
            [parameter], lr=suite.LEARNING_RATE, alpha=suite.RHO, eps=suite.EPSILON
        )

        def torch_loop():
            with torch.no_grad():
                parameter.grad = 0.5 * parameter
            torch_optimizer.step()

        seconds = seconds_per_call(torch_loop, args.repeat, args.min_time)
        timings["torch.optim.RMSprop loop (p.grad = 0.5 * p; step)"] = seconds * 1e9 / n
    return timings


def entry_point_memory(dtype: str) -> tuple[float, float]:
    """Peak arrays of minimize beyond x0 and of the class beyond x and g, 10 iterations."""
    n = ENTRY_POINT_SIZE
    x0 = np.ones(n, dtype=dtype)

    def run_minimize():
        options = {"maxiter": 10, "gtol": 0.0}
        rmsopt.minimize(
            suite.half_square_norm, x0, jac=suite.half_square_norm_grad, options=options
        )

    def run_class():
        x = np.ones(n, dtype=dtype)
        grad = np.ones(n, dtype=dtype)
        optimizer = rmsopt.RMSprop(x)
        for _ in range(10):
            optimizer.step(grad)

    return peak_arrays(run_minimize, n, dtype), peak_arrays(run_class, n, dtype) - 2


def print_entry_section(torch, args: argparse.Namespace) -> None:
    """What users call, against the kernel, a plain C loop and a torch.optim loop."""
    n = ENTRY_POINT_SIZE
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        c_program = build_c_program("step_loop", folder)
        for dtype in suite.DTYPES:
            c_ns = c_step_ns(c_program, n, "plain", dtype, args) if c_program else np.nan
            timings = entry_point_timings(dtype, torch, args)
            timings["plain C loop, -O3, in place"] = c_ns
            torch_ns = next((v for k, v in timings.items() if k.startswith("torch")), np.nan)
            for name, ns in timings.items():
                rows.append(
                    [
                        f"{name} / {dtype}",
                        format_ns(ns),
                        f"{ns / c_ns:.2f}",
                        f"{ns / torch_ns:.2f}" if torch is not None else "-",
                    ]
                )
    print(
        f"\nWhat users call, RMSprop at n = {n:,}: ns per element per iteration, and the ratio "
        "to a plain C loop of the same update and to a torch.optim loop (below 1: faster)"
    )
    print_table(["entry point / dtype", "ns/el/iter", "/ C loop", "/ torch"], rows)
    memory_rows = []
    for dtype in suite.DTYPES:
        minimize_peak, class_peak = entry_point_memory(dtype)
        memory_rows.append([dtype, f"{minimize_peak:.2f}", f"{class_peak:.2f}"])
    print(
        "\nPeak arrays of n elements held (tracemalloc), plain RMSprop, 10 iterations: minimize "
        "beyond x0 (its gradient allocates nothing), and the class beyond the user's x and g"
    )
    print_table(["dtype", "minimize", "RMSprop class"], memory_rows)


def print_options_section(args: argparse.Namespace) -> None:
    """What each option costs a minimize run, as a ratio to the plain run of its method."""
    n = ENTRY_POINT_SIZE
    box = (np.full(n, -10.0), np.full(n, 10.0))
    variants = [
        ("weight_decay=1e-4", {"weight_decay": 1e-4}, None),
        ("maximize", {"maximize": True}, None),
        ("clipnorm=1", {"clipnorm": 1.0}, None),
        ("clipvalue=0.1", {"clipvalue": 0.1}, None),
        ("bounds (arrays of n)", {}, scipy.optimize.Bounds(*box)),
        (
            "schedule (exponential decay)",
            {"learning_rate": rmsopt.schedules.exponential_decay(1e-3, 0.9, 100)},
            None,
        ),
        ("history=['learning_rate']", {"history": ["learning_rate"]}, None),
        ("history=['grad_norm', 'step_norm']", {"history": ["grad_norm", "step_norm"]}, None),
        ("history, every group", {"history": ["grad_norm", "step_norm", "step_size", "v"]}, None),
        # minimize's default rate: reduce_on_plateau in the native loop, fun at every iterate.
        ("learning_rate=None (the default schedule)", {"learning_rate": None}, None),
    ]
    rows = []
    for method in ("rmsprop", "adam"):
        for dtype in suite.DTYPES:
            x0 = np.ones(n, dtype=dtype)
            base = minimize_beyond_jac_ns_for(method, x0, {"learning_rate": 1e-3}, args)
            for name, options, bounds in variants:
                ns = minimize_beyond_jac_ns_for(method, x0, options, args, bounds)
                rows.append([f"{method} / {dtype}", name, format_ns(ns), f"{ns / base:.2f}"])
            rows.append(
                [f"{method} / {dtype}", "(plain run, learning_rate=1e-3)", format_ns(base), "1.00"]
            )
    print(
        f"\nOptions: minimize beyond the user's fun and jac at n = {n:,}, ns per element per "
        "iteration, and the ratio to the plain run of the same method at a constant rate"
    )
    print_table(["method / dtype", "option", "ns/el/iter", "ratio"], rows)


def minimize_beyond_jac_ns_for(
    method: str, x0: np.ndarray, options: dict, args: argparse.Namespace, bounds: Any = None
) -> float:
    """ns per element per iteration of a ``method`` run, minus the time inside the user's fun
    (called with the default rate only) and jac."""
    best = np.inf
    for _ in range(args.repeat):
        fun, jac = TimedObjective(), TimedGradient()
        started = timeit.default_timer()
        rmsopt.minimize(
            fun,
            x0,
            jac=jac,
            method=method,
            bounds=bounds,
            options={"maxiter": ENTRY_POINT_ITERATIONS, "gtol": 0.0, **options},
        )
        best = min(best, timeit.default_timer() - started - jac.seconds - fun.seconds)
    return best * 1e9 / (ENTRY_POINT_ITERATIONS * x0.size)


def print_threads_section(args: argparse.Namespace) -> None:
    """Every method's in-place step on one thread and on two at n = 1e7."""
    n = 10**7
    rows = []
    for method, declaration in METHODS.items():
        if declaration.matrix is not None:
            continue  # Adafactor's and Muon's steps are the whole array's, on one thread
        for dtype in suite.DTYPES:
            timings = []
            for threads in (1, 2):
                settings = declaration.validate({"threads": threads}, declaration.step_options)
                kernel = new_kernel(declaration.kernel, declaration.kernel_settings(settings))
                x, grads, _ = suite.make_arrays(n, dtype)
                state = np.full((len(declaration.state), n), 0.5, dtype=dtype)

                def step(kernel=kernel, x=x, grads=grads, state=state):
                    grads.reverse()
                    kernel.step(x, grads[0], state, 1, suite.LEARNING_RATE)

                timings.append(seconds_per_call(step, args.repeat, args.min_time) * 1e9 / n)
            rows.append(
                [
                    f"{method} / {dtype}",
                    format_ns(timings[0]),
                    format_ns(timings[1]),
                    f"{timings[0] / timings[1]:.2f}",
                ]
            )
    print(
        "\nThreads at n = 10,000,000: ns per element of the in-place step on one thread and on "
        "two, and the speed-up"
    )
    print_table(["method / dtype", "1 thread", "2 threads", "speed-up"], rows)


def print_arrays_section(args: argparse.Namespace) -> None:
    """One optimizer stepping a model of many arrays against one array of the same size."""
    total = 10**6
    rows = []
    for dtype in suite.DTYPES:
        for count in (1, 100, 1000):
            rng = np.random.default_rng(0)
            arrays = [rng.standard_normal(total // count).astype(dtype) for _ in range(count)]
            grads = [0.5 * array for array in arrays]
            several = rmsopt.RMSprop(arrays if count > 1 else arrays[0])
            given = grads if count > 1 else grads[0]

            def step(optimizer=several, given=given):
                optimizer.step(given)

            timings = {f"RMSprop(list of {count}).step" if count > 1 else "RMSprop(x).step": step}
            if count > 1:
                separate = [rmsopt.RMSprop(array) for array in arrays]

                def loop(separate=separate, grads=grads):
                    for optimizer, grad in zip(separate, grads, strict=True):
                        optimizer.step(grad)

                timings[f"  a Python loop over {count} RMSprop objects"] = loop
            best = {name: np.inf for name in timings}
            for _ in range(3):  # interleaved rounds, so that the ratios come from one moment
                for name, func in timings.items():
                    seconds = seconds_per_call(func, args.repeat, args.min_time)
                    best[name] = min(best[name], seconds)
            for name, seconds in best.items():
                rows.append([f"{name} / {dtype}", f"{count}", format_ns(seconds * 1e9 / total),
                             seconds * 1e9 / total])  # fmt: skip
    base = {dtype: next(r[3] for r in rows if r[0] == f"RMSprop(x).step / {dtype}")
            for dtype in suite.DTYPES}  # fmt: skip
    table = [[r[0], r[1], r[2], f"{r[3] / base[r[0].rsplit(' / ', 1)[1]]:.2f}"] for r in rows]
    print(
        f"\nSeveral arrays: one RMSprop object stepping {total:,} elements as 1, 100 or 1000 "
        "arrays, ns per element per step, and the ratio to one array"
    )
    print_table(["step / dtype", "arrays", "ns/el/step", "/ one array"], table)


def print_minibatch_section(args: argparse.Namespace) -> None:
    """minimize with batch_size against the hand-written loop doing the same steps."""
    problem = rmsopt.problems.logistic_regression(n_samples=1000)
    data_x, data_y = problem.args
    epochs, batch_size, rate = 30, 32, 1e-2

    def run_minimize():
        return rmsopt.minimize(
            problem.fun,
            problem.x0,
            args=(data_x, data_y),
            jac=problem.jac,
            options={"batch_size": batch_size, "epochs": epochs, "seed": 0, "learning_rate": rate},
        ).x

    def run_loop():
        rng = np.random.default_rng(0)
        x = problem.x0.copy()
        optimizer = rmsopt.RMSprop(x, learning_rate=rate)
        for _ in range(epochs):
            order = rng.permutation(data_x.shape[0])
            for start in range(0, data_x.shape[0], batch_size):
                rows = order[start : start + batch_size]
                optimizer.step(problem.jac(x, data_x[rows], data_y[rows]))
        return x

    same = np.array_equal(run_minimize(), run_loop())
    minimize_ms = seconds_per_call(run_minimize, args.repeat, args.min_time) * 1e3
    loop_ms = seconds_per_call(run_loop, args.repeat, args.min_time) * 1e3
    print(
        f"\nMinibatches: logistic regression, 1000 samples, {epochs} epochs of batches of "
        f"{batch_size} (same final x: {same})"
    )
    print_table(
        ["run", "ms", "ratio"],
        [
            [
                "rmsopt.minimize(..., options={'batch_size': 32, ...})",
                f"{minimize_ms:.2f}",
                f"{minimize_ms / loop_ms:.2f}",
            ],
            ["hand-written loop: shuffle, slice, jac, RMSprop.step", f"{loop_ms:.2f}", "1.00"],
        ],
    )


def minimize_peak_arrays(method: str, dtype: str, iterations: int, n: int) -> float:
    """Peak memory of ``minimize`` beyond ``x0``, in arrays of n elements: NumPy's allocations
    as ``tracemalloc`` traces them, with a gradient that allocates nothing."""
    x0 = np.ones(n, dtype=dtype)
    tracemalloc.start()
    try:
        rmsopt.minimize(
            suite.half_square_norm,
            x0,
            jac=suite.half_square_norm_grad,
            method=method,
            options={"maxiter": iterations, "gtol": 0.0, **suite.matrix_options(method, n)},
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / (n * np.dtype(dtype).itemsize)


def print_memory_section(args: argparse.Namespace) -> None:
    """Peak memory of minimize per method, for 10 and 100 iterations."""
    n = suite.MEMORY_SIZE
    rows = []
    for method in args.methods.split(",") if args.methods else METHODS:
        declaration = METHODS[method]
        options = suite.matrix_options(method, n)
        settings = declaration.validate(options, declaration.step_options)
        kernel = new_kernel(declaration.kernel, declaration.kernel_settings(settings))
        k = max(kernel.rows_written.bit_length(), 1)  # the leading rows the defaults use
        for dtype in suite.DTYPES:
            peaks = [minimize_peak_arrays(method, dtype, count, n) for count in (10, 100)]
            rows.append(
                [f"{method} / {dtype}", str(k), *(f"{peak:.2f}" for peak in peaks), str(5 + 2 * k)]
            )
    print(
        f"\nPeak memory of minimize beyond x0, in arrays of n = {n:,} elements (NumPy's "
        "allocations traced by tracemalloc; k = the state rows the method's defaults use)"
    )
    print_table(["method / dtype", "k", "10 iterations", "100 iterations", "5 + 2k"], rows)


def print_loop_section(args: argparse.Namespace) -> None:
    """Microseconds per iteration of the minimize loop on 2-D Rosenbrock."""
    x0 = np.array(suite.ROSEN_X0)
    per_iteration = 1e6 / suite.ROSEN_ITERATIONS
    rmsopt_us = per_iteration * seconds_per_call(
        lambda: suite.run_rosenbrock(x0), args.repeat, args.min_time
    )
    bare_us = per_iteration * seconds_per_call(
        lambda: suite.run_bare_rosen_der_loop(x0), args.repeat, args.min_time
    )

    def lbfgsb():
        return scipy_minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B")

    nit = lbfgsb().nit
    lbfgsb_us = seconds_per_call(lbfgsb, args.repeat, args.min_time) * 1e6 / nit

    print(f"\nMinimize loop on 2-D Rosenbrock from {suite.ROSEN_X0}, microseconds per iteration")
    print_table(
        ["loop", "us / iteration"],
        [
            [
                f"rmsopt.minimize, rmsprop, jac=rosen_der, {suite.ROSEN_ITERATIONS} iterations",
                f"{rmsopt_us:.2f}",
            ],
            [f"bare Python loop of {suite.ROSEN_ITERATIONS} rosen_der calls", f"{bare_us:.2f}"],
            ["rmsopt loop overhead (difference)", f"{rmsopt_us - bare_us:.2f}"],
            [
                f"scipy L-BFGS-B, rosen + rosen_der, to convergence ({nit} iterations)",
                f"{lbfgsb_us:.2f}",
            ],
        ],
    )

    x, grads, _ = suite.make_arrays(10, "float64")
    optimizer = rmsopt.RMSprop(x, learning_rate=suite.LEARNING_RATE)

    def ask_tell_step():
        grads.reverse()
        optimizer.step(grads[0])

    step_us = seconds_per_call(ask_tell_step, args.repeat, args.min_time) * 1e6
    print("\nCall overhead: one step of the ask/tell object on 10 float64 elements")
    print_table(["call", "us / call"], [["rmsopt.RMSprop(x).step(grad)", f"{step_us:.2f}"]])


NATIVE_ITERATIONS = 1_000_000


def c_reference_loop(iterations: int) -> tuple[np.ndarray, float] | None:
    """Build ``native_loop.c`` with ``cc -O3 -fno-math-errno`` and run it: the final x and its
    ns per iteration, or None when there is no C compiler."""
    with tempfile.TemporaryDirectory() as folder:
        program = build_c_program("native_loop", folder)
        if program is None:
            return None
        arguments = [str(iterations), repr(suite.LEARNING_RATE), repr(suite.RHO)]
        output = subprocess.run(
            [str(program), *arguments, repr(suite.EPSILON)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    return np.array([float.fromhex(output[0]), float.fromhex(output[1])]), float(output[2])


def print_native_section(args: argparse.Namespace) -> None:
    """ns per iteration of a run on a C-level objective, against a plain C loop."""
    problem = rmsopt.problems.rosenbrock(n=2)
    options = {
        "learning_rate": suite.LEARNING_RATE,
        "rho": suite.RHO,
        "epsilon": suite.EPSILON,
        "maxiter": NATIVE_ITERATIONS,
        "gtol": 0.0,
    }

    def native_run():
        return rmsopt.minimize(problem.native, problem.x0, options=options)

    native_ns = seconds_per_call(native_run, args.repeat, args.min_time) * 1e9 / NATIVE_ITERATIONS
    python_ns = (
        seconds_per_call(
            lambda: suite.run_rosenbrock(np.array(suite.ROSEN_X0)), args.repeat, args.min_time
        )
        * 1e9
        / suite.ROSEN_ITERATIONS
    )
    default_ns = (
        seconds_per_call(
            lambda: rmsopt.minimize(
                problem.native, problem.x0, options={"maxiter": NATIVE_ITERATIONS, "gtol": 0.0}
            ),
            args.repeat,
            args.min_time,
        )
        * 1e9
        / NATIVE_ITERATIONS
    )
    rows = [
        ["rmsopt.minimize, fun=rosenbrock().native", format_ns(native_ns), "1.00"],
        [
            "  the same with the default learning rate (reduce_on_plateau in the loop)",
            format_ns(default_ns),
            f"{default_ns / native_ns:.2f}",
        ],
    ]
    reference = c_reference_loop(NATIVE_ITERATIONS)
    if reference is None:
        rows.append(["plain C loop (no C compiler found: not run)", "", ""])
    else:
        c_x, c_ns = reference
        if not np.array_equal(c_x, native_run().x):
            raise AssertionError("the C loop's iterate differs from rmsopt's")
        rows.append(
            ["plain C loop, cc -O3 -fno-math-errno", format_ns(c_ns), f"{c_ns / native_ns:.2f}"]
        )
    rows.append(
        [
            "rmsopt.minimize, fun=rosen, jac=rosen_der (Python)",
            format_ns(python_ns),
            f"{python_ns / native_ns:.1f}",
        ]
    )
    print(
        f"\nNative objective: {NATIVE_ITERATIONS:,} RMSprop iterations on 2-D Rosenbrock, "
        "ns per iteration (ratio = row / rmsopt native; the C loop's final x equals rmsopt's)"
    )
    print_table(["loop", "ns / iteration", "ratio"], rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="skip n = 10**7, fewer and shorter repeats (under ~3 minutes)",
    )
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch's intra-op threads (default 1: every implementation on "
        "one core, as rmsopt's kernel and NumPy are)",
    )
    parser.add_argument(
        "--entry-points",
        action="store_true",
        help="only the table of what users call (minimize, step) against the C loop and torch",
    )
    parser.add_argument(
        "--only",
        metavar="SECTIONS",
        default=None,
        help="comma-separated sections to run, among entry, options, minibatch, arrays, "
        "threads, step, methods, loop, native, memory (default: all)",
    )
    parser.add_argument(
        "--methods",
        metavar="NAMES",
        default=None,
        help="comma-separated methods for the methods and memory sections (default: all)",
    )
    args = parser.parse_args(argv)
    args.repeat, args.min_time = (5, 0.05) if args.quick else (9, 0.1)
    sizes = [10**k for k in range(1, 7 if args.quick else 8)]

    torch = import_torch(args.torch_threads)
    optax = import_optax()
    print_machine(torch, optax, args)
    sections = {
        "entry": lambda: print_entry_section(torch, args),
        "options": lambda: print_options_section(args),
        "minibatch": lambda: print_minibatch_section(args),
        "arrays": lambda: print_arrays_section(args),
        "threads": lambda: print_threads_section(args),
        "step": lambda: print_step_section(sizes, torch, optax, args),
        "methods": lambda: print_method_section(torch, args),
        "loop": lambda: print_loop_section(args),
        "native": lambda: print_native_section(args),
        "memory": lambda: print_memory_section(args),
    }
    chosen = list(sections)
    if args.entry_points:
        chosen = ["entry", "options", "minibatch", "arrays"]
    if args.only:
        chosen = args.only.split(",")
        unknown = sorted(set(chosen) - set(sections))
        if unknown:
            parser.error(f"--only: unknown sections {unknown}; choose among {list(sections)}")
    for name in chosen:
        sections[name]()


if __name__ == "__main__":
    main()
