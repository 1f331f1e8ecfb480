"""Several parameter arrays: lists, tuples, dicts of arrays of any shape, and torch-style
parameter groups, stepped in place with the same update as their concatenation, bit for bit."""

import copy
import pickle
import re

import numpy as np
import pytest

import rmsopt
from rmsopt.schedules import exponential_decay, reduce_on_plateau

CLASSES = {
    "rmsprop": rmsopt.RMSprop,
    "adagrad": rmsopt.Adagrad,
    "adadelta": rmsopt.Adadelta,
    "adam": rmsopt.Adam,
    "adamw": rmsopt.AdamW,
    "sgd": rmsopt.SGD,
}
# Options that exercise what couples elements or steps: clipnorm takes the norm of every
# array's gradient together; the others are element by element.
OPTIONS = {
    "rmsprop": {"learning_rate": 1e-2, "momentum": 0.9, "centered": True, "clipnorm": 0.5},
    "adagrad": {"learning_rate": exponential_decay(0.1, 0.5, 10), "weight_decay": 1e-3},
    "adadelta": {"clipvalue": 0.3},
    "adam": {"learning_rate": 1e-2, "amsgrad": True, "clipnorm": 1.0},
    "adamw": {"learning_rate": 1e-2},
    "sgd": {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": True, "clipnorm": 2.0},
}
# Sizes either side of the native code's thresholds: 64 (plain call), 2048 (block) and 16384
# (split across threads).
SHAPES = [(3, 4), (4,), (70,), (50, 50), (2, 3, 5), (17000,)]


def make_arrays(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def gradients(arrays, step):
    rng = np.random.default_rng(100 + step)
    return [rng.standard_normal(a.shape).astype(a.dtype) for a in arrays]


def concatenated(leaves):
    return np.concatenate([leaf.reshape(-1) for leaf in leaves])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("structure", ["list", "tuple", "dict"])
@pytest.mark.parametrize("name", list(CLASSES))
def test_several_arrays_step_as_their_concatenation_bit_for_bit(name, structure, dtype):
    arrays = make_arrays(dtype)
    x = concatenated(arrays)
    keys = [f"a{i}" for i in range(len(arrays))]
    given = {"list": list, "tuple": tuple}.get(
        structure, lambda a: dict(zip(keys, a, strict=True))
    )(arrays)
    options = {**OPTIONS[name], "threads": 2}
    several = CLASSES[name](given, **options)
    single = CLASSES[name](x, **options)
    for step in range(6):
        grads = gradients(arrays, step)
        shaped = {"list": list, "tuple": tuple}.get(
            structure, lambda g: dict(zip(keys, g, strict=True))
        )(grads)
        assert several.step(shaped) is given
        single.step(concatenated(grads))
    np.testing.assert_array_equal(concatenated(arrays), x)
    state = several.state_dict()
    for row, values in single.state_dict().items():
        if row in ("method", "step", "options"):
            continue
        leaves = list(state[row].values()) if structure == "dict" else state[row]
        assert type(state[row]) is type(given)
        assert [leaf.shape for leaf in leaves] == [a.shape for a in arrays]
        np.testing.assert_array_equal(concatenated(leaves), values)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_array_of_any_shape_steps_as_its_flat_view(dtype):
    matrix = np.random.default_rng(1).standard_normal((20, 30)).astype(dtype)
    flat = matrix.reshape(-1).copy()
    shaped, plain = rmsopt.RMSprop(matrix, momentum=0.5), rmsopt.RMSprop(flat, momentum=0.5)
    for step in range(5):
        grad = np.random.default_rng(step).standard_normal((20, 30)).astype(dtype)
        shaped.step(grad)
        plain.step(grad.reshape(-1))
    np.testing.assert_array_equal(matrix.reshape(-1), flat)
    assert shaped.state["square_avg"].shape == (20, 30)
    with pytest.raises(ValueError, match=re.escape("of shape (20, 30), like x")):
        shaped.step(np.ones(600, dtype))


def test_parameter_groups_step_with_their_own_options():
    rng = np.random.default_rng(2)
    w1, w2, b = rng.standard_normal((4, 3)), rng.standard_normal(7), rng.standard_normal(3)
    groups = [{"params": [w1, w2], "weight_decay": 1e-2, "learning_rate": 0.05}, {"params": b}]
    opt = rmsopt.Adam(groups, learning_rate=0.01, beta1=0.8)
    # The twins: each group as one optimizer on its concatenation, with its options.
    first = rmsopt.Adam(concatenated([w1, w2]), learning_rate=0.05, beta1=0.8, weight_decay=1e-2)
    second = rmsopt.Adam(b.copy(), learning_rate=0.01, beta1=0.8)
    for step in range(5):
        g1, g2, gb = gradients([w1, w2, b], step)
        opt.step([[g1, g2], gb])
        first.step(concatenated([g1, g2]))
        second.step(gb)
    np.testing.assert_array_equal(concatenated([w1, w2]), first.x)
    np.testing.assert_array_equal(b, second.x)
    assert [group["weight_decay"] for group in opt.param_groups] == [1e-2, 0.0]
    assert opt.param_groups[0]["params"][0] is w1 and opt.param_groups[1]["params"] is b
    state = opt.state_dict()
    assert state["param_groups"][0]["learning_rate"] == 0.05
    np.testing.assert_array_equal(state["exp_avg"][1], second.state_dict()["exp_avg"])


def test_set_option_changes_one_group_or_every_group():
    a, b = np.ones(3), np.ones(2)
    opt = rmsopt.SGD([{"params": a}, {"params": b, "learning_rate": 0.5}], learning_rate=0.1)
    opt.set_option("learning_rate", 0.2, group=0)
    opt.step([np.ones(3), np.ones(2)])
    np.testing.assert_allclose(a, 0.8)
    np.testing.assert_allclose(b, 0.5)
    opt.learning_rate = 0.01  # every group
    opt.step([np.ones(3), np.ones(2)])
    np.testing.assert_allclose(a, 0.79)
    np.testing.assert_allclose(b, 0.49)
    with pytest.raises(ValueError, match=re.escape("an index in range(2) or None")):
        opt.set_option("learning_rate", 0.1, group=2)
    with pytest.raises(TypeError):
        opt.param_groups[0]["learning_rate"] = 1.0  # read-only: set_option does it


@pytest.mark.parametrize("where", [0, 1])
def test_a_non_finite_gradient_anywhere_changes_nothing_in_any_array_or_group(where):
    a, b = np.ones(5), np.ones((2, 2))
    opt = rmsopt.RMSprop([{"params": [a]}, {"params": {"b": b}, "momentum": 0.9}])
    opt.step([[np.ones(5)], {"b": np.ones((2, 2))}])
    before = copy.deepcopy(opt.state_dict()), a.copy(), b.copy()
    grads = [[np.ones(5)], {"b": np.ones((2, 2))}]
    (grads[0][0] if where == 0 else grads[1]["b"])[1] = np.nan
    with pytest.raises(FloatingPointError, match="unchanged"):
        opt.step(grads)
    np.testing.assert_array_equal(a, before[1])
    np.testing.assert_array_equal(b, before[2])
    after = opt.state_dict()
    assert after["step"] == 1
    np.testing.assert_array_equal(after["square_avg"][1]["b"], before[0]["square_avg"][1]["b"])
    np.testing.assert_array_equal(after["square_avg"][0][0], before[0]["square_avg"][0][0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CLASSES))
def test_state_dict_keeps_the_structure_and_resumes_exactly(name, dtype):
    def fresh():
        arrays = make_arrays(dtype, seed=3)[:4]
        return {"W": arrays[0], "b": arrays[1]}, [{"params": arrays[2:], "threads": 1}]

    whole_params, _ = fresh()
    whole = CLASSES[name](whole_params, **OPTIONS[name])
    first_params, _ = fresh()
    first = CLASSES[name](first_params, **OPTIONS[name])
    for step in range(3):
        grads = gradients(list(whole_params.values()), step)
        whole.step(dict(zip(whole_params, grads, strict=True)))
        first.step(dict(zip(first_params, grads, strict=True)))
    saved = pickle.loads(pickle.dumps(first.state_dict()))
    resumed_params = {key: value.copy() for key, value in first_params.items()}
    resumed = CLASSES[name](resumed_params, **OPTIONS[name])
    resumed.load_state_dict(saved)
    for step in range(3, 6):
        grads = gradients(list(whole_params.values()), step)
        whole.step(dict(zip(whole_params, grads, strict=True)))
        resumed.step(dict(zip(resumed_params, grads, strict=True)))
    for key in whole_params:
        np.testing.assert_array_equal(resumed_params[key], whole_params[key])


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))])
def test_copies_of_several_arrays_and_groups_continue_bit_for_bit_on_their_own_arrays(clone):
    rng = np.random.default_rng(4)
    w, b = rng.standard_normal((3, 3)), rng.standard_normal(3)
    schedule = reduce_on_plateau(0.1, patience=0, factor=0.5)
    opt = rmsopt.RMSprop([{"params": [w]}, {"params": [b], "rho": 0.5}], learning_rate=schedule)
    for step in range(3):
        opt.step([[np.full((3, 3), 1.0)], [np.full(3, step + 1.0)]], loss=3.0 - step % 2)
    twin = clone(opt)
    w_copy, b_copy = twin.x[0]["params"][0], twin.x[1]["params"][0]
    assert w_copy is not w and b_copy is not b
    for step in range(3):
        grads = [[np.full((3, 3), 0.5)], [np.full(3, -1.0)]]
        opt.step(grads, loss=float(step))
        twin.step(grads, loss=float(step))
    np.testing.assert_array_equal(w_copy, w)
    np.testing.assert_array_equal(b_copy, b)
    assert twin.state_dict()["param_groups"][1]["rho"] == 0.5


def test_each_group_observes_its_own_copy_of_a_plateau_schedule():
    schedule = reduce_on_plateau(1.0, patience=0, factor=0.5)
    a, b = np.ones(2), np.ones(2)
    opt = rmsopt.SGD([{"params": a}, {"params": b}], learning_rate=schedule)
    for loss in (1.0, 2.0, 3.0):
        opt.step([np.ones(2), np.ones(2)], loss=loss)
    rates = [group["learning_rate"].learning_rate for group in opt.param_groups]
    assert rates == [0.25, 0.25]  # two bad losses, one cut each: observed once per step
    assert schedule.learning_rate == 1.0  # the user's object is left as given


GRADIENT_ERRORS = [
    ("short list", [np.ones(3)], TypeError, "a list or tuple of 2 arrays"),
    ("wrong shape", [np.ones(3), np.ones(3)], ValueError, "of shape (2, 2), like x"),
    ("wrong dtype", [np.ones(3), np.ones((2, 2), np.float32)], TypeError, "of dtype float64"),
    ("not a list", np.ones(3), TypeError, "a list or tuple of 2 arrays"),
]


@pytest.mark.parametrize(
    "label, grad, error, accepted", GRADIENT_ERRORS, ids=[g[0] for g in GRADIENT_ERRORS]
)
def test_gradients_not_shaped_like_x_are_refused_and_change_nothing(label, grad, error, accepted):
    a, b = np.ones(3), np.ones((2, 2))
    opt = rmsopt.Adam([a, b])
    with pytest.raises(error, match=re.escape(accepted)):
        opt.step(grad)
    assert opt.step_count == 0 and np.all(a == 1.0) and np.all(b == 1.0)


def test_dict_gradients_need_the_same_keys():
    opt = rmsopt.Adam({"W": np.ones(3), "b": np.ones(1)})
    with pytest.raises(TypeError, match=re.escape("a dict with the keys ['W', 'b']")):
        opt.step({"W": np.ones(3)})
    opt.step({"b": np.ones(1), "W": np.ones(3)})  # any order
    assert opt.step_count == 1


X_ERRORS = [
    ("overlap", lambda a: [a[:4], a[2:]], ValueError, "arrays that do not overlap in memory"),
    ("twice", lambda a: [a, a], ValueError, "arrays that do not overlap in memory"),
    (
        "mixed dtypes",
        lambda a: [a, np.ones(2, np.float32)],
        TypeError,
        "arrays of one dtype (the run's precision; put others in a group of their own)",
    ),
    ("empty list", lambda a: [], ValueError, "at least one array"),
    ("group without params", lambda a: [{"weights": a}], ValueError, "a dict with 'params'"),
    (
        "list of floats",
        lambda a: [1.0, 2.0],
        TypeError,
        "element 0, must be a writable, C-contiguous float32 or float64 numpy array of finite "
        "values. Got an object of type float instead.",
    ),
]


@pytest.mark.parametrize("label, make, error, text", X_ERRORS, ids=[e[0] for e in X_ERRORS])
def test_bad_structures_are_refused_naming_what_is_wrong(label, make, error, text):
    with pytest.raises(error, match=re.escape(text)) as caught:
        rmsopt.RMSprop(make(np.ones(6)))
    assert "The 'x' argument of RMSprop" in str(caught.value)


def test_mixed_dtypes_are_fine_in_separate_groups_and_unknown_group_options_are_refused():
    a, b = np.ones(3), np.ones(2, np.float32)
    opt = rmsopt.SGD([{"params": a}, {"params": b}], learning_rate=0.5)
    opt.step([np.ones(3), np.ones(2, np.float32)])
    assert a.dtype == np.float64 and b.dtype == np.float32 and np.all(b == 0.5)
    with pytest.raises(TypeError, match="parameter group 1, got an unexpected keyword argument"):
        rmsopt.SGD([{"params": a}, {"params": b, "learnig_rate": 0.1}])


def test_effective_step_size_comes_in_the_structure_of_x_with_each_groups_options():
    rng = np.random.default_rng(5)
    w, b, c = rng.standard_normal((2, 3)), rng.standard_normal(2), rng.standard_normal(4)
    opt = rmsopt.RMSprop([{"params": {"W": w, "b": b}}, {"params": [c], "learning_rate": 0.1}])
    first = rmsopt.RMSprop(concatenated([w, b]))
    second = rmsopt.RMSprop(c.copy(), learning_rate=0.1)
    for step in range(3):
        gw, gb, gc = gradients([w, b, c], step)
        opt.step([{"W": gw, "b": gb}, [gc]])
        first.step(concatenated([gw, gb]))
        second.step(gc)
    sizes = rmsopt.effective_step_size(opt.state_dict())
    assert sizes[0]["W"].shape == (2, 3)
    expected = rmsopt.effective_step_size(first.state_dict())
    np.testing.assert_array_equal(concatenated([sizes[0]["W"], sizes[0]["b"]]), expected)
    np.testing.assert_array_equal(sizes[1][0], rmsopt.effective_step_size(second.state_dict()))


def test_set_option_is_checked_in_every_group_before_anything_changes():
    a, b = np.ones(3), np.ones(2)
    opt = rmsopt.RMSprop([{"params": a}, {"params": b, "clipnorm": 1.0}], clipvalue=None)
    with pytest.raises(ValueError, match="clipvalue"):
        opt.clipvalue = 0.5  # valid alone, refused beside group 1's clipnorm
    assert opt.clipvalue is None
    assert [group["clipvalue"] for group in opt.param_groups] == [None, None]
    single = rmsopt.RMSprop(np.ones(3))
    single.set_option("learning_rate", 0.5, group=0)
    assert single.learning_rate == 0.5 and single.options["learning_rate"] == 0.5
