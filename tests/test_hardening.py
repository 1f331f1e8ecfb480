"""Probes of a careless or hostile user: threads sharing an optimizer, arrays that change
under it, masked arrays, a fun in jac=True's form without jac=True."""

import re
import threading

import numpy as np
import pytest

import rmsopt


@pytest.mark.parametrize("cls", [rmsopt.RMSprop, rmsopt.Adam])
def test_one_optimizer_stepped_from_eight_threads_ends_as_a_serial_run(cls):
    # Every thread steps the same gradient, so every serial order of the steps ends at the same
    # x and state; interleaved steps (the kernels release the GIL) would not.
    n, steps, threads = 50_000, 40, 8
    grad = np.linspace(-1.0, 1.0, n)
    shared = cls(np.zeros(n), learning_rate=1e-3)
    barrier = threading.Barrier(threads)

    def work():
        barrier.wait()
        for _ in range(steps):
            shared.step(grad)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    serial = cls(np.zeros(n), learning_rate=1e-3)
    for _ in range(steps * threads):
        serial.step(grad)
    assert shared.step_count == serial.step_count == steps * threads
    np.testing.assert_array_equal(shared.x, serial.x)
    for row, values in serial.state.items():
        np.testing.assert_array_equal(shared.state[row], values)


def test_an_array_made_read_only_after_construction_is_refused_at_the_step():
    x = np.zeros(3)
    opt = rmsopt.SGD(x, learning_rate=0.1)
    x.flags.writeable = False
    with pytest.raises(ValueError, match=re.escape("SGD.step: x has been made read-only")):
        opt.step(np.ones(3))
    assert opt.step_count == 0 and np.all(x == 0)
    w, b = np.zeros(2), np.zeros(2)
    several = rmsopt.SGD([w, b], learning_rate=0.1)
    b.flags.writeable = False
    with pytest.raises(ValueError, match=re.escape("array 1 of x (in order)")):
        several.step([np.ones(2), np.ones(2)])
    assert np.all(w == 0)  # nothing stepped


def test_masked_arrays_are_refused_everywhere_their_mask_would_be_ignored():
    masked = np.ma.masked_array([1.0, np.nan], mask=[False, True])
    with pytest.raises(TypeError, match="not a masked array"):
        rmsopt.minimize(lambda x: float(x @ x), masked)
    with pytest.raises(TypeError, match="not a masked array"):
        rmsopt.Adam(np.ma.masked_array(np.zeros(2), mask=[False, True]))
    opt = rmsopt.Adam(np.zeros(2))
    with pytest.raises(TypeError, match="not a masked array"):
        opt.step(masked)
    assert opt.step_count == 0 and np.all(np.isfinite(opt.state["exp_avg_sq"]))


def test_a_fun_returning_value_and_gradient_without_jac_true_is_told_so():
    def fun(x):
        return float(x @ x), 2 * x

    message = "a fun that returns (value, gradient) needs jac=True. Got a tuple of 2 elements"
    with pytest.raises(TypeError, match=re.escape(message)):
        rmsopt.minimize(fun, np.ones(3))
    with pytest.raises(TypeError, match=re.escape(message)):
        rmsopt.minimize(fun, np.ones(3), jac=lambda x: 2 * x)
    assert rmsopt.minimize(fun, np.ones(3), jac=True).success


@pytest.mark.parametrize("bounds", [[(0.0, 10**400)], None], ids=["pairs", "Bounds"])
def test_bounds_beyond_float64_name_the_bounds(bounds):
    from scipy.optimize import Bounds

    bounds = bounds if bounds is not None else Bounds(-(10**400), 1.0)
    with pytest.raises(ValueError, match=re.escape("bounds a float64 can hold")) as caught:
        rmsopt.minimize(lambda x: float(x @ x), np.ones(1), jac=lambda x: 2 * x, bounds=bounds)
    assert str(caught.value).startswith("The 'bounds' argument")


def test_finite_bounds_beyond_float32_are_refused_for_a_float32_run():
    with pytest.raises(ValueError, match=re.escape("finite bounds a float32 can hold")):
        rmsopt.minimize(lambda x: float(x @ x), np.ones(1, np.float32), jac=lambda x: 2 * x,
                        bounds=[(1e300, None)])  # fmt: skip
    res = rmsopt.minimize(lambda x: float(x @ x), np.ones(1, np.float32), jac=lambda x: 2 * x,
                          bounds=[(-1e30, None)])  # fmt: skip
    assert res.success


def damaged(change):
    state = rmsopt.RMSprop(np.ones(3)).state_dict()
    change(state)
    return state


DAMAGED = [
    ("missing row", lambda s: s.pop("square_avg"), ValueError, "Got no 'square_avg' instead"),
    ("missing step", lambda s: s.pop("step"), ValueError, "Got no 'step' instead"),
    ("extra key", lambda s: s.update(extra=1), ValueError, "Got the unknown 'extra' instead"),
    ("short row", lambda s: s.update(square_avg=np.ones(2)), ValueError, "its 'square_avg'"),
    ("text row", lambda s: s.update(square_avg="abc"), ValueError, "its 'square_avg'"),
    ("complex", lambda s: s.update(square_avg=np.ones(3, complex)), ValueError, "complex128"),
    ("object", lambda s: s.update(square_avg=np.ones(3, object)), ValueError, "object"),
    ("huge step", lambda s: s.update(step=2**63), ValueError, "[0, 2**62]"),
    ("text step", lambda s: s.update(step="3"), ValueError, "its 'step'"),
]


@pytest.mark.parametrize("label, change, error, text", DAMAGED, ids=[d[0] for d in DAMAGED])
def test_a_damaged_state_names_the_field_for_the_class_and_minimize(label, change, error, text):
    with pytest.raises(error, match=re.escape(text)):
        rmsopt.RMSprop(np.ones(3)).load_state_dict(damaged(change))
    with pytest.raises(error, match=re.escape(text)):
        rmsopt.minimize(lambda x: float(x @ x), np.ones(3), jac=lambda x: 2 * x,
                        options={"state": damaged(change)})  # fmt: skip


def test_a_strided_state_row_is_read_as_its_values_and_the_dict_is_left_alone():
    x, g = np.linspace(-1, 1, 6), np.linspace(2, 3, 6)
    opt = rmsopt.RMSprop(x.copy(), momentum=0.5)
    opt.step(g)
    saved = opt.state_dict()
    strided = dict(saved)
    strided["square_avg"] = np.repeat(saved["square_avg"], 3)[::3]
    assert not strided["square_avg"].flags.c_contiguous
    given_row = strided["square_avg"]
    plain, viewed = rmsopt.RMSprop(x.copy(), momentum=0.5), rmsopt.RMSprop(x.copy(), momentum=0.5)
    plain.load_state_dict(saved)
    viewed.load_state_dict(strided)
    plain.step(g)
    viewed.step(g)
    np.testing.assert_array_equal(viewed.x, plain.x)
    assert strided["square_avg"] is given_row
    np.testing.assert_array_equal(given_row, saved["square_avg"])
