"""minimize_batch with a C-level batched objective (a scipy.LowLevelCallable of
rmsopt/kernels/objective.pxd's batch_objective_function), compiled here with cc."""

import ctypes
import re
import shutil
import subprocess

import numpy as np
import pytest
from scipy import LowLevelCallable

import rmsopt

SOURCE = r"""
#include <signal.h>

typedef struct { const double *centers; long *calls; int fail_at; int call; } Data;

/* 0.5 * sum_j (x_j - c_ij)**2 per active row i, summed left to right; counts each row's
   calls; returns 1 at call number fail_at (0: never). */
int quadratics(int m, int n, const double *X, double *grad, double *values,
               const unsigned char *active, void *user_data) {
    Data *data = (Data *)user_data;
    data->call++;
    if (data->fail_at > 0 && data->call == data->fail_at) return 1;
    if (data->fail_at < 0 && data->call == -data->fail_at) raise(SIGINT);  /* Ctrl-C */
    for (int i = 0; i < m; i++) {
        if (!active[i]) continue;
        double value = 0.0;
        for (int j = 0; j < n; j++) {
            double d = X[i * n + j] - data->centers[i * n + j];
            value += d * d;
            grad[i * n + j] = d;
        }
        values[i] = 0.5 * value;
        data->calls[i]++;
    }
    return 0;
}
"""


class Data(ctypes.Structure):
    _fields_ = [
        ("centers", ctypes.POINTER(ctypes.c_double)),
        ("calls", ctypes.POINTER(ctypes.c_long)),
        ("fail_at", ctypes.c_int),
        ("call", ctypes.c_int),
    ]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    if shutil.which("cc") is None:
        pytest.skip("no C compiler: the batched objective cannot be built")
    folder = tmp_path_factory.mktemp("batch_native")
    source, built = folder / "quadratics.c", folder / "libquadratics.so"
    source.write_text(SOURCE)
    subprocess.run(["cc", "-O2", "-ffp-contract=off", "-shared", "-fPIC", "-o", str(built),
                    str(source)], check=True)  # fmt: skip
    return ctypes.CDLL(str(built))


def objective(library, centers, fail_at=0):
    """The LowLevelCallable, and the per-row call counts it keeps."""
    function = library.quadratics
    function.restype = ctypes.c_int
    double_p = ctypes.POINTER(ctypes.c_double)
    function.argtypes = (ctypes.c_int, ctypes.c_int, double_p, double_p, double_p,
                         ctypes.POINTER(ctypes.c_ubyte), ctypes.c_void_p)  # fmt: skip
    calls = np.zeros(centers.shape[0], dtype=np.int_)
    data = Data(centers.ctypes.data_as(double_p),
                calls.ctypes.data_as(ctypes.POINTER(ctypes.c_long)), fail_at, 0)  # fmt: skip
    callable_ = LowLevelCallable(function, ctypes.cast(ctypes.pointer(data), ctypes.c_void_p))
    return callable_, calls, (data, centers)


def python_quadratics(X, centers):
    """The same arithmetic in NumPy, column after column (the C loop's order)."""
    D = X - centers
    value = np.zeros(X.shape[0])
    for j in range(X.shape[1]):
        value = value + D[:, j] * D[:, j]
    return 0.5 * value, D


@pytest.mark.parametrize("method", ["rmsprop", "adam", "adagrad", "nadam"])
def test_the_native_batch_is_the_python_batch_bit_for_bit(library, method):
    rng = np.random.default_rng(1)
    X0 = rng.uniform(-3, 3, (40, 3))
    centers = np.ascontiguousarray(rng.uniform(-1, 1, (40, 3)))
    native, calls, keep = objective(library, centers)
    res = rmsopt.minimize_batch(native, X0, method=method)
    python = rmsopt.minimize_batch(python_quadratics, X0, (centers,), method, jac=True)
    np.testing.assert_array_equal(res.x, python.x)
    np.testing.assert_array_equal(res.fun, python.fun)
    np.testing.assert_array_equal(res.nit, python.nit)
    np.testing.assert_array_equal(res.status, python.status)
    # Each problem was evaluated while it ran, and only then.
    np.testing.assert_array_equal(calls, res.nfev)
    np.testing.assert_array_equal(res.nfev, python.nfev)
    assert len(set(res.nit.tolist())) > 1
    assert res[3].nfev == res.nfev[3]


@pytest.mark.parametrize(
    "bounds, options",
    [([(-0.5, 0.7)] * 3, {}), (None, {"clipnorm": 0.5}), (None, {"clipvalue": 0.2})],
    ids=["bounds", "clipnorm", "clipvalue"],
)
def test_runs_that_step_themselves_read_and_write_the_blocks_as_well(library, bounds, options):
    # A box and clipnorm keep each problem's own step (clipvalue does not): the C objective
    # still reads and writes the batch's blocks in place.
    rng = np.random.default_rng(3)
    X0 = rng.uniform(-3, 3, (30, 3))
    centers = np.ascontiguousarray(rng.uniform(-1, 1, (30, 3)))
    native, calls, keep = objective(library, centers)
    options = {"maxiter": 200, **options}
    res = rmsopt.minimize_batch(native, X0, method="adam", bounds=bounds, options=options)
    python = rmsopt.minimize_batch(python_quadratics, X0, (centers,), "adam", jac=True,
                                   bounds=bounds, options=options)  # fmt: skip
    for key in ("x", "jac", "fun", "nit", "nfev", "status"):
        np.testing.assert_array_equal(res[key], python[key], err_msg=key)
    np.testing.assert_array_equal(calls, res.nfev)


def test_a_failing_native_objective_raises_with_what_the_batch_completed(library):
    # The third call fails: the start's evaluation and one step's went through.
    native, _, keep = objective(library, np.zeros((4, 2)), fail_at=3)
    with pytest.raises(RuntimeError, match="the batched objective returned 1") as caught:
        rmsopt.minimize_batch(native, np.ones((4, 2)), options={"learning_rate": 0.01})
    result = caught.value.result
    assert result.status.tolist() == [9] * 4 and result.nit.tolist() == [1] * 4


def test_what_a_native_batch_cannot_take_is_refused_by_name(library):
    centers = np.zeros((2, 3))
    native, _, keep = objective(library, centers)
    with pytest.raises(TypeError, match="The 'X0' argument must be float64"):
        rmsopt.minimize_batch(native, np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=re.escape("The 'args' argument must be ()")):
        rmsopt.minimize_batch(native, np.zeros((2, 3)), args=(centers,))
    single = LowLevelCallable(ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int,
                                               ctypes.POINTER(ctypes.c_double),
                                               ctypes.POINTER(ctypes.c_double),
                                               ctypes.c_void_p)(lambda *a: 0.0))  # fmt: skip
    with pytest.raises(ValueError, match="The 'fun' argument must be a LowLevelCallable with"):
        rmsopt.minimize_batch(single, np.zeros((2, 3)))


def test_threads_split_the_native_objective_and_change_no_bit(library):
    rng = np.random.default_rng(2)
    X0 = rng.uniform(-3, 3, (64, 3))
    centers = np.ascontiguousarray(rng.uniform(-1, 1, (64, 3)))
    one, calls_one, keep_one = objective(library, centers)
    two, calls_two, keep_two = objective(library, centers)
    alone = rmsopt.minimize_batch(one, X0, method="adam")
    split = rmsopt.minimize_batch(two, X0, method="adam", options={"threads": 2})
    np.testing.assert_array_equal(split.x, alone.x)
    np.testing.assert_array_equal(split.nit, alone.nit)
    np.testing.assert_array_equal(calls_two, calls_one)


def test_ctrl_c_stops_a_native_batch_with_what_it_completed(library):
    native, _, keep = objective(library, np.zeros((4, 2)), fail_at=-3)
    with pytest.raises(KeyboardInterrupt) as caught:
        rmsopt.minimize_batch(native, np.ones((4, 2)), options={"learning_rate": 0.01})
    result = caught.value.result
    assert result.status.tolist() == [9] * 4 and result.nit.tolist() == [2] * 4
