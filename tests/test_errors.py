"""Every bad input gets a clear error naming the argument and what is accepted."""

import re

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import Bounds

import rmsopt


def fun(x):
    return float(np.sum(x**2))


def jac(x):
    return 2.0 * x


def option_message(name, accepted, got):
    return re.escape(
        f"The '{name}' option of method 'rmsprop' must be {accepted}. Got {got} instead."
    )


BAD_OPTIONS = [
    ("learning_rate", 0.0, ValueError, "a float in the range (0, inf)", "0.0"),
    ("learning_rate", -1e-3, ValueError, "a float in the range (0, inf)", "-0.001"),
    ("learning_rate", np.inf, ValueError, "a float in the range (0, inf)", "inf"),
    ("learning_rate", np.nan, ValueError, "a float in the range (0, inf)", "nan"),
    ("learning_rate", "0.1", TypeError, "a float in the range (0, inf)", "'0.1'"),
    ("learning_rate", True, TypeError, "a float in the range (0, inf)", "True"),
    ("rho", 1.0, ValueError, "a float in the range [0, 1)", "1.0"),
    ("rho", 1.5, ValueError, "a float in the range [0, 1)", "1.5"),
    ("rho", -0.1, ValueError, "a float in the range [0, 1)", "-0.1"),
    ("epsilon", -1e-8, ValueError, "a float in the range [0, inf)", "-1e-08"),
    ("momentum", -0.5, ValueError, "a float in the range [0, inf)", "-0.5"),
    ("weight_decay", -1.0, ValueError, "a float in the range [0, inf)", "-1.0"),
    ("initial_accumulator_value", -1.0, ValueError, "a float in the range [0, inf)", "-1.0"),
    ("gtol", -1.0, ValueError, "a float in the range [0, inf)", "-1.0"),
    ("ftol", -1.0, ValueError, "a float in the range [0, inf)", "-1.0"),
    ("xtol", None, TypeError, "a float in the range [0, inf)", "None"),
    ("maxiter", 1.5, TypeError, "an integer in the range [0, inf)", "1.5"),
    ("maxiter", -1, ValueError, "an integer in the range [0, inf)", "-1"),
    ("maxiter", "10", TypeError, "an integer in the range [0, inf)", "'10'"),
    ("maxfev", 0, ValueError, "an integer in the range [1, inf) or None", "0"),
    ("centered", 1, TypeError, "a bool (True or False)", "1"),
    ("centered", "yes", TypeError, "a bool (True or False)", "'yes'"),
    ("maximize", None, TypeError, "a bool (True or False)", "None"),
    ("epsilon_in_sqrt", 0, TypeError, "a bool (True or False)", "0"),
    ("bias_correction", "False", TypeError, "a bool (True or False)", "'False'"),
    ("disp", 1, TypeError, "a bool (True or False)", "1"),
    ("return_all", 1.0, TypeError, "a bool (True or False)", "1.0"),
]


@pytest.mark.parametrize(
    "name, value, error, accepted, got", BAD_OPTIONS, ids=[f"{b[0]}={b[1]!r}" for b in BAD_OPTIONS]
)
@pytest.mark.parametrize("entry", ["rmsopt.minimize", "scipy.optimize.minimize"])
def test_bad_option_values(name, value, error, accepted, got, entry):
    match = option_message(name, accepted, got)
    with pytest.raises(error, match=match):
        if entry == "rmsopt.minimize":
            rmsopt.minimize(fun, [1.0], jac=jac, options={name: value})
        else:
            scipy.optimize.minimize(
                fun, [1.0], jac=jac, method=rmsopt.rmsprop, options={name: value}
            )


@pytest.mark.parametrize("value", [np.float32(0.5), np.int64(3), 2])
def test_numpy_and_integer_scalars_are_accepted_as_floats(value):
    res = rmsopt.minimize(fun, [1.0], jac=jac, options={"learning_rate": value, "maxiter": 2})
    assert res.nit == 2


BAD_ARGUMENTS = [
    ("x0 empty", {"x0": []}, ValueError, "x0 must be .* got an empty array"),
    ("x0 2-D", {"x0": np.zeros((2, 2))}, ValueError, r"x0 must be .*1-D.* shape \(2, 2\)"),
    ("x0 nan", {"x0": [1.0, np.nan]}, ValueError, r"x0 must be finite; x0\[1\] is"),
    ("x0 inf", {"x0": [np.inf]}, ValueError, r"x0 must be finite; x0\[0\] is"),
    ("x0 complex", {"x0": [1 + 2j]}, TypeError, "x0 must be .* complex values"),
    ("x0 strings", {"x0": ["a", "b"]}, TypeError, "x0 must be an array_like of real numbers"),
    ("x0 object", {"x0": [object()]}, TypeError, "x0 must be an array_like of real numbers"),
    ("x0 ragged", {"x0": [[1.0], [1.0, 2.0]]}, TypeError, "x0 must be an array_like"),
    ("x0 bool", {"x0": [True, False]}, TypeError, "x0 must be an array_like of real numbers"),
    ("fun not callable", {"fun": 3}, TypeError, "fun must be callable; got int"),
    ("callback not callable", {"callback": "print"}, TypeError, "callback must be callable"),
    (
        "unknown jac string",
        {"jac": "5-point"},
        ValueError,
        "jac must be a callable, True, False, None, or one of "
        "'2-point', '3-point', 'cs'; got '5-point'",
    ),
    ("jac number", {"jac": 2}, ValueError, "jac must be a callable"),
    (
        "unknown method",
        {"method": "adamax"},
        ValueError,
        "Unknown method 'adamax'. Known methods: 'rmsprop'",
    ),
    ("method not a string", {"method": 3}, TypeError, "method must be a string"),
    (
        "options a list",
        {"options": [("maxiter", 3)]},
        TypeError,
        "options must be a mapping .* got list",
    ),
    (
        "tol negative",
        {"tol": -1.0},
        ValueError,
        re.escape("The 'tol' argument must be a float in the range [0, inf). Got -1.0 instead."),
    ),
    ("bounds wrong length", {"bounds": [(0, 1)]}, ValueError, "2 pairs expected .* got 1"),
    (
        "bounds lo > hi",
        {"bounds": [(0, 1), (2, 1)]},
        ValueError,
        "bounds must have min <= max .* variable 1 has min 2.0 > max 1.0",
    ),
    ("bounds not pairs", {"bounds": [1, 2]}, ValueError, "bounds must be .* entry 0 is 1"),
    ("bounds not iterable", {"bounds": 5}, TypeError, "bounds must be a scipy.optimize.Bounds"),
    ("bounds nan", {"bounds": [(np.nan, 1), (0, 1)]}, ValueError, "entry 0 holds NaN"),
    (
        "Bounds wrong length",
        {"bounds": Bounds([0, 0, 0], [1, 1, 1])},
        ValueError,
        r"bounds.lb must be a scalar or have length 2 .* shape \(3,\)",
    ),
    ("Bounds crossed", {"bounds": Bounds([0, 2], [1, 1])}, ValueError, "min <= max"),
]


@pytest.mark.parametrize(
    "changes, error, match", [b[1:] for b in BAD_ARGUMENTS], ids=[b[0] for b in BAD_ARGUMENTS]
)
def test_bad_arguments(changes, error, match):
    call = {"fun": fun, "x0": [1.0, 2.0], "jac": jac, **changes}
    with pytest.raises(error, match=match):
        rmsopt.minimize(**call)


BAD_RETURNS = [
    (
        "fun returns an array",
        lambda x: x,
        None,
        ValueError,
        r"'fun' must return a real scalar; got an array of shape \(2,\)",
    ),
    (
        "fun returns complex",
        lambda x: 1j,
        None,
        TypeError,
        "'fun' must return a real scalar; got a complex",
    ),
    ("fun returns a string", lambda x: "1.0", None, TypeError, "'fun' must return a real scalar"),
    ("fun returns None", lambda x: None, None, TypeError, "'fun' must return a real scalar"),
    (
        "jac wrong shape",
        fun,
        lambda x: np.zeros(3),
        ValueError,
        r"must have shape \(2,\), the shape of x0; got shape \(3,\)",
    ),
    ("jac 2-D", fun, lambda x: np.zeros((2, 1)), ValueError, r"got shape \(2, 1\)"),
    (
        "jac complex",
        fun,
        lambda x: np.zeros(2) * 1j,
        TypeError,
        "array of real numbers; got a complex",
    ),
    ("jac strings", fun, lambda x: ["a", "b"], TypeError, "array of real numbers"),
    ("jac None", fun, lambda x: None, TypeError, "array of real numbers"),
    (
        "jac=True but fun returns a float",
        fun,
        True,
        TypeError,
        r"With jac=True, 'fun' must return a pair \(value, gradient\); got float",
    ),
]


@pytest.mark.parametrize(
    "user_fun, user_jac, error, match",
    [b[1:] for b in BAD_RETURNS],
    ids=[b[0] for b in BAD_RETURNS],
)
def test_bad_returns_from_user_functions(user_fun, user_jac, error, match):
    with pytest.raises(error, match=match):
        rmsopt.minimize(user_fun, [1.0, 2.0], jac=user_jac, options={"ftol": 1e-9})


def test_size_one_array_from_fun_is_accepted_as_scipy_does():
    res = rmsopt.minimize(
        lambda x: np.array([np.sum(x**2)]), [1.0], jac=jac, options={"maxiter": 1}
    )
    assert isinstance(res.fun, float)
