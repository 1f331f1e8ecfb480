"""C-level objectives (scipy.LowLevelCallable): every kind the test environment can make runs
the same iterates as the Python objective it mirrors, with the whole loop free of the GIL."""

import ctypes
import math
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from scipy import LowLevelCallable

import rmsopt
from rmsopt import problems, schedules

ROSENBROCK = problems.rosenbrock(n=5)
SIGNATURE_C = "double {name}(int n, const double *x, double *grad, void *user_data)"

# The same operations, in the same order, as rmsopt.problems' Rosenbrock gradient.
C_SOURCE = """
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

double scaled_sphere(int n, const double *x, double *grad, void *user_data) {
    double scale = *(const double *)user_data, value = 0.0;
    for (int i = 0; i < n; i++) {
        value += scale * (x[i] * x[i]);
        grad[i] = 2.0 * scale * x[i];
    }
    return value;
}
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The C source above compiled into a shared library (CI builds rmsopt with the same
    compiler, so it is there)."""
    folder = tmp_path_factory.mktemp("native")
    source, shared = folder / "objectives.c", folder / "libobjectives.so"
    source.write_text(C_SOURCE)
    subprocess.run(
        ["cc", "-O2", "-ffp-contract=off", "-shared", "-fPIC", "-o", str(shared), str(source)],
        check=True,
    )
    return shared


def ctypes_function(library, name):
    function = getattr(ctypes.CDLL(str(library)), name)
    function.restype = ctypes.c_double
    pointer = ctypes.POINTER(ctypes.c_double)
    function.argtypes = (ctypes.c_int, pointer, pointer, ctypes.c_void_p)
    return function


def compiled_ctypes(library):
    return LowLevelCallable(ctypes_function(library, "rosenbrock"))


def compiled_cffi(library):
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    ffi.cdef(SIGNATURE_C.format(name="rosenbrock") + ";")
    return LowLevelCallable(ffi.dlopen(str(library)).rosenbrock)


def python_through_ctypes(library):
    """A Python function behind a ctypes C pointer: C-level in form, Python inside."""
    pointer = ctypes.POINTER(ctypes.c_double)
    prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, pointer, pointer, ctypes.c_void_p)

    def rosenbrock(n, x, grad, user_data):
        point = np.ctypeslib.as_array(x, shape=(n,))
        np.ctypeslib.as_array(grad, shape=(n,))[:] = ROSENBROCK.jac(point)
        return ROSENBROCK.fun(point)

    function = prototype(rosenbrock)
    callable_ = LowLevelCallable(function)
    python_through_ctypes.keep_alive = function
    return callable_


def numba_cfunc(library):
    numba = pytest.importorskip("numba")
    signature = numba.types.float64(
        numba.types.intc,
        numba.types.CPointer(numba.types.float64),
        numba.types.CPointer(numba.types.float64),
        numba.types.voidptr,
    )

    @numba.cfunc(signature)
    def rosenbrock(n, x, grad, user_data):
        value = 0.0
        for i in range(n - 1):
            valley = x[i + 1] - x[i] * x[i]
            value += 100.0 * (valley * valley) + (1.0 - x[i]) * (1.0 - x[i])
            grad[i] = -400.0 * x[i] * valley - 2.0 * (1.0 - x[i])
        grad[n - 1] = 0.0
        for i in range(n - 1):
            grad[i + 1] += 200.0 * (x[i + 1] - x[i] * x[i])
        return value

    return LowLevelCallable(rosenbrock.ctypes)


def cython_capsule(library):
    return ROSENBROCK.native


KINDS = {
    "ctypes": compiled_ctypes,
    "cffi": compiled_cffi,
    "numba": numba_cfunc,
    "cython": cython_capsule,
    "python-through-ctypes": python_through_ctypes,
}

OPTION_SETS = [
    {"learning_rate": 1e-3},
    {"learning_rate": 1e-3, "momentum": 0.9, "centered": True, "weight_decay": 1e-3},
    {"learning_rate": schedules.ExponentialDecay(1e-2, decay_steps=50, decay_rate=0.9)},
    {"learning_rate": 1e-2, "clipnorm": 1.0, "history": True},
]


def python_run(method="rmsprop", bounds=None, **options):
    return rmsopt.minimize(
        ROSENBROCK.fun, ROSENBROCK.x0, jac=ROSENBROCK.jac, method=method, bounds=bounds,
        options={"learning_rate": 1e-3, "maxiter": 400, **options},
    )  # fmt: skip


def native_run(fun, method="rmsprop", bounds=None, **options):
    return rmsopt.minimize(
        fun, ROSENBROCK.x0, method=method, bounds=bounds,
        options={"learning_rate": 1e-3, "maxiter": 400, **options},
    )  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("options", OPTION_SETS, ids=range(len(OPTION_SETS)))
def test_every_kind_runs_the_iterates_of_the_python_objective(kind, options, library):
    fun = KINDS[kind](library)
    native, python = native_run(fun, **options), python_run(**options)
    np.testing.assert_array_equal(native.x, python.x)
    np.testing.assert_array_equal(native.jac, python.jac)
    assert native.fun == pytest.approx(python.fun, rel=1e-14, abs=1e-300)
    assert (native.nit, native.status, native.message) == (
        python.nit,
        python.status,
        python.message,
    )
    for name in ("square_avg", "momentum_buffer", "grad_avg"):
        np.testing.assert_array_equal(native.state[name], python.state[name])
    # One call gives the value and the gradient: the start, then one per iteration.
    assert native.nfev == native.njev == native.nit + 1
    if "history" in options:
        for column, values in python.history.items():
            if column != "fun":  # the Python run evaluates fun only for the result
                np.testing.assert_array_equal(native.history[column], values)
        assert np.all(np.isfinite(native.history["fun"]))


def test_maximize_follows_the_python_run():
    def negated(x):
        return -ROSENBROCK.fun(x)

    def negated_gradient(x):
        return -ROSENBROCK.jac(x)

    pointer = ctypes.POINTER(ctypes.c_double)
    prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, pointer, pointer, ctypes.c_void_p)

    def native(n, x, grad, user_data):
        point = np.ctypeslib.as_array(x, shape=(n,))
        np.ctypeslib.as_array(grad, shape=(n,))[:] = negated_gradient(point)
        return negated(point)

    function = prototype(native)
    options = {"maximize": True, "maxiter": 300, "learning_rate": 1e-3}
    box = [(-1.0, 0.8)] * ROSENBROCK.n
    via_c = rmsopt.minimize(LowLevelCallable(function), ROSENBROCK.x0, bounds=box, options=options)
    python = rmsopt.minimize(
        negated, ROSENBROCK.x0, jac=negated_gradient, bounds=box, options=options
    )
    np.testing.assert_array_equal(via_c.x, python.x)


@pytest.mark.parametrize("method", ["adagrad", "adadelta", "adam", "adamw", "sgd"])
def test_every_method_runs_on_a_native_objective(method):
    native, python = native_run(ROSENBROCK.native, method), python_run(method)
    np.testing.assert_array_equal(native.x, python.x)


def test_bounds_project_native_iterates_as_python_ones():
    box = [(-1.0, 0.5)] * ROSENBROCK.n
    native = native_run(ROSENBROCK.native, bounds=box, learning_rate=1e-2)
    python = python_run(bounds=box, learning_rate=1e-2)
    np.testing.assert_array_equal(native.x, python.x)
    assert np.all(native.x <= 0.5)


def test_user_data_reaches_the_function(library):
    scale = ctypes.c_double(3.0)
    fun = LowLevelCallable(
        ctypes_function(library, "scaled_sphere"),
        ctypes.cast(ctypes.pointer(scale), ctypes.c_void_p),
    )
    native = rmsopt.minimize(fun, np.ones(4), options={"learning_rate": 0.01, "maxiter": 50})
    python = rmsopt.minimize(
        lambda x: 3.0 * float(np.sum(x * x)),
        np.ones(4),
        jac=lambda x: 2.0 * 3.0 * x,
        options={"learning_rate": 0.01, "maxiter": 50},
    )
    np.testing.assert_array_equal(native.x, python.x)
    assert native.fun == pytest.approx(python.fun, rel=1e-14)


@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({"maxfev": 7}, rmsopt.Status.MAXFEV),
        ({"ftol": 1e-2, "learning_rate": 1e-4}, rmsopt.Status.FTOL),
        ({"xtol": 1e-3, "learning_rate": 1e-4}, rmsopt.Status.XTOL),
        ({"gtol": 1e6}, rmsopt.Status.GTOL),
    ],
)
def test_termination_tests_agree_with_the_python_loop(options, status):
    two = problems.rosenbrock(n=2)  # one term: the value is computed identically

    def value_and_gradient(x):
        return two.fun(x), two.jac(x)

    native = rmsopt.minimize(two.native, two.x0, options=options)
    # With jac=True, each call gives both, so fun is counted as in the native run.
    python = rmsopt.minimize(value_and_gradient, two.x0, jac=True, options=options)
    assert native.status == python.status == status
    np.testing.assert_array_equal(native.x, python.x)
    if status == rmsopt.Status.MAXFEV:
        assert native.nfev == 7


def test_callbacks_return_all_and_displays(capsys):
    seen = []

    def callback(intermediate_result):
        seen.append((intermediate_result.nit, intermediate_result.fun))
        if intermediate_result.nit == 25:
            raise StopIteration

    native = rmsopt.minimize(
        ROSENBROCK.native, ROSENBROCK.x0, callback=callback,
        options={"return_all": True, "disp": True},
    )  # fmt: skip
    python = rmsopt.minimize(
        ROSENBROCK.fun,
        ROSENBROCK.x0,
        jac=ROSENBROCK.jac,
        options={"return_all": True, "maxiter": 25},
    )
    assert native.status == rmsopt.Status.CALLBACK_STOP and native.nit == 25
    assert [nit for nit, _ in seen] == list(range(1, 26))
    assert seen[-1][1] == native.fun
    np.testing.assert_array_equal(np.array(native.allvecs), np.array(python.allvecs))
    out = capsys.readouterr().out
    assert "rmsprop:  iteration" in out and "`callback` raised `StopIteration`." in out


def test_a_callback_error_propagates():
    def callback(xk):
        raise ZeroDivisionError("from the callback")

    with pytest.raises(ZeroDivisionError, match="from the callback"):
        rmsopt.minimize(ROSENBROCK.native, ROSENBROCK.x0, callback=callback)


def test_a_non_finite_value_stops_at_the_last_good_iterate(library):
    pointer = ctypes.POINTER(ctypes.c_double)
    prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, pointer, pointer, ctypes.c_void_p)

    def beyond_one_is_nan(n, x, grad, user_data):
        point = np.ctypeslib.as_array(x, shape=(n,))
        np.ctypeslib.as_array(grad, shape=(n,))[:] = -1.0
        return math.nan if point[0] > 1.0 else -float(point.sum())

    function = prototype(beyond_one_is_nan)
    res = rmsopt.minimize(
        LowLevelCallable(function), np.zeros(2), method="sgd", options={"learning_rate": 0.3}
    )
    assert res.status == rmsopt.Status.NONFINITE
    np.testing.assert_allclose(res.x, [0.9, 0.9])
    assert res.fun == pytest.approx(-1.8) and res.nit == 3


def test_a_function_that_leaves_the_gradient_unwritten_stops_the_run():
    pointer = ctypes.POINTER(ctypes.c_double)
    prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, pointer, pointer, ctypes.c_void_p)
    calls = []

    def fails_on_its_third_call(n, x, grad, user_data):
        calls.append(1)
        if len(calls) == 3:
            return 0.0  # as ctypes returns when the Python function raised: grad untouched
        np.ctypeslib.as_array(grad, shape=(n,))[:] = ROSENBROCK.jac(
            np.ctypeslib.as_array(x, shape=(n,))
        )
        return ROSENBROCK.fun(np.ctypeslib.as_array(x, shape=(n,)))

    function = prototype(fails_on_its_third_call)
    res = rmsopt.minimize(LowLevelCallable(function), ROSENBROCK.x0, options={"maxiter": 10})
    assert res.status == rmsopt.Status.NONFINITE and res.nit == 1
    python = rmsopt.minimize(
        ROSENBROCK.fun, ROSENBROCK.x0, jac=ROSENBROCK.jac, options={"maxiter": 1}
    )
    np.testing.assert_array_equal(res.x, python.x)


def test_a_schedule_error_propagates_from_the_native_loop():
    def schedule(step):
        if step == 3:
            raise OverflowError("from the schedule")
        return 1e-3

    with pytest.raises(OverflowError, match="from the schedule"):
        rmsopt.minimize(ROSENBROCK.native, ROSENBROCK.x0, options={"learning_rate": schedule})


def test_ctrl_c_stops_a_native_run():
    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            rmsopt.minimize(
                ROSENBROCK.native, ROSENBROCK.x0, options={"maxiter": 10**12, "gtol": 0.0}
            )
    finally:
        timer.cancel()


@pytest.mark.parametrize("n", [10_000, 100_000])
def test_ctrl_c_stops_a_long_native_run_soon(n):
    # The loop checks for signals on the clock, not every fixed number of iterations (which
    # took minutes to come round at n = 1e5): the run ends soon after the signal.
    sphere = problems.sphere(n=n)
    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            rmsopt.minimize(sphere.native, sphere.x0, options={"maxiter": 10**12, "gtol": 0.0})
    finally:
        timer.cancel()
    assert time.perf_counter() - started < 10  # not a timing target: it used to take minutes


def test_another_thread_runs_during_a_native_run():
    ticks = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        while ticks[0] == 0:
            pass
        before = ticks[0]
        # About half a second of iterations; a loop that held the GIL would starve the spinner.
        res = rmsopt.minimize(
            ROSENBROCK.native, ROSENBROCK.x0, options={"maxiter": 2_000_000, "gtol": 0.0}
        )
        during = ticks[0] - before
    finally:
        stop.set()
        spinner.join()
    assert res.nit == 2_000_000
    assert during > 100_000


def test_native_searches_run_on_threads_and_are_refused_by_process_pools():
    import concurrent.futures

    space = {"learning_rate": [1e-3, 1e-2], "rho": [0.9, 0.99]}
    serial = rmsopt.tune(ROSENBROCK.native, ROSENBROCK.x0, space, as_frame=False)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        threaded = rmsopt.tune(
            ROSENBROCK.native, ROSENBROCK.x0, space, workers=pool, as_frame=False
        )
    assert [row["score"] for row in threaded.table] == [row["score"] for row in serial.table]
    with pytest.raises(TypeError, match="The 'fun' argument must be picklable when workers=2"):
        rmsopt.tune(ROSENBROCK.native, ROSENBROCK.x0, space, workers=2)


BAD = [
    ({"x0": ROSENBROCK.x0.astype(np.float32)}, TypeError, "The 'x0' argument must be float64"),
    (
        {"args": (1.0,)},
        ValueError,
        "The 'args' argument must be () when 'fun' is a LowLevelCallable",
    ),
    ({"jac": ROSENBROCK.jac}, ValueError, "The 'jac' argument must be None or True when"),
    ({"jac": "3-point"}, ValueError, "The 'jac' argument must be None or True when"),
    ({"jac": "2-point"}, ValueError, "The 'jac' argument must be None or True when"),
    ({"jac": False}, ValueError, "The 'jac' argument must be None or True when"),
    (
        {"options": {"batch_size": 2}},
        ValueError,
        "The 'batch_size' option must be None when 'fun' is a LowLevelCallable",
    ),
]


@pytest.mark.parametrize(("given", "error", "message"), BAD)
def test_what_a_native_objective_cannot_do_is_refused(given, error, message):
    arguments = {"x0": ROSENBROCK.x0, **given}
    with pytest.raises(error) as caught:
        rmsopt.minimize(ROSENBROCK.native, arguments.pop("x0"), **arguments)
    assert str(caught.value).startswith(message)


def test_another_signature_is_refused(library):
    function = ctypes.CDLL(str(library)).rosenbrock
    function.restype = ctypes.c_double
    function.argtypes = (ctypes.c_int, ctypes.POINTER(ctypes.c_double))
    with pytest.raises(ValueError) as caught:
        rmsopt.minimize(LowLevelCallable(function), ROSENBROCK.x0)
    assert str(caught.value) == (
        "The 'fun' argument must be a LowLevelCallable with the signature 'double (int n, const "
        "double *x, double *grad, void *user_data)' (x may be non-const). Got the signature "
        "'double (int, double *)' instead."
    )


def test_the_documented_example_runs():
    example = pathlib.Path(__file__).parent.parent / "docs" / "examples" / "native_objective.py"
    completed = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    assert "(the same bits all three ways)" in completed.stdout
