"""Every bad input gets a clear error naming the argument and what is accepted."""

import re

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import Bounds

import rmsopt
from rmsopt._methods.registry import METHODS

METHOD_NAMES = ", ".join(repr(name) for name in METHODS)
# minimize's learning_rate may also be None: its default, a schedule (see test_defaults.py).
RATE = "a float in the range (0, inf) or a schedule (a callable t -> learning rate), or None"


def fun(x):
    return float(np.sum(x**2))


def jac(x):
    return 2.0 * x


def option_message(name, accepted, got):
    return re.escape(
        f"The '{name}' option of method 'rmsprop' must be {accepted}. Got {got} instead."
    )


BAD_OPTIONS = [
    ("learning_rate", 0.0, ValueError, RATE, "0.0"),
    ("learning_rate", -1e-3, ValueError, RATE, "-0.001"),
    ("learning_rate", np.inf, ValueError, RATE, "inf"),
    ("learning_rate", np.nan, ValueError, RATE, "nan"),
    ("learning_rate", "0.1", TypeError, RATE, "'0.1'"),
    ("learning_rate", True, TypeError, RATE, "True"),
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
    ("maxiter", 1.5, ValueError, "an integer in the range [0, 2**63 - 1]", "1.5"),
    ("maxiter", np.inf, ValueError, "an integer in the range [0, 2**63 - 1]", "inf"),
    ("maxiter", 1e30, ValueError, "an integer in the range [0, 2**63 - 1]", "1e+30"),
    ("maxiter", True, TypeError, "an integer in the range [0, 2**63 - 1]", "True"),
    ("maxiter", -1, ValueError, "an integer in the range [0, 2**63 - 1]", "-1"),
    ("maxiter", "10", TypeError, "an integer in the range [0, 2**63 - 1]", "'10'"),
    ("maxfev", 0, ValueError, "an integer in the range [1, 2**63 - 1] or None", "0"),
    ("centered", 2, ValueError, "a bool (True or False, or 0 or 1)", "2"),
    ("centered", "yes", TypeError, "a bool (True or False, or 0 or 1)", "'yes'"),
    ("maximize", None, TypeError, "a bool (True or False, or 0 or 1)", "None"),
    ("epsilon_in_sqrt", -1, ValueError, "a bool (True or False, or 0 or 1)", "-1"),
    ("bias_correction", "False", TypeError, "a bool (True or False, or 0 or 1)", "'False'"),
    ("maxiter", 2**63, ValueError, "an integer in the range [0, 2**63 - 1]", str(2**63)),
    (
        "maxfev",
        np.uint64(2**63),
        ValueError,
        "an integer in the range [1, 2**63 - 1] or None",
        "np.uint64(9223372036854775808)",
    ),
    ("learning_rate", 10**400, ValueError, RATE, str(10**400)[:77] + "..."),
    ("disp", 2, ValueError, "a bool (True or False, or 0 or 1)", "2"),
    ("return_all", 1.0, TypeError, "a bool (True or False, or 0 or 1)", "1.0"),
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


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("disp", 0, False),
        ("return_all", 1, True),
        ("centered", np.int64(1), True),
        ("maximize", np.bool_(False), False),
        ("maxfev", 3.0, 3),
        ("maxfev", np.float32(3.0), 3),
        ("maxfev", np.int16(3), 3),
    ],
)
def test_flags_and_counts_accept_what_scipy_accepts(name, value, expected):
    # SciPy's flags take 0 and 1 (statsmodels passes disp=0/1) and its counts integral floats:
    # each runs as the bool or int it stands for.
    def run(given):
        return rmsopt.minimize(fun, [1.0], jac=jac, options={name: given, "maxiter": 5})

    res, reference = run(value), run(expected)
    np.testing.assert_array_equal(res.x, reference.x)
    assert res.nit == reference.nit and type(res.nit) is int
    assert hasattr(res, "allvecs") == hasattr(reference, "allvecs")


@pytest.mark.parametrize("value", [np.float32(0.5), np.int64(3), 2])
def test_numpy_and_integer_scalars_are_accepted_as_floats(value):
    res = rmsopt.minimize(fun, [1.0], jac=jac, options={"learning_rate": value, "maxiter": 2})
    assert res.nit == 2


def argument_message(name, accepted, got):
    return re.escape(f"The '{name}' argument must be {accepted}. Got ") + got + " instead."


X0 = "an array_like of real numbers, 1-D (a scalar is one variable)"
BOUNDS = (
    "a scipy.optimize.Bounds or a sequence of one (min, max) pair per variable, "
    "with None for an open side"
)
CROSSED = "min <= max, with min < inf and max > -inf, for every variable"
JAC = "a callable, True, False, None, or one of '2-point', '3-point', 'cs'"

BAD_ARGUMENTS = [
    ("x0 empty", {"x0": []}, ValueError, argument_message("x0", "non-empty", "an empty array")),
    (
        "x0 2-D",
        {"x0": np.zeros((2, 2))},
        ValueError,
        argument_message("x0", X0, r"an array of shape \(2, 2\)"),
    ),
    (
        "x0 nan",
        {"x0": [1.0, np.nan]},
        ValueError,
        argument_message("x0", "finite", "nan at index 1"),
    ),
    (
        "x0 inf",
        {"x0": [np.inf]},
        ValueError,
        argument_message("x0", "finite", "inf at index 0"),
    ),
    (
        "x0 complex",
        {"x0": [1 + 2j]},
        TypeError,
        argument_message("x0", X0, r".*dtype complex128\)"),
    ),
    ("x0 strings", {"x0": ["a", "b"]}, TypeError, argument_message("x0", X0, ".*dtype <U1\\)")),
    ("x0 object", {"x0": [object()]}, TypeError, argument_message("x0", X0, ".*dtype object\\)")),
    ("x0 ragged", {"x0": [[1.0], [1.0, 2.0]]}, TypeError, argument_message("x0", X0, ".*")),
    ("x0 bool", {"x0": [True, False]}, TypeError, argument_message("x0", X0, ".*dtype bool\\)")),
    (
        "fun not callable",
        {"fun": 3},
        TypeError,
        argument_message("fun", "callable or a scipy.LowLevelCallable", "3"),
    ),
    (
        "callback not callable",
        {"callback": "print"},
        TypeError,
        argument_message(
            "callback",
            "callable, as callback(intermediate_result) or callback(xk), or None",
            "'print'",
        ),
    ),
    (
        "unknown jac string",
        {"jac": "5-point"},
        ValueError,
        argument_message("jac", JAC, "'5-point'"),
    ),
    ("jac number", {"jac": 2}, TypeError, argument_message("jac", JAC, "2")),
    (
        "unknown method",
        {"method": "adabelief"},
        ValueError,
        argument_message("method", f"one of {METHOD_NAMES} (case-insensitive)", "'adabelief'"),
    ),
    (
        "method not a string",
        {"method": 3},
        TypeError,
        argument_message("method", f"one of {METHOD_NAMES} (case-insensitive)", "3"),
    ),
    (
        "options a list",
        {"options": [("maxiter", 3)]},
        TypeError,
        argument_message(
            "options",
            "a mapping (e.g. a dict) of option names to values, or None",
            re.escape("[('maxiter', 3)]"),
        ),
    ),
    (
        "tol negative",
        {"tol": -1.0},
        ValueError,
        argument_message("tol", "a float in the range [0, inf)", "-1.0"),
    ),
    (
        "bounds wrong length",
        {"bounds": [(0, 1)]},
        ValueError,
        argument_message("bounds", BOUNDS + ": 2 pairs (the length of x0)", "1"),
    ),
    (
        "bounds lo > hi",
        {"bounds": [(0, 1), (2, 1)]},
        ValueError,
        argument_message("bounds", CROSSED, "min 2.0 and max 1.0 for variable 1"),
    ),
    (
        "bounds lower +inf",
        {"bounds": [(np.inf, None), (0, 1)]},
        ValueError,
        argument_message("bounds", CROSSED, "min inf and max inf for variable 0"),
    ),
    (
        "bounds upper -inf",
        {"bounds": [(0, 1), (None, -np.inf)]},
        ValueError,
        argument_message("bounds", CROSSED, "min -inf and max -inf for variable 1"),
    ),
    (
        "bounds not pairs",
        {"bounds": [1, 2]},
        ValueError,
        argument_message("bounds", BOUNDS, "1 for variable 0"),
    ),
    (
        "bounds strings",
        {"bounds": [("0", "1"), (0, 1)]},
        TypeError,
        argument_message("bounds", BOUNDS, "'0' for variable 0"),
    ),
    ("bounds not iterable", {"bounds": 5}, TypeError, argument_message("bounds", BOUNDS, "5")),
    (
        "bounds nan",
        {"bounds": [(np.nan, 1), (0, 1)]},
        ValueError,
        argument_message("bounds", BOUNDS + " (not NaN)", "NaN for variable 0"),
    ),
    (
        "Bounds wrong length",
        {"bounds": Bounds([0, 0, 0], [1, 1, 1])},
        ValueError,
        re.escape(
            "The 'bounds' argument (lb) must be a scalar, or of length 1 or 2 (the length of x0). "
            "Got shape (3,) instead."
        ),
    ),
    (
        "Bounds crossed",
        {"bounds": Bounds([0, 2], [1, 1])},
        ValueError,
        argument_message("bounds", CROSSED, "min 2.0 and max 1.0 for variable 1"),
    ),
]


@pytest.mark.parametrize(
    "changes, error, match", [b[1:] for b in BAD_ARGUMENTS], ids=[b[0] for b in BAD_ARGUMENTS]
)
def test_bad_arguments(changes, error, match):
    call = {"fun": fun, "x0": [1.0, 2.0], "jac": jac, **changes}
    with pytest.raises(error, match=match):
        rmsopt.minimize(**call)


SCALAR = re.escape("The value returned by 'fun' must be a real scalar. Got ")
GRADIENT = re.escape("The gradient returned by 'jac' must be ")

BAD_RETURNS = [
    (
        "fun returns an array",
        lambda x: x,
        None,
        ValueError,
        SCALAR + re.escape("an array of shape (2,) instead."),
    ),
    ("fun returns complex", lambda x: 1j, None, TypeError, SCALAR + "a complex value"),
    ("fun returns a string", lambda x: "1.0", None, TypeError, SCALAR + "a value of type str"),
    ("fun returns None", lambda x: None, None, TypeError, SCALAR + "a value of type NoneType"),
    (
        "jac wrong shape",
        fun,
        lambda x: np.zeros(3),
        ValueError,
        GRADIENT + re.escape("of shape (2,), the shape of x0. Got shape (3,) instead."),
    ),
    ("jac 2-D", fun, lambda x: np.zeros((2, 1)), ValueError, GRADIENT + r".*Got shape \(2, 1\)"),
    (
        "jac complex",
        fun,
        lambda x: np.zeros(2) * 1j,
        TypeError,
        GRADIENT + "an array of real numbers. Got a complex value",
    ),
    ("jac strings", fun, lambda x: ["a", "b"], TypeError, GRADIENT + "an array of real numbers"),
    ("jac None", fun, lambda x: None, TypeError, GRADIENT + "an array of real numbers"),
    (
        "jac=True, fun returns a float",
        fun,
        True,
        TypeError,
        re.escape(
            "With jac=True, the value returned by 'fun' must be a pair (value, gradient). Got float"
        ),
    ),
    (
        "jac=True, bad gradient",
        lambda x: (1.0, np.zeros(5)),
        True,
        ValueError,
        re.escape("The gradient returned by 'fun' (with jac=True) must be of shape (2,)"),
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


def test_show_options_checks_disp():
    accepted = "a bool (True or False, or 0 or 1)"
    with pytest.raises(ValueError, match=argument_message("disp", accepted, "2")):
        rmsopt.show_options("rmsprop", disp=2)


def test_size_one_array_from_fun_is_accepted_as_scipy_does():
    res = rmsopt.minimize(
        lambda x: np.array([np.sum(x**2)]), [1.0], jac=jac, options={"maxiter": 1}
    )
    assert isinstance(res.fun, float)


def _big_result():
    return rmsopt.minimize(fun, np.ones(20_000), jac=jac, options={"maxiter": 2})


LARGE_INPUTS = [
    ("state = a whole result", {"options": {"state": "RESULT"}}),
    ("validation arrays without batch_size", {"options": {"validation": (np.ones((500, 30)),)}}),
    ("options = an array", {"options": np.ones(10_000)}),
    ("x0 of strings", {"x0": ["a"] * 10_000}),
    ("bounds of the wrong length", {"bounds": [(0.0, 1.0)] * 10_000}),
    ("bounds an array", {"bounds": np.ones(10_000)}),
    ("learning_rate an array", {"options": {"learning_rate": np.ones(10_000)}}),
    ("maxiter a list", {"options": {"maxiter": list(range(10_000))}}),
    ("callback a dict", {"callback": {str(i): i for i in range(10_000)}}),
    (
        "args huge, batch_size too large",
        {"options": {"batch_size": 10**6}, "args": (np.ones(5000),)},
    ),
]


@pytest.mark.parametrize(("label", "given"), LARGE_INPUTS, ids=[label for label, _ in LARGE_INPUTS])
def test_messages_stay_short_whatever_was_passed(label, given):
    given = dict(given)
    options = given.get("options")
    if isinstance(options, dict) and isinstance(options.get("state"), str):
        given["options"] = {"state": _big_result()}
    x0 = given.pop("x0", np.ones(3))
    with pytest.raises((TypeError, ValueError)) as raised:
        rmsopt.minimize(lambda x, *a: 0.0, x0, jac=lambda x, *a: np.zeros_like(x), **given)
    message = str(raised.value)
    assert len(message) <= 300, (len(message), message[:400])
    assert message.endswith("instead.") or "must be" in message


def test_a_class_given_a_huge_wrong_gradient_says_so_briefly():
    opt = rmsopt.RMSprop(np.ones(3))
    for bad in (np.ones(10**5), list(range(10**5))):
        with pytest.raises((TypeError, ValueError)) as raised:
            opt.step(bad)
        assert len(str(raised.value)) <= 300
    with pytest.raises(ValueError) as raised:
        opt.load_state_dict(_big_result().state)
    assert len(str(raised.value)) <= 300
