"""minimize_batch on the gallery's fit: 10,000 noisy curves y = a exp(-k t) + b at 50 time
points, RMSprop, 500 iterations each, one core.

Times, in one run (each the minimum of ``--repeat`` runs):

- the vectorised NumPy objective alone, called 500 times on all the curves;
- ``rmsopt.minimize_batch`` with that objective, and the time its calls of the objective
  took inside it: the driver's share is the ratio of the two (target: at most 1.2). The
  objective's own time varies from run to run with how often the allocator hands its 4 MB
  temporaries back to the system (the page faults of each are printed);
- a Python loop of ``rmsopt.minimize`` over the curves (timed on ``--loop-curves`` of them and
  scaled to 10,000);
- with a C compiler: ``minimize_batch`` with the C-level batched objective of
  ``benchmarks/native/exp_fits.c`` (libm's ``exp``, point by point), on one thread and two,
  and a plain C loop doing the same fits (target: the batch within 1.3 times the C loop, and
  at least 25 times faster than the Python loop); then the same with
  ``benchmarks/native/exp_fits_vectorized.c``, whose ``exp`` the compiler vectorises across
  blocks of curves (built with ``-march=native``);
- ``jax.jit(jax.vmap(...))`` over an optax RMSprop loop, when jax and optax are installed
  (compile time apart): beside the vectorised C objective's batch;

and the peak memory (tracemalloc) of the batch beside m times a single run's.

    python benchmarks/batch.py [--curves 10000] [--repeat 3] [--loop-curves 500]
"""

from __future__ import annotations

import argparse
import ctypes
import pathlib
import shutil
import subprocess
import tempfile
import time
import tracemalloc

import numpy as np
from scipy import LowLevelCallable

import rmsopt

ITERATIONS = 500
POINTS = 50
RATE = 0.01


def curves(m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The times and m noisy curves y = a exp(-k t) + b (a in [1, 3], k in [0.5, 2], b in
    [0, 1], noise 0.05)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 4.0, POINTS)
    a, k, b = rng.uniform(1, 3, m), rng.uniform(0.5, 2, m), rng.uniform(0, 1, m)
    Y = a[:, None] * np.exp(-k[:, None] * t) + b[:, None]
    return t, Y + 0.05 * rng.standard_normal((m, POINTS))


def objective(t: np.ndarray):
    """The vectorised mean squared residual of the rows (a, k, b) of P against the curves
    Y, and its gradient (the row-by-row objective is the same function of one row)."""

    def fun(P, Y):
        e = np.exp(-P[..., 1:2] * t)
        r = P[..., 0:1] * e + P[..., 2:3] - Y
        grad = np.stack(
            [(r * e).mean(-1), -(P[..., 0:1] * t * e * r).mean(-1), r.mean(-1)], axis=-1
        )
        return 0.5 * (r * r).mean(-1), grad

    return fun


def best_of(repeat: int, call) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def page_faults() -> int:
    """The process's minor page faults so far (0 where the resource module is missing)."""
    try:
        import resource
    except ImportError:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def peak_bytes(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def jax_seconds(t: np.ndarray, Y: np.ndarray) -> tuple[float, float] | None:
    """(compile seconds, run seconds) of jit(vmap(an optax RMSprop loop)), or None."""
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    tj, Yj = jnp.asarray(t), jnp.asarray(Y)
    optimizer = optax.rmsprop(RATE, decay=0.9, eps=1e-8)

    def loss(p, y):
        return 0.5 * jnp.mean((p[0] * jnp.exp(-p[1] * tj) + p[2] - y) ** 2)

    def fit(p, y):
        def body(_, carry):
            p, state = carry
            updates, state = optimizer.update(jax.grad(loss)(p, y), state)
            return optax.apply_updates(p, updates), state

        return jax.lax.fori_loop(0, ITERATIONS, body, (p, optimizer.init(p)))[0]

    run = jax.jit(jax.vmap(fit))
    P0 = jnp.ones((Y.shape[0], 3))
    started = time.perf_counter()
    run(P0, Yj).block_until_ready()
    first = time.perf_counter() - started
    seconds = best_of(3, lambda: run(P0, Yj).block_until_ready())
    return first - seconds, seconds


class Curves(ctypes.Structure):
    _fields_ = [
        ("points", ctypes.c_int),
        ("t", ctypes.POINTER(ctypes.c_double)),
        ("Y", ctypes.POINTER(ctypes.c_double)),
    ]


class CurvesByPoint(ctypes.Structure):
    _fields_ = [
        ("points", ctypes.c_int),
        ("m", ctypes.c_int),
        ("t", ctypes.POINTER(ctypes.c_double)),
        ("Yt", ctypes.POINTER(ctypes.c_double)),
    ]


DOUBLE_P = ctypes.POINTER(ctypes.c_double)
OBJECTIVE_ARGUMENTS = (ctypes.c_int, ctypes.c_int, DOUBLE_P, DOUBLE_P, DOUBLE_P,
                       ctypes.POINTER(ctypes.c_ubyte), ctypes.c_void_p)  # fmt: skip


def compiled(folder: pathlib.Path, name: str, flags: list[str]) -> ctypes.CDLL | None:
    """benchmarks/native/<name>.c built with ``flags``, or None when it cannot be."""
    if shutil.which("cc") is None:
        return None
    source = pathlib.Path(__file__).parent / "native" / f"{name}.c"
    library = folder / f"lib{name}.so"
    built = subprocess.run(["cc", *flags, "-shared", "-fPIC", "-o", str(library), str(source),
                            "-lm"], capture_output=True)  # fmt: skip
    return ctypes.CDLL(str(library)) if built.returncode == 0 else None


def native(folder: pathlib.Path, t: np.ndarray, Y: np.ndarray, vectorized: bool = False):
    """(the C-level batched objective as a LowLevelCallable, the C loop of fits, what keeps
    their data alive), or None without a C compiler: libm's exp point by point
    (exp_fits.c), or ``vectorized``, exp vectorised across blocks of curves
    (exp_fits_vectorized.c, built for this CPU)."""
    if vectorized:
        loaded = compiled(folder, "exp_fits_vectorized",
                          ["-O3", "-march=native", "-fopenmp-simd"])  # fmt: skip
        Yt = np.ascontiguousarray(Y.T)
        data = CurvesByPoint(POINTS, Y.shape[0], t.ctypes.data_as(DOUBLE_P),
                             Yt.ctypes.data_as(DOUBLE_P))  # fmt: skip
        names, keep = ("exp_fits_vectorized", "rmsprop_fits_vectorized"), (data, t, Yt)
    else:
        loaded = compiled(folder, "exp_fits", ["-O2", "-ffp-contract=off"])
        data = Curves(POINTS, t.ctypes.data_as(DOUBLE_P), Y.ctypes.data_as(DOUBLE_P))
        names, keep = ("exp_fits", "rmsprop_fits"), (data, t, Y)
    if loaded is None:
        return None
    function = getattr(loaded, names[0])
    function.restype = ctypes.c_int
    function.argtypes = OBJECTIVE_ARGUMENTS
    user_data = ctypes.cast(ctypes.pointer(data), ctypes.c_void_p)
    loop = getattr(loaded, names[1])
    loop.restype = None
    loop.argtypes = (ctypes.c_int, DOUBLE_P, ctypes.POINTER(type(data)), ctypes.c_int,
                     ctypes.c_double)  # fmt: skip

    def run_loop(P):
        loop(P.shape[0], P.ctypes.data_as(DOUBLE_P), ctypes.byref(data), ITERATIONS, RATE)

    return LowLevelCallable(function, user_data), run_loop, keep


def time_native(made, P0: np.ndarray, values: np.ndarray, options: dict, repeat: int):
    """(the batch, the batch on two threads, the C loop) in seconds, for the objective and
    loop ``native`` made, after checking the objective's values at P0 against ``values``."""
    callable_, run_loop, _ = made
    got = rmsopt.minimize_batch(callable_, P0, options={"maxiter": 0}).fun
    assert np.allclose(got, values, rtol=1e-13, atol=0), "the C objective's values are off"
    threaded = {**options, "threads": 2}
    return (
        best_of(repeat, lambda: rmsopt.minimize_batch(callable_, P0, options=options)),
        best_of(repeat, lambda: rmsopt.minimize_batch(callable_, P0, options=threaded)),
        best_of(repeat, lambda: run_loop(P0.copy())),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--curves", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop-curves", type=int, default=500)
    args = parser.parse_args(argv)
    m = args.curves
    t, Y = curves(m)
    fun = objective(t)
    P0 = np.ones((m, 3))
    options = {"maxiter": ITERATIONS, "gtol": 0.0, "learning_rate": RATE}

    def alone():
        for _ in range(ITERATIONS):
            fun(P0, Y)

    inside = [0.0]

    def timed_fun(P, Y):
        started = time.perf_counter()
        returned = fun(P, Y)
        inside[0] += time.perf_counter() - started
        return returned

    def batch():
        return rmsopt.minimize_batch(fun, P0, jac=True, args=(Y,), options=options)

    def timed_batch():
        inside[0] = 0.0
        started = time.perf_counter()
        rmsopt.minimize_batch(timed_fun, P0, jac=True, args=(Y,), options=options)
        return time.perf_counter() - started, inside[0]

    def loop(count):
        return [
            rmsopt.minimize(fun, P0[i], jac=True, args=(Y[i],), options=options)
            for i in range(count)
        ]

    # Interleaved, so that the machine's drift between them is shared; with the page faults
    # of each (the objective's 4 MB temporaries are faulted in again whenever the allocator
    # has handed them back to the system, which it does more or less often).
    objective_s, batch_s, faults_alone, faults_batch = [], [], [], []
    for _ in range(args.repeat):
        faults = page_faults()
        objective_s.append(best_of(1, alone))
        faults_alone.append(page_faults() - faults)
        batch_s.append(best_of(1, batch))
        faults_batch.append(page_faults() - faults - faults_alone[-1])
    objective_s, batch_s = min(objective_s), min(batch_s)
    faults_alone, faults_batch = min(faults_alone), min(faults_batch)
    # The driver's share: the batch's time beside its own calls of the objective.
    shares = [timed_batch() for _ in range(args.repeat)]
    total_s, in_batch_s = min(shares, key=lambda pair: pair[0] / pair[1])
    result = batch()
    singles = loop(3)
    for i, single in enumerate(singles):
        assert np.array_equal(single.x, result.x[i]), "a row differs from minimize's run"
    loop_s = best_of(1, lambda: loop(args.loop_curves)) * m / args.loop_curves
    rows = [
        ("NumPy objective alone, 500 calls", objective_s),
        ("minimize_batch, NumPy objective", batch_s),
        (f"Python loop of minimize (scaled from {args.loop_curves})", loop_s),
    ]
    natives = {}
    with tempfile.TemporaryDirectory() as folder:
        for vectorized, exp in ((False, "libm exp"), (True, "vectorised exp")):
            made = native(pathlib.Path(folder), t, Y, vectorized)
            if made is None:
                continue
            values, _ = fun(P0, Y)
            natives[exp] = time_native(made, P0, values, options, args.repeat)
            native_s, threaded_s, c_loop_s = natives[exp]
            rows.append((f"minimize_batch, C-level objective ({exp})", native_s))
            rows.append(("  the same on 2 threads", threaded_s))
            rows.append((f"C loop of RMSprop fits ({exp})", c_loop_s))
    jax_fit = jax_seconds(t, Y)
    if jax_fit is not None:
        rows.append(("jax.jit(jax.vmap(optax.rmsprop loop))", jax_fit[1]))
    print(f"{m:,} curves of {POINTS} points, RMSprop, {ITERATIONS} iterations, one core")
    print(f"{'':48} {'seconds':>9} {'/ objective':>12} {'/ batch':>9}")
    for label, seconds in rows:
        print(f"{label:48} {seconds:9.2f} {seconds / objective_s:12.2f} {seconds / batch_s:9.2f}")
    if jax_fit is not None:
        print(f"(jax's compilation, apart: {jax_fit[0]:.2f} s)")
    print(
        f"minimize_batch / the objective's calls inside it: {total_s / in_batch_s:.2f} (target: "
        f"at most 1.2; the calls took {in_batch_s:.2f} s of {total_s:.2f} s); beside the "
        f"objective timed alone: {batch_s / objective_s:.2f} (page faults a call: "
        f"{faults_alone / ITERATIONS:.0f} alone, {faults_batch / ITERATIONS:.0f} in the batch)"
    )
    if "libm exp" in natives:
        native_s, _, c_loop_s = natives["libm exp"]
        print(
            f"C-level batch / C loop (libm exp): {native_s / c_loop_s:.2f} (target: at most "
            f"1.3); Python loop / C-level batch: {loop_s / native_s:.1f} (target: at least 25)"
        )
    if "vectorised exp" in natives and jax_fit is not None:
        native_s, threaded_s, c_loop_s = natives["vectorised exp"]
        print(
            f"jax / C-level batch (vectorised exp): {jax_fit[1] / native_s:.2f} on one core, "
            f"{jax_fit[1] / threaded_s:.2f} on two threads (above 1: the batch is faster); "
            f"the batch / its C loop: {native_s / c_loop_s:.2f}"
        )
    single = peak_bytes(lambda: rmsopt.minimize(fun, P0[0], jac=True, args=(Y[0],),
                                                options=options))  # fmt: skip
    together = peak_bytes(batch)
    print(
        f"peak memory: batch {together / 1e6:.1f} MB; one run {single / 1e3:.1f} kB, times m "
        f"{single * m / 1e6:.1f} MB (the objective's own arrays included in both)"
    )


if __name__ == "__main__":
    main()
