"""A C-level objective for rmsopt.minimize, made with ctypes, and the Cython one
rmsopt ships: the whole run then goes without the GIL.

Run it with ``python docs/examples/native_objective.py`` on a machine with a C
compiler (``cc``). It compiles a Rosenbrock function into a shared library in a
temporary folder, loads it with ctypes, and compares the run with the same
objective written in Python.
"""

import ctypes
import pathlib
import subprocess
import tempfile
import time

import numpy as np
from scipy import LowLevelCallable

import rmsopt
from rmsopt import problems

SOURCE = r"""
/* The value, returned, and the gradient, written into grad; x must not be written. */
double rosenbrock(int n, const double *x, double *grad, void *user_data) {
    double valley, value = 0.0;
    for (int i = 0; i < n - 1; i++) {
        valley = x[i + 1] - x[i] * x[i];
        value += 100.0 * (valley * valley) + (1.0 - x[i]) * (1.0 - x[i]);
        grad[i] = -400.0 * x[i] * valley - 2.0 * (1.0 - x[i]);
    }
    grad[n - 1] = 0.0;
    for (int i = 0; i < n - 1; i++) grad[i + 1] += 200.0 * (x[i + 1] - x[i] * x[i]);
    return value;
}
"""


def compile_rosenbrock(folder: pathlib.Path) -> LowLevelCallable:
    source, library = folder / "rosenbrock.c", folder / "librosenbrock.so"
    source.write_text(SOURCE)
    # No fused multiply-adds (the default on some CPUs): the gradient must round as NumPy's.
    command = ["cc", "-O2", "-ffp-contract=off", "-shared", "-fPIC", "-o", str(library)]
    subprocess.run([*command, str(source)], check=True)
    function = ctypes.CDLL(str(library)).rosenbrock
    function.restype = ctypes.c_double
    pointer = ctypes.POINTER(ctypes.c_double)
    function.argtypes = (ctypes.c_int, pointer, pointer, ctypes.c_void_p)
    return LowLevelCallable(function)


def timed(fun, x0, **kwargs):
    start = time.perf_counter()
    res = rmsopt.minimize(fun, x0, options={"maxiter": 100_000, "gtol": 0.0}, **kwargs)
    return res, (time.perf_counter() - start) / res.nit


if __name__ == "__main__":
    python_version = problems.rosenbrock(n=2)
    with tempfile.TemporaryDirectory() as folder:
        from_ctypes = compile_rosenbrock(pathlib.Path(folder))
        native, native_seconds = timed(from_ctypes, python_version.x0)
    shipped, shipped_seconds = timed(python_version.native, python_version.x0)
    python, python_seconds = timed(python_version.fun, python_version.x0, jac=python_version.jac)
    assert np.array_equal(native.x, python.x) and np.array_equal(shipped.x, python.x)
    print(f"x after {native.nit} RMSprop iterations: {native.x} (the same bits all three ways)")
    print(f"ctypes objective:        {native_seconds * 1e9:8.0f} ns per iteration")
    print(f"rmsopt's Cython version: {shipped_seconds * 1e9:8.0f} ns per iteration")
    print(f"Python objective:        {python_seconds * 1e9:8.0f} ns per iteration")
