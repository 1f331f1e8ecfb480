"""The SciPy protocol: entry points, jac forms, counts, callbacks, bounds, statuses."""

import warnings

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import Bounds, OptimizeResult, OptimizeWarning, rosen, rosen_der

import rmsopt
from rmsopt import Status

SCALES = np.array([1.0, 3.0, 10.0])
TARGET = np.array([0.5, -1.0, 2.0])


def quadratic(x):
    return 0.5 * np.sum(SCALES * (x - TARGET) ** 2)  # complex-safe, for jac="cs"


def quadratic_der(x):
    return SCALES * (x - TARGET)


def quadratic_with_grad(x):
    return quadratic(x), quadratic_der(x)


FAST = {"learning_rate": 0.05, "maxiter": 3000, "gtol": 1e-6}


class Counted:
    """Wraps a function and counts its calls."""

    def __init__(self, fun):
        self.fun, self.calls = fun, 0

    def __call__(self, x, *args):
        self.calls += 1
        return self.fun(x, *args)


def test_result_is_an_optimize_result_with_scipy_fields():
    res = rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, options=FAST)
    assert isinstance(res, OptimizeResult)
    for field in ("x", "fun", "jac", "nit", "nfev", "njev", "status", "success", "message"):
        assert field in res
    assert res.success and res.status == Status.GTOL == 0
    np.testing.assert_allclose(res.x, TARGET, atol=1e-5)
    assert res.fun == quadratic(res.x)
    np.testing.assert_array_equal(res.jac, quadratic_der(res.x))
    assert np.max(np.abs(res.jac)) <= 1e-6


def test_three_entry_points_give_identical_results():
    kwargs = {"jac": quadratic_der, "options": {**FAST, "momentum": 0.5}}
    ours = rmsopt.minimize(quadratic, np.zeros(3), method="RMSprop", **kwargs)
    via_scipy = scipy.optimize.minimize(quadratic, np.zeros(3), method=rmsopt.rmsprop, **kwargs)
    direct = rmsopt.rmsprop(quadratic, np.zeros(3), jac=quadratic_der, **kwargs["options"])
    for other in (via_scipy, direct):
        np.testing.assert_array_equal(other.x, ours.x)
        for field in ("fun", "nit", "nfev", "njev", "status", "message"):
            assert other[field] == ours[field]


def test_scipy_tol_reaches_the_method_as_gtol():
    loose = scipy.optimize.minimize(
        quadratic,
        np.zeros(3),
        jac=quadratic_der,
        method=rmsopt.rmsprop,
        tol=1e-2,
        options={"learning_rate": 0.05},
    )
    tight = rmsopt.minimize(
        quadratic, np.zeros(3), jac=quadratic_der, tol=1e-2, options={"learning_rate": 0.05}
    )
    assert loose.nit == tight.nit
    assert np.max(np.abs(loose.jac)) <= 1e-2
    explicit = rmsopt.minimize(
        quadratic,
        np.zeros(3),
        jac=quadratic_der,
        tol=1e-2,
        options={"learning_rate": 0.05, "gtol": 1e-6},
    )
    assert explicit.nit > loose.nit


def test_scipy_jac_true_goes_through_memoize_jac():
    res = scipy.optimize.minimize(
        quadratic_with_grad, np.zeros(3), jac=True, method=rmsopt.rmsprop, options=FAST
    )
    assert res.success
    np.testing.assert_allclose(res.x, TARGET, atol=1e-5)


@pytest.mark.parametrize("maxfev", [1, 50])
def test_counts_and_maxfev_hold_through_scipys_memoizing_wrapper(maxfev):
    # scipy.optimize.minimize hands a custom method a caching wrapper of fun and its
    # derivative for jac=True: every real call must still count, and maxfev limit them.
    calls = []

    def counted(x):
        calls.append(1)
        return quadratic_with_grad(x)

    options = {"maxfev": maxfev, "gtol": 0.0}
    through_scipy = scipy.optimize.minimize(
        counted, np.zeros(3), jac=True, method=rmsopt.rmsprop, options=options
    )
    assert len(calls) == through_scipy.nfev == maxfev
    direct = rmsopt.minimize(quadratic_with_grad, np.zeros(3), jac=True, options=options)
    np.testing.assert_array_equal(through_scipy.x, direct.x)
    assert (through_scipy.nit, through_scipy.status) == (direct.nit, direct.status)


def scipys_warnings(**arguments):
    """The RuntimeWarning texts scipy.optimize.minimize gives for ``arguments`` with a method
    of its own that uses neither Hessians nor constraints (CG), named 'rmsprop'."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scipy.optimize.minimize(quadratic, np.zeros(3), jac=quadratic_der, method="CG",
                                options={"maxiter": 1}, **arguments)  # fmt: skip
    return [
        str(w.message).replace("Method CG ", "Method rmsprop ")
        for w in caught
        if w.category is RuntimeWarning
    ]


@pytest.mark.parametrize(
    "arguments",
    [
        {"hess": lambda x: np.eye(3)},
        {"hessp": lambda x, p: p},
        {"constraints": {"type": "eq", "fun": np.sum}},
        {"hess": lambda x: np.eye(3), "hessp": lambda x, p: p, "constraints": [{"type": "eq"}]},
    ],
)
@pytest.mark.parametrize("entry", ["rmsopt.minimize", "rmsopt.rmsprop", "scipy custom method"])
def test_hess_hessp_and_constraints_warn_as_scipy_does(arguments, entry):
    expected = scipys_warnings(**arguments)
    assert expected
    if entry != "rmsopt.minimize":
        # A custom method called by SciPy (or directly) takes a Hessian in silence, as SciPy
        # does for custom methods: only the constraints it would ignore warn.
        expected = [text for text in expected if "constraints" in text]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if entry == "rmsopt.minimize":
            res = rmsopt.minimize(
                quadratic, np.zeros(3), jac=quadratic_der, options=FAST, **arguments
            )
        elif entry == "rmsopt.rmsprop":
            res = rmsopt.rmsprop(quadratic, np.zeros(3), jac=quadratic_der, **FAST, **arguments)
        else:
            res = scipy.optimize.minimize(
                quadratic, np.zeros(3), jac=quadratic_der, method=rmsopt.rmsprop, options=FAST,
                **arguments,
            )  # fmt: skip
    assert [str(w.message) for w in caught if w.category is RuntimeWarning] == expected
    assert all(w.filename == __file__ for w in caught)
    assert res.success


def test_empty_constraints_and_no_hessian_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, constraints=(), hess=None)
        rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, constraints=[])


def test_a_callable_method_is_called_as_scipy_calls_a_custom_method():
    seen = {}

    def custom(fun, x0, args, jac, hess, hessp, bounds, constraints, callback, **options):
        seen.update(args=args, jac=jac, bounds=bounds, options=options, x0=x0)
        return OptimizeResult(x=x0, fun=fun(x0, *args), success=True)

    res = rmsopt.minimize(
        lambda x, a: float(x @ x) + a, [1, 2], args=5.0, method=custom, tol=1e-3,
        options={"maxiter": 3},
    )  # fmt: skip
    assert res.fun == 10.0 and res.success
    assert seen["args"] == (5.0,) and seen["options"] == {"maxiter": 3, "tol": 1e-3}
    assert seen["x0"].dtype == np.float64  # integers become floats, as SciPy makes them
    # rmsopt's own methods are callables too: the same run as by name.
    by_callable = rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, method=rmsopt.adam)
    by_name = rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, method="adam")
    np.testing.assert_array_equal(by_callable.x, by_name.x)
    assert rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, method=None).nit == (
        rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der).nit
    )


@pytest.mark.parametrize("jac", [True, "2-point", "3-point", "cs", None, False])
def test_every_jac_form_follows_the_analytic_run(jac):
    fun = quadratic_with_grad if jac is True else quadratic
    options = {"learning_rate": 0.05, "maxiter": 40, "gtol": 0.0, "return_all": True}
    res = rmsopt.minimize(fun, np.zeros(3), jac=jac, options=options)
    exact = rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, options=options)
    # Finite-difference errors (about 1e-8 relative for 2-point) stay that small along the way.
    np.testing.assert_allclose(res.allvecs, exact.allvecs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["2-point", "3-point", "cs"])
def test_finite_differences_are_scipy_approx_derivative(method):
    from scipy.optimize._numdiff import approx_derivative

    seen = []
    rmsopt.minimize(
        quadratic,
        np.array([0.3, 0.2, 0.1]),
        jac=method,
        callback=lambda intermediate_result: seen.append(intermediate_result),
        options={"maxiter": 3},
    )
    assert len(seen) == 3
    for result in seen:
        expected = approx_derivative(quadratic, result.x, method=method, f0=quadratic(result.x))
        np.testing.assert_array_equal(result.jac, expected)


def test_counts_with_separate_jac_do_not_call_fun_while_iterating_at_a_constant_rate():
    fun, jac = Counted(quadratic), Counted(quadratic_der)
    options = {"learning_rate": 1e-3, "maxiter": 50, "gtol": 0.0}
    res = rmsopt.minimize(fun, np.zeros(3), jac=jac, options=options)
    assert res.nit == 50
    assert fun.calls == res.nfev == 1  # only for the result's fun
    assert jac.calls == res.njev == 51  # x0 and every iterate


def test_the_default_rate_calls_fun_at_every_iterate_since_it_follows_fun():
    fun, jac = Counted(quadratic), Counted(quadratic_der)
    res = rmsopt.minimize(fun, np.zeros(3), jac=jac, options={"maxiter": 50, "gtol": 0.0})
    assert res.nit == 50
    assert fun.calls == res.nfev == jac.calls == res.njev == 51


def test_counts_with_jac_true_are_one_call_per_point():
    fun = Counted(quadratic_with_grad)
    res = rmsopt.minimize(fun, np.zeros(3), jac=True, options={"maxiter": 20, "gtol": 0.0})
    assert fun.calls == res.nfev == res.njev == 21


def test_counts_with_two_point_differences_include_every_call():
    fun = Counted(quadratic)
    res = rmsopt.minimize(fun, np.zeros(3), options={"maxiter": 10, "gtol": 0.0})
    assert res.njev == 11
    assert fun.calls == res.nfev == 11 * (1 + 3)


def test_ftol_makes_fun_evaluated_at_every_iterate():
    fun, jac = Counted(quadratic), Counted(quadratic_der)
    res = rmsopt.minimize(
        fun, np.zeros(3), jac=jac, options={"ftol": 1e-12, "gtol": 0.0, "maxiter": 10}
    )
    assert fun.calls == res.nfev == res.nit + 1


def test_args_reach_fun_and_jac():
    def fun(x, a, b):
        return float(np.sum((x - a) ** 2) * b)

    def jac(x, a, b):
        return 2.0 * (x - a) * b

    res = rmsopt.minimize(fun, np.zeros(2), args=(np.array([1.0, 2.0]), 1.0), jac=jac, options=FAST)
    np.testing.assert_allclose(res.x, [1.0, 2.0], atol=1e-5)
    single = rmsopt.minimize(
        lambda x, a: float(np.sum((x - a) ** 2)),
        np.zeros(1),
        args=3.0,
        jac=lambda x, a: 2 * (x - a),
        options=FAST,
    )
    np.testing.assert_allclose(single.x, [3.0], atol=1e-5)


def test_new_style_callback_gets_intermediate_results():
    seen = []

    def callback(intermediate_result):
        seen.append(intermediate_result)

    res = rmsopt.minimize(
        quadratic,
        np.zeros(3),
        jac=quadratic_der,
        callback=callback,
        options={"maxiter": 5, "gtol": 0.0},
    )
    assert len(seen) == res.nit == 5
    assert all(isinstance(r, OptimizeResult) for r in seen)
    assert seen[-1].fun == res.fun and seen[-1].nit == 5
    np.testing.assert_array_equal(seen[-1].x, res.x)
    assert seen[0].x is not seen[1].x and not np.shares_memory(seen[0].x, res.x)


def test_legacy_callback_gets_a_copy_of_xk():
    seen = []
    fun = Counted(quadratic)
    res = rmsopt.minimize(
        fun,
        np.zeros(3),
        jac=quadratic_der,
        callback=seen.append,
        options={"learning_rate": 1e-3, "maxiter": 4, "gtol": 0.0},
    )
    assert len(seen) == 4 and all(isinstance(x, np.ndarray) for x in seen)
    assert not np.array_equal(seen[0], seen[-1])
    np.testing.assert_array_equal(seen[-1], res.x)
    assert fun.calls == 1  # a legacy callback does not need fun


@pytest.mark.parametrize("style", ["new", "legacy"])
def test_stop_iteration_ends_the_run_with_scipy_status_99(style):
    def stop_at_three(x):
        if len(calls) == 3:
            raise StopIteration
        calls.append(x)

    calls = []
    if style == "new":
        # SciPy's rule needs the parameter's name, which a lambda cannot give.
        def callback(intermediate_result):
            stop_at_three(intermediate_result.x)
    else:
        callback = stop_at_three

    res = rmsopt.minimize(
        quadratic,
        np.zeros(3),
        jac=quadratic_der,
        callback=callback,
        options={"maxiter": 100, "gtol": 0.0},
    )
    assert res.status == 99 and not res.success
    assert res.message == "`callback` raised `StopIteration`."
    assert res.nit == 4
    assert res.fun == quadratic(res.x)


def test_user_exceptions_propagate_unchanged():
    class Boom(Exception):
        pass

    def fun(x):
        raise Boom("from fun")

    with pytest.raises(Boom, match="from fun"):
        rmsopt.minimize(fun, np.zeros(2))

    def callback(xk):
        raise Boom("from callback")

    with pytest.raises(Boom, match="from callback"):
        rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, callback=callback)


def test_bounds_project_every_iterate_and_clip_x0():
    box = Bounds([-np.inf, 0.0, -0.5], [0.2, np.inf, 1.0])
    seen = []
    res = rmsopt.minimize(
        quadratic,
        np.array([1.0, -1.0, 5.0]),
        jac=quadratic_der,
        bounds=box,
        callback=seen.append,
        options={**FAST, "return_all": True},
    )
    np.testing.assert_array_equal(res.allvecs[0], [0.2, 0.0, 1.0])
    for x in seen:
        assert np.all(x >= box.lb) and np.all(x <= box.ub)
    np.testing.assert_allclose(res.x, [0.2, 0.0, 1.0], atol=1e-12)
    assert res.success and res.status == Status.GTOL  # projected gradient is zero there


def test_bounds_as_pairs_equal_bounds_object():
    pairs = [(None, 0.2), (0.0, None), (-0.5, 1.0)]
    box = Bounds([-np.inf, 0.0, -0.5], [0.2, np.inf, 1.0])
    a = rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, bounds=pairs, options=FAST)
    b = rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, bounds=box, options=FAST)
    np.testing.assert_array_equal(a.x, b.x)


def test_scalar_bounds_broadcast_as_scipy_does():
    # scipy.optimize.Bounds(-0.5, 0.2) stores each side as an array of length 1.
    scalar = rmsopt.minimize(
        quadratic, np.zeros(3), jac=quadratic_der, bounds=Bounds(-0.5, 0.2), options=FAST
    )
    full = rmsopt.minimize(
        quadratic, np.zeros(3), jac=quadratic_der, bounds=[(-0.5, 0.2)] * 3, options=FAST
    )
    np.testing.assert_array_equal(scalar.x, full.x)
    assert np.all(scalar.x <= 0.2) and np.all(scalar.x >= -0.5)


def test_finite_difference_steps_stay_inside_bounds():
    def fun(x):
        assert np.all(x >= 0.0), "finite differences stepped outside the box"
        return quadratic(x)

    rmsopt.minimize(fun, np.zeros(3), bounds=[(0.0, 1.0)] * 3, options={"maxiter": 5})


def test_x0_is_never_modified_and_runs_are_deterministic():
    x0 = np.array([3.0, -2.0, 1.0])
    keep = x0.copy()
    first = rmsopt.minimize(quadratic, x0, bounds=[(-1, 1)] * 3, options={"maxiter": 200})
    second = rmsopt.minimize(quadratic, x0, bounds=[(-1, 1)] * 3, options={"maxiter": 200})
    np.testing.assert_array_equal(x0, keep)
    assert first.x.tobytes() == second.x.tobytes()
    assert first.fun == second.fun and first.nfev == second.nfev


def test_fun_receives_copies_it_may_keep():
    kept = []

    def fun(x):
        kept.append(x)
        return quadratic(x)

    rmsopt.minimize(fun, np.zeros(3), jac=quadratic_der, options={"ftol": 1e-30, "maxiter": 5})
    assert len({x.tobytes() for x in kept}) == len(kept)


def test_float32_runs_in_float32():
    x0 = np.zeros(3, dtype=np.float32)
    dtypes = []

    def jac(x):
        dtypes.append(x.dtype)
        return quadratic_der(x).astype(np.float32)

    res = rmsopt.minimize(quadratic, x0, jac=jac, options={**FAST, "gtol": 1e-3})
    assert res.x.dtype == np.float32 and res.jac.dtype == np.float32
    assert set(dtypes) == {np.dtype(np.float32)}
    np.testing.assert_allclose(res.x, TARGET, atol=1e-3)


@pytest.mark.parametrize(
    "x0", [0, 2.5, [1, 2], np.array([1, 2], dtype=np.int8), np.array([1.0], dtype=np.float16)]
)
def test_other_real_inputs_run_in_float64(x0):
    res = rmsopt.minimize(
        lambda x: float(np.sum(x**2)), x0, jac=lambda x: 2 * x, options={"maxiter": 2}
    )
    assert res.x.dtype == np.float64 and res.x.ndim == 1 and res.x.size == np.size(x0)


def test_method_name_is_case_insensitive():
    a = rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, method="RMSPROP")
    b = rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, method="rmsprop")
    np.testing.assert_array_equal(a.x, b.x)


def test_maxiter_status():
    res = rmsopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der, options={"maxiter": 7})
    assert res.status == Status.MAXITER and res.nit == 7 and not res.success
    assert res.message == "Maximum number of iterations has been exceeded."


def test_maxiter_zero_returns_x0_evaluated():
    res = rmsopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der, options={"maxiter": 0})
    np.testing.assert_array_equal(res.x, [-1.2, 1.0])
    assert res.nit == 0 and res.fun == rosen([-1.2, 1.0])


def test_maxfev_status():
    res = rmsopt.minimize(rosen, [-1.2, 1.0], options={"maxfev": 30})
    assert res.status == Status.MAXFEV and not res.success
    assert 30 <= res.nfev < 30 + 3 + 1


def test_ftol_status():
    res = rmsopt.minimize(
        quadratic,
        np.zeros(3),
        jac=quadratic_der,
        options={"ftol": 1e-3, "gtol": 0.0, "learning_rate": 0.01, "return_all": True},
    )
    assert res.status == Status.FTOL and res.success

    def relative_change(a, b):
        fa, fb = quadratic(a), quadratic(b)
        return abs(fa - fb) / max(abs(fa), abs(fb), 1.0)

    assert relative_change(res.allvecs[-2], res.allvecs[-1]) <= 1e-3
    assert relative_change(res.allvecs[-3], res.allvecs[-2]) > 1e-3


def test_xtol_status():
    res = rmsopt.minimize(
        quadratic,
        np.zeros(3),
        jac=quadratic_der,
        options={"xtol": 1e-4, "gtol": 0.0, "learning_rate": 0.01, "return_all": True},
    )
    assert res.status == Status.XTOL and res.success
    assert np.max(np.abs(res.allvecs[-1] - res.allvecs[-2])) <= 1e-4
    assert np.max(np.abs(res.allvecs[-2] - res.allvecs[-3])) > 1e-4


def test_non_finite_gradient_stops_with_last_good_iterate():
    def jac(x):
        return np.full_like(x, np.nan) if x[0] > 0.3 else quadratic_der(x)

    seen = []
    res = rmsopt.minimize(
        quadratic, np.zeros(3), jac=jac, callback=seen.append, options={"learning_rate": 0.05}
    )
    assert res.status == Status.NONFINITE and not res.success
    assert res.x[0] <= 0.3 and np.all(np.isfinite(res.x))
    np.testing.assert_array_equal(res.x, seen[-1])
    assert res.nit == len(seen)
    np.testing.assert_array_equal(res.jac, quadratic_der(res.x))
    assert res.fun == quadratic(res.x)


def test_non_finite_value_stops_with_last_good_iterate():
    def fun(x):
        return float("inf") if x[0] > 0.3 else quadratic(x)

    res = rmsopt.minimize(fun, np.zeros(3), options={"learning_rate": 0.05})
    assert res.status == Status.NONFINITE and 0 < res.x[0] <= 0.3 and np.isfinite(res.fun)


def test_non_finite_at_x0_is_reported_not_raised():
    res = rmsopt.minimize(lambda x: (float("nan"), np.ones(2)), np.zeros(2), jac=True)
    assert res.status == Status.NONFINITE and res.nit == 0 and not res.success
    np.testing.assert_array_equal(res.x, np.zeros(2))


def test_non_finite_value_found_only_at_the_end_is_reported():
    # With a separate jac, fun is evaluated only for the result: a NaN there still fails.
    res = rmsopt.minimize(lambda x: float("nan"), np.zeros(2), jac=lambda x: np.zeros(2))
    assert res.status == Status.NONFINITE and not res.success


def test_overflowing_step_rolls_back():
    # A gradient of 1e308 times the learning rate overflows x to inf in one step.
    res = rmsopt.minimize(
        lambda x: 0.0,
        np.ones(2),
        jac=lambda x: np.array([1e308, 1.0]),
        options={
            "learning_rate": 1e300,
            "epsilon": 0.0,
            "epsilon_in_sqrt": True,
            "initial_accumulator_value": 1e-300,
        },
    )
    assert res.status == Status.NONFINITE and res.nit == 0
    np.testing.assert_array_equal(res.x, np.ones(2))


def test_return_all_keeps_every_iterate():
    res = rmsopt.minimize(
        quadratic,
        np.zeros(3),
        jac=quadratic_der,
        options={"maxiter": 6, "gtol": 0.0, "return_all": True},
    )
    assert len(res.allvecs) == 7
    np.testing.assert_array_equal(res.allvecs[0], np.zeros(3))
    np.testing.assert_array_equal(res.allvecs[-1], res.x)


def test_unknown_option_warns_optimize_warning_with_hint():
    with pytest.warns(OptimizeWarning, match=r"learnig_rate \(did you mean 'learning_rate'\?\)"):
        rmsopt.minimize(
            quadratic, np.zeros(3), jac=quadratic_der, options={"learnig_rate": 0.1, "maxiter": 1}
        )


def test_unknown_option_warning_points_at_the_caller():
    with pytest.warns(OptimizeWarning) as record:
        rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, options={"bogus": 1})
    assert record[0].filename == __file__
    with pytest.warns(OptimizeWarning) as record:
        scipy.optimize.minimize(
            quadratic, np.zeros(3), jac=quadratic_der, method=rmsopt.rmsprop, options={"bogus": 1}
        )
    assert record[0].filename == __file__


def test_maximize_finds_the_maximum():
    res = rmsopt.minimize(
        lambda x: -quadratic(x),
        np.zeros(3),
        jac=lambda x: -quadratic_der(x),
        options={**FAST, "maximize": True},
    )
    assert res.success
    np.testing.assert_allclose(res.x, TARGET, atol=1e-5)


def test_disp_prints_a_summary(capsys):
    rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, options={**FAST, "disp": True})
    out = capsys.readouterr().out
    assert "Optimization terminated successfully" in out and "Iterations:" in out


def test_show_options_lists_every_option(capsys):
    rmsopt.show_options("rmsprop")
    out = capsys.readouterr().out
    for name in (
        "learning_rate",
        "rho",
        "epsilon",
        "momentum",
        "centered",
        "weight_decay",
        "maximize",
        "epsilon_in_sqrt",
        "initial_accumulator_value",
        "bias_correction",
        "maxiter",
        "maxfev",
        "gtol",
        "ftol",
        "xtol",
        "disp",
        "return_all",
    ):
        assert f"\n{name} : " in out
    assert rmsopt.show_options(disp=False).startswith("rmsprop")


def test_docstring_documents_options_equations_and_framework_table():
    doc = rmsopt.rmsprop.__doc__
    assert (
        "learning_rate : float in the range (0, inf) or a schedule (a callable t -> learning "
        "rate), or None, default None" in doc
    )
    assert "reduce_on_plateau(0.1, factor=0.5, patience=20, threshold=0)" in " ".join(doc.split())
    for framework in ("PyTorch", "Keras", "optax", "TensorFlow 1"):
        assert framework in doc
    assert r"\sqrt{s_t} + \epsilon" in doc


@pytest.mark.parametrize(
    "settings, expected_ratio",
    [
        ({}, 1e-6 / (np.sqrt(0.1) * 1e-6 + 1e-8)),  # PyTorch
        ({"epsilon": 1e-7, "epsilon_in_sqrt": True}, 1e-6 / np.sqrt(0.1e-12 + 1e-7)),  # Keras
        (
            {"epsilon": 1e-10, "epsilon_in_sqrt": True, "initial_accumulator_value": 1.0},
            1e-6 / np.sqrt(0.9 + 0.1e-12 + 1e-10),
        ),  # TF1
        ({"epsilon_in_sqrt": True, "bias_correction": True}, 1e-6 / np.sqrt(1e-12 + 1e-8)),
    ],
    ids=["pytorch", "keras", "tf1", "optax-bias-corrected"],
)
def test_framework_conventions_set_the_first_step(settings, expected_ratio):
    # The first step with a tiny gradient differs by orders of magnitude between conventions.
    res = rmsopt.minimize(
        lambda x: 1e-6 * x[0],
        [0.0],
        jac=lambda x: np.array([1e-6]),
        options={"learning_rate": 1.0, "maxiter": 1, "gtol": 0.0, **settings},
    )
    np.testing.assert_allclose(-res.x[0], expected_ratio, rtol=1e-12)


def test_float32_bounds_that_float32_cannot_hold():
    # float32(0.7) < 0.7: the box is rounded inwards so iterates never leave it.
    x0 = np.zeros(3, dtype=np.float32)
    for jac in (quadratic_der, None):
        res = rmsopt.minimize(
            quadratic, x0, jac=jac, bounds=[(0.7, 2.0)] * 3, options={**FAST, "gtol": 1e-3}
        )
        assert res.x.dtype == np.float32 and np.all(res.x >= 0.7)
        assert res.success


def test_fixed_variables_with_finite_differences():
    box = Bounds([0.25, -np.inf, -np.inf], [0.25, np.inf, np.inf])
    exact = rmsopt.minimize(quadratic, np.zeros(3), jac=quadratic_der, bounds=box, options=FAST)
    res = rmsopt.minimize(quadratic, np.zeros(3), bounds=box, options={**FAST, "gtol": 1e-4})
    assert res.success and res.x[0] == 0.25 and exact.x[0] == 0.25
    np.testing.assert_allclose(res.x[1:], TARGET[1:], atol=1e-3)


def test_overflowing_state_stops_the_run():
    # g = 1e200 is finite, g**2 is not: the square average overflows while x stays finite.
    def jac(x):
        return np.array([1e200 if x[0] < -0.5 else 1.0, 1.0])

    res = rmsopt.minimize(np.sum, np.zeros(2), jac=jac, options={"learning_rate": 0.1})
    assert res.status == Status.NONFINITE
    assert np.all(np.isfinite(res.x)) and res.x[0] >= -0.5 - 0.1


def test_constant_gradient_with_bias_correction_takes_sign_steps():
    # Closed form (optax's bias correction): v_hat = g**2 at every step, so each step is
    # lr * g / (|g| + eps), whatever rho is.
    g, lr, eps, steps = 0.3, 0.01, 1e-8, 25
    res = rmsopt.minimize(
        lambda x: g * x[0],
        [0.0],
        jac=lambda x: np.array([g]),
        options={
            "learning_rate": lr,
            "rho": 0.8,
            "bias_correction": True,
            "maxiter": steps,
            "gtol": 0.0,
            "return_all": True,
        },
    )
    expected = -np.arange(steps + 1) * lr * g / (g + eps)
    np.testing.assert_allclose(np.ravel(res.allvecs), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("epsilon_in_sqrt", [False, True])
def test_initial_accumulator_value_follows_its_closed_form(epsilon_in_sqrt):
    # Closed form: v_t = rho**t v_0 + (1 - rho**t) g**2 for a constant gradient g.
    g, lr, rho, eps, v0, steps = 0.5, 0.01, 0.9, 1e-8, 1.0, 30
    res = rmsopt.minimize(
        lambda x: g * x[0],
        [0.0],
        jac=lambda x: np.array([g]),
        options={
            "learning_rate": lr,
            "rho": rho,
            "epsilon": eps,
            "maxiter": steps,
            "initial_accumulator_value": v0,
            "epsilon_in_sqrt": epsilon_in_sqrt,
            "gtol": 0.0,
            "return_all": True,
        },
    )
    t = np.arange(1, steps + 1)
    v = rho**t * v0 + (1 - rho**t) * g**2
    denominator = np.sqrt(v + eps) if epsilon_in_sqrt else np.sqrt(v) + eps
    expected = np.concatenate([[0.0], -np.cumsum(lr * g / denominator)])
    np.testing.assert_allclose(np.ravel(res.allvecs), expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_a_box_gtol_is_tested_first_as_without_one(dtype):
    # The projected gradient's norm in a box is measured by the pass of the following step;
    # the statuses must be those of testing it first at every iterate. SGD towards a target
    # outside the box: a NumPy twin finds the first iterate whose projected gradient is zero.
    target = np.array([2.0, -3.0, 1.5])
    lower, upper = np.full(3, -1.0), np.full(3, 1.0)

    def fun(x):
        return 0.5 * float(np.sum((x - target) ** 2))

    def jac(x):
        return x - target

    x = np.zeros(3, dtype=dtype)
    k = 0
    while np.max(np.abs(x - np.clip(x - jac(x), lower, upper))) > 0.0:
        x = np.clip(x - 0.3 * jac(x), lower, upper).astype(dtype)
        k += 1
    assert k > 2

    def run(maxiter, learning_rate=0.3):
        return rmsopt.minimize(
            fun,
            np.zeros(3, dtype=dtype),
            jac=jac,
            method="sgd",
            bounds=Bounds(lower, upper),
            options={"learning_rate": learning_rate, "gtol": 0.0, "maxiter": maxiter},
        )

    for maxiter in (k, k + 5):
        res = run(maxiter)
        assert (res.status, res.nit) == (Status.GTOL, k)
        np.testing.assert_array_equal(res.x, x)
    assert (run(k - 1).status, run(k - 1).nit) == (Status.MAXITER, k - 1)

    def schedule_failing_from(t_bad):
        def schedule(t):
            if t >= t_bad:
                raise RuntimeError("schedule")
            return 0.3

        return schedule

    # The schedule of step k + 1 is not needed: the run has converged at iterate k.
    res = run(k + 5, schedule_failing_from(k))
    assert (res.status, res.nit) == (Status.GTOL, k)
    with pytest.raises(RuntimeError, match="schedule"):
        run(k + 5, schedule_failing_from(k - 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_non_finite_status_says_what_was_not_finite_and_where(dtype):
    def quadratic_until(limit, value_or_gradient):
        # fun or jac goes non-finite beyond `limit` in x[1]; x0 = 0 walks towards x = 2.
        def fun(x):
            bad = value_or_gradient == "value" and x[1] > limit
            return np.nan if bad else float(np.sum((x - 2.0) ** 2))

        def jac(x):
            grad = 2.0 * (x - 2.0)
            if value_or_gradient == "gradient" and x[1] > limit:
                grad[1] = np.inf
            return grad

        return fun, jac

    options = {"learning_rate": 0.1, "maxiter": 100, "gtol": 0.0, "ftol": 1e-300}
    fun, jac = quadratic_until(0.5, "value")
    res = rmsopt.minimize(fun, np.zeros(3, dtype=dtype), jac=jac, options=options)
    assert res.status == Status.NONFINITE
    assert f"fun returned nan at the iterate of step {res.nit + 1}." in res.message
    fun, jac = quadratic_until(0.5, "gradient")
    res = rmsopt.minimize(fun, np.zeros(3, dtype=dtype), jac=jac, options=options)
    assert (
        f"The gradient was not finite at the iterate of step {res.nit + 1} "
        "(1 element, the first at index 1: inf)."
    ) in res.message
    fun, jac = quadratic_until(-1.0, "gradient")  # already at x0
    res = rmsopt.minimize(fun, np.zeros(3, dtype=dtype), jac=jac, options=options)
    assert res.nit == 0 and "The gradient was not finite at x0" in res.message
    # A finite gradient whose square overflows the state row (RMSprop's v = g**2).
    huge = float(np.finfo(dtype).max) / 4
    res = rmsopt.minimize(
        lambda x: 0.0, np.zeros(2, dtype=dtype), jac=lambda x: np.array([1.0, huge], dtype=dtype)
    )
    assert "Step 1 would have made the state row 'square_avg' non-finite" in res.message
    assert "the first at index 1: " in res.message
