"""The ask/tell optimizer objects: in-place steps, state access, checkpoints, bad input."""

import copy
import inspect
import io
import pickle
import re

import numpy as np
import pytest

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import assert_same_iterates, option_grid, shaped
from reference import REFERENCES

CLASSES = {name: getattr(rmsopt, method.class_name) for name, method in METHODS.items()}


@pytest.fixture(params=list(METHODS))
def name(request):
    return request.param


def make(name, x, **options):
    """The optimizer object of method ``name`` on ``x`` (Muon reads a 1-D x as one row)."""
    return CLASSES[name](x, **shaped(name, options, np.size(x)))


def twin_of(name, x0, **options):
    """The NumPy twin of method ``name`` from ``x0``, shaped as `make` shapes it."""
    return REFERENCES[name](x0, **shaped(name, options, np.size(x0)))


def gradient(x):
    """A non-convex gradient that stays bounded wherever a step lands."""
    return x + 3.0 * np.cos(3.0 * x)


def run(optimizer, steps):
    iterates = []
    for _ in range(steps):
        iterates.append(optimizer.step(gradient(optimizer.x)).copy())
    return np.array(iterates)


def test_step_updates_the_callers_array_in_place_and_returns_it(name, dtype):
    x = np.linspace(-1.0, 1.0, 7).astype(dtype)
    optimizer = make(name, x, learning_rate=0.01)
    returned = optimizer.step(gradient(x))
    assert returned is x and optimizer.x is x
    assert optimizer.step_count == 1 and x.dtype == dtype


@pytest.mark.parametrize("which", [0, -1])
def test_iterates_equal_the_twin_bitwise(name, which, dtype):
    options = option_grid(name)[which]
    x0 = np.linspace(-1.0, 1.0, 9).astype(dtype)
    optimizer = make(name, x0.copy(), learning_rate=0.01, **options)
    twin = twin_of(name, x0, learning_rate=0.01, **options)
    for _ in range(40):
        assert_same_iterates(
            name, optimizer.step(gradient(optimizer.x)), twin.step(gradient(twin.x))
        )
    for row, values in optimizer.state.items():
        assert_same_iterates(name, values, twin.state[row])


def test_iterates_equal_minimize(name, dtype):
    x0 = np.linspace(-1.0, 1.0, 5).astype(dtype)
    res = rmsopt.minimize(
        lambda x: 0.0,
        x0,
        method=name,
        jac=gradient,
        options={
            "learning_rate": 0.01,
            "maxiter": 30,
            "gtol": 0.0,
            "return_all": True,
            **shaped(name, {}, 5),
        },
    )
    optimizer = make(name, x0.copy(), learning_rate=0.01)
    np.testing.assert_array_equal(run(optimizer, 30), np.array(res.allvecs[1:]))


def test_schedule_is_evaluated_once_per_step_at_the_step_count(name):
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.01 / (1 + t)

    optimizer = make(name, np.ones(3), learning_rate=schedule)
    twin = twin_of(name, np.ones(3))
    for t in range(5):
        assert_same_iterates(
            name, optimizer.step(gradient(optimizer.x)), twin.step(gradient(twin.x), 0.01 / (1 + t))
        )
    assert seen == [0, 1, 2, 3, 4]


def test_state_is_read_only_and_named_by_the_declaration(name):
    optimizer = make(name, np.ones(4), learning_rate=0.01)
    optimizer.step(np.ones(4))
    state = optimizer.state
    assert tuple(state) == METHODS[name].state
    for values in state.values():
        with pytest.raises(ValueError, match="read-only"):
            values[0] = 1.0


def test_state_dict_resume_is_bitwise_equal_to_an_uninterrupted_run(name, dtype):
    options = option_grid(name)[-1]
    x0 = np.linspace(-1.0, 1.0, 6).astype(dtype)
    uninterrupted = run(make(name, x0.copy(), learning_rate=0.01, **options), 60)

    first = make(name, x0.copy(), learning_rate=0.01, **options)
    head = run(first, 25)
    checkpoint = pickle.loads(pickle.dumps(first.state_dict()))
    second = make(name, first.x.copy(), learning_rate=0.01, **options)
    second.load_state_dict(checkpoint)
    assert second.step_count == 25
    tail = run(second, 35)
    np.testing.assert_array_equal(np.concatenate([head, tail]), uninterrupted)


def test_state_dict_survives_savez(name, dtype):
    optimizer = make(name, np.linspace(0.0, 1.0, 4).astype(dtype), learning_rate=0.01)
    run(optimizer, 3)
    buffer = io.BytesIO()
    np.savez(buffer, **optimizer.state_dict())
    buffer.seek(0)
    loaded = dict(np.load(buffer, allow_pickle=True))  # the options are a pickled dict
    other = make(name, optimizer.x.copy(), learning_rate=0.5)
    other.load_state_dict(loaded)
    assert other.step_count == 3 and other.learning_rate == 0.01
    for row, values in other.state.items():
        np.testing.assert_array_equal(values, optimizer.state[row])


def test_state_dict_is_a_copy(name):
    optimizer = make(name, np.ones(3), learning_rate=0.01)
    saved = optimizer.state_dict()
    run(optimizer, 2)
    assert saved["step"] == 0
    assert saved["method"] == name


def test_signature_and_docstring_come_from_the_declaration(name):
    cls = CLASSES[name]
    parameters = inspect.signature(cls).parameters
    assert list(parameters)[0] == "x"
    for option in METHODS[name].step_options:
        assert parameters[option.name].default == option.default
        assert f"\n{option.name} : " in cls.__doc__
    assert "nonfinite" in parameters and cls.__module__ == "rmsopt"
    assert cls.__name__ in rmsopt.__all__


# ---- non-finite gradients and steps ----------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(("n", "where"), [(4, 1), (40_000, -1)])
def test_non_finite_gradient_raises_and_changes_nothing(name, bad, n, where):
    # At n = 40,000 the step runs in chunks on two threads, x stepped in place block by block:
    # the bad last element is met after the rest of x has moved, and all of it is put back.
    x = np.ones(n)
    optimizer = make(name, x, learning_rate=0.01, threads=2)
    optimizer.step(np.ones(n))
    x_before, state_before = x.copy(), optimizer.state_dict()
    grad = np.ones(n)
    grad[where] = bad
    with pytest.raises(FloatingPointError, match="NaN or infinite"):
        optimizer.step(grad)
    np.testing.assert_array_equal(x, x_before)
    assert optimizer.step_count == 1
    for row, values in optimizer.state.items():
        np.testing.assert_array_equal(values, state_before[row])


def test_non_finite_gradient_is_skipped_when_asked(name):
    x = np.ones(4)
    optimizer = make(name, x, learning_rate=0.01, nonfinite="skip")
    assert optimizer.step(np.full(4, np.nan)) is x
    np.testing.assert_array_equal(x, 1.0)
    assert optimizer.step_count == 0 and optimizer.skipped_steps == 1
    optimizer.step(np.ones(4))
    assert optimizer.step_count == 1 and np.all(x < 1.0)


@pytest.mark.parametrize("n", [3, 40_000])
def test_overflowing_step_is_rolled_back(dtype, n):
    # A finite gradient whose square overflows: the state would become inf.
    huge = np.finfo(dtype).max / 4
    x = np.ones(n, dtype=dtype)
    optimizer = rmsopt.RMSprop(x, learning_rate=0.01, threads=2)
    grad = np.ones(n, dtype=dtype)
    grad[-1] = huge
    with pytest.raises(FloatingPointError, match="overflow"):
        optimizer.step(grad)
    np.testing.assert_array_equal(x, 1.0)
    assert optimizer.step_count == 0
    assert all(np.all(values == 0) for values in optimizer.state.values())


# ---- bad input -------------------------------------------------------------------------------

X_ACCEPTED = (
    "a writable, C-contiguous float32 or float64 numpy array of finite values (stepped in "
    "place), a list, tuple or dict of them, or parameter groups"
)


def read_only(array):
    array.flags.writeable = False
    return array


BAD_X = [
    ("string", "x", TypeError, "'x'"),
    ("int array", np.arange(3), TypeError, "an int64 array of shape (3,)"),
    ("float16", np.ones(3, np.float16), TypeError, "a float16 array of shape (3,)"),
    (
        "strided 2-D",
        np.ones((2, 4))[:, ::2],
        ValueError,
        "a non-contiguous float64 array of shape (2, 2)",
    ),  # fmt: skip
    ("strided", np.ones(6)[::2], ValueError, "a non-contiguous float64 array of shape (3,)"),
    ("read-only", read_only(np.ones(3)), ValueError, "a read-only float64 array of shape (3,)"),
    ("nan", np.array([1.0, np.nan]), ValueError, "an array with non-finite values"),
]


@pytest.mark.parametrize("label, x, error, got", BAD_X, ids=[b[0] for b in BAD_X])
def test_bad_x_is_refused_with_a_clear_error(label, x, error, got):
    message = f"The 'x' argument of Adam must be {X_ACCEPTED}. Got {got} instead."
    with pytest.raises(error, match=re.escape(message)):
        rmsopt.Adam(x)


BAD_GRADIENTS = [
    (
        "list",
        [1.0, 2.0, 3.0],
        TypeError,
        "a numpy array of dtype float64, like x",
        "an object of type list",
    ),
    (
        "float32",
        np.ones(3, np.float32),
        TypeError,
        "a numpy array of dtype float64, like x",
        "a float32 array of shape (3,)",
    ),
    ("short", np.ones(2), ValueError, "of shape (3,), like x", "a float64 array of shape (2,)"),
    (
        "2-D",
        np.ones((3, 1)),
        ValueError,
        "of shape (3,), like x",
        "a float64 array of shape (3, 1)",
    ),
]


@pytest.mark.parametrize(
    "label, grad, error, accepted, got", BAD_GRADIENTS, ids=[b[0] for b in BAD_GRADIENTS]
)
def test_bad_gradient_is_refused_and_changes_nothing(label, grad, error, accepted, got):
    x = np.ones(3)
    optimizer = rmsopt.SGD(x, learning_rate=0.1)
    message = f"The gradient given to SGD.step must be {accepted}. Got {got} instead."
    with pytest.raises(error, match=re.escape(message)):
        optimizer.step(grad)
    np.testing.assert_array_equal(x, 1.0)
    assert optimizer.step_count == 0


def test_empty_x_is_refused():
    message = "The 'x' argument of Adam must be non-empty. Got an empty array instead."
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.Adam(np.ones(0))


def test_the_base_class_is_not_an_optimizer():
    with pytest.raises(TypeError, match="use one of them"):
        rmsopt.Optimizer(np.ones(2))


def test_state_is_a_snapshot_that_does_not_go_stale():
    optimizer = rmsopt.Adam(np.ones(3), learning_rate=0.1)
    before = optimizer.state["exp_avg"]
    optimizer.step(np.ones(3))
    np.testing.assert_array_equal(before, 0.0)
    np.testing.assert_array_equal(optimizer.state["exp_avg"], optimizer.state_dict()["exp_avg"])
    assert np.all(optimizer.state["exp_avg"] > 0)


def test_non_contiguous_gradient_is_used_as_its_values():
    x, y = np.ones(3), np.ones(3)
    rmsopt.SGD(x, learning_rate=0.1).step(np.arange(6.0)[::2])
    rmsopt.SGD(y, learning_rate=0.1).step(np.array([0.0, 2.0, 4.0]))
    np.testing.assert_array_equal(x, y)


def test_unknown_keyword_is_a_type_error_with_a_hint():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "RMSprop() got an unexpected keyword argument 'lr' (did you mean 'learning_rate'?)"
        ),
    ):
        rmsopt.RMSprop(np.ones(2), lr=0.1)


def test_bad_option_values_use_the_option_messages():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The 'beta1' option of method 'adam' must be a float in the range [0, 1). "
            "Got 1.0 instead."
        ),
    ):
        rmsopt.Adam(np.ones(2), beta1=1.0)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "The 'nonfinite' option of method 'sgd' must be one of 'raise', 'skip'. "
            "Got 'ignore' instead."
        ),
    ):
        rmsopt.SGD(np.ones(2), nonfinite="ignore")
    with pytest.raises(ValueError, match="nesterov"):
        rmsopt.SGD(np.ones(2), nesterov=True)


def test_schedule_returning_a_bad_rate_raises_and_changes_nothing():
    x = np.ones(2)
    optimizer = rmsopt.Adam(x, learning_rate=lambda t: -1.0)
    with pytest.raises(ValueError, match="returned -1.0 at step 0"):
        optimizer.step(np.ones(2))
    np.testing.assert_array_equal(x, 1.0)


STATE_MISMATCHES = [
    (
        "method",
        lambda: rmsopt.RMSprop(np.ones(3)).state_dict(),
        "a state of method 'adam'",
        "a state of 'rmsprop'",
    ),
    (
        "dtype",
        lambda: rmsopt.Adam(np.ones(3, np.float32)).state_dict(),
        "a float64 array of shape (3,)",
        "a float32 array of shape (3,)",
    ),
    (
        "size",
        lambda: rmsopt.Adam(np.ones(4)).state_dict(),
        "a float64 array of shape (3,)",
        "a float64 array of shape (4,)",
    ),
]


@pytest.mark.parametrize(
    "label, make, accepted, got", STATE_MISMATCHES, ids=[s[0] for s in STATE_MISMATCHES]
)
def test_state_of_another_method_dtype_or_size_is_refused(label, make, accepted, got):
    optimizer = rmsopt.Adam(np.ones(3))
    with pytest.raises(
        ValueError, match=re.escape(accepted) + ".*" + re.escape(f"Got {got} instead.")
    ):
        optimizer.load_state_dict(make())
    assert optimizer.step_count == 0


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda s: s.pop("exp_avg"), "with the keys"),
        (lambda s: s.update(extra=1), "with the keys"),
        (lambda s: s.update(step=-1), re.escape("an integer in the range [0, 2**62]")),
        (lambda s: s.update(step=1.5), re.escape("an integer in the range [0, 2**62]")),
        (lambda s: s.update(exp_avg=np.full(3, np.nan)), "must be finite"),
        (lambda s: s.update(exp_avg=[0.0, 0.0, 0.0]), "a float64 array of shape"),
    ],
)
def test_malformed_state_is_refused(change, match):
    optimizer = rmsopt.Adam(np.ones(3))
    state = optimizer.state_dict()
    change(state)
    with pytest.raises(ValueError, match=match):
        optimizer.load_state_dict(state)


def test_repr_shows_the_options_that_differ_from_defaults():
    optimizer = rmsopt.RMSprop(np.ones(3, np.float32), learning_rate=0.01, centered=True)
    assert repr(optimizer) == (
        "RMSprop(<float32 array of shape (3,)>, learning_rate=0.01, centered=True; step_count=0)"
    )


# ---- options as attributes -------------------------------------------------------------------

LIVE_CHANGES = [
    ("rmsprop", {"learning_rate": 1e-3, "rho": 0.95}),
    ("rmsprop", {"centered": True, "momentum": 0.9}),
    ("adam", {"beta1": 0.8, "weight_decay": 0.1, "amsgrad": True}),
    ("sgd", {"momentum": 0.5, "nesterov": True}),
    ("adagrad", {"lr_decay": 0.01}),
    ("adadelta", {"rho": 0.5}),
]


@pytest.mark.parametrize(("method", "changes"), LIVE_CHANGES)
def test_options_set_as_attributes_take_effect_at_the_next_step(method, changes, dtype):
    x = np.linspace(-1.0, 1.0, 9).astype(dtype)
    optimizer = CLASSES[method](x, learning_rate=0.01)
    twin = REFERENCES[method](x.copy(), learning_rate=0.01)
    for step in range(20):
        if step == 10:
            for option, value in changes.items():
                setattr(optimizer, option, value)
                if option == "learning_rate":
                    twin.learning_rate = value
                else:
                    twin.options[option] = value
            assert {k: optimizer.options[k] for k in changes} == changes
            assert optimizer.state_dict()["options"] == dict(optimizer.options)
        np.testing.assert_array_equal(optimizer.step(gradient(x)), twin.step(gradient(twin.x)))
    for row, values in optimizer.state.items():
        np.testing.assert_array_equal(values, twin.state[row])


def test_a_bad_option_value_raises_as_the_constructor_does_and_changes_nothing():
    x = np.ones(3)
    optimizer = rmsopt.RMSprop(x, learning_rate=0.01)
    optimizer.step(np.ones(3))
    before = (x.copy(), optimizer.state_dict())
    for option, value in (("learning_rate", -1.0), ("rho", 1.5), ("centered", "yes")):
        with pytest.raises((ValueError, TypeError)) as from_constructor:
            rmsopt.RMSprop(np.ones(3), **{option: value})
        with pytest.raises(from_constructor.type, match=re.escape(str(from_constructor.value))):
            setattr(optimizer, option, value)
    assert optimizer.learning_rate == 0.01 and optimizer.rho == rmsopt.RMSprop(x).rho
    np.testing.assert_array_equal(x, before[0])
    assert optimizer.state_dict()["options"] == before[1]["options"]


def test_an_unknown_attribute_raises_with_a_suggestion():
    optimizer = rmsopt.Adam(np.ones(2))
    with pytest.raises(AttributeError, match="did you mean 'learning_rate'"):
        optimizer.learnig_rate = 0.1
    with pytest.raises(AttributeError):
        optimizer.anything = 1
    with pytest.raises(TypeError):
        optimizer.options["learning_rate"] = 1e-5  # read-only: set the attribute instead
    assert optimizer.learning_rate == 1e-3


def test_load_state_dict_restores_the_options_saved_with_the_state():
    first = rmsopt.RMSprop(np.linspace(0.0, 1.0, 5), learning_rate=0.05, centered=True)
    run(first, 4)
    second = rmsopt.RMSprop(first.x.copy())
    second.load_state_dict(first.state_dict())
    assert dict(second.options) == dict(first.options)
    np.testing.assert_array_equal(run(second, 5), run(first, 5))
    # A state without options (saved before options were kept) leaves the object's own.
    legacy = first.state_dict()
    del legacy["options"]
    third = rmsopt.RMSprop(first.x.copy(), learning_rate=0.2)
    third.load_state_dict(legacy)
    assert third.learning_rate == 0.2
    damaged = {**first.state_dict(), "options": {"learnig_rate": 0.1}}
    with pytest.raises(ValueError, match="unknown option"):
        third.load_state_dict(damaged)


# ---- copies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copy_continues_as_the_original_on_its_own_arrays(name, dtype, how):
    x = np.linspace(-1.0, 1.0, 9).astype(dtype)
    schedule = rmsopt.schedules.exponential_decay(0.05, 0.5, 7)
    original = make(name, x, learning_rate=schedule, nonfinite="skip")
    run(original, 5)
    original.step(np.full(9, np.nan, dtype=dtype))  # skipped: the count is copied too
    copied = copy.deepcopy(original) if how == "deepcopy" else pickle.loads(pickle.dumps(original))
    assert copied.x is not original.x and not np.shares_memory(copied.x, original.x)
    assert (copied.step_count, copied.skipped_steps) == (5, 1)
    assert copied.learning_rate == schedule and copied.learning_rate is not schedule
    before = original.x.copy()
    path = run(copied, 10)
    np.testing.assert_array_equal(original.x, before)  # stepping the copy left it alone
    np.testing.assert_array_equal(path, run(original, 10))
    for row, values in copied.state.items():
        np.testing.assert_array_equal(values, original.state[row])


def test_a_copy_of_a_plateau_schedule_keeps_what_it_observed():
    x = np.ones(3)
    original = rmsopt.RMSprop(x, learning_rate=rmsopt.schedules.reduce_on_plateau(0.1, patience=1))
    for _ in range(4):
        original.step(2.0 * x, loss=1.0)
    copied = copy.deepcopy(original)
    assert copied.learning_rate.state_dict() == original.learning_rate.state_dict()
    for _ in range(3):
        original.step(2.0 * original.x, loss=1.0)
        copied.step(2.0 * copied.x, loss=1.0)
    np.testing.assert_array_equal(copied.x, original.x)
