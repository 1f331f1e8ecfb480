"""Nothing lost: when fun, jac, a schedule or the callback raises (or Ctrl-C arrives), minimize
re-raises it with what the run completed attached as ``err.result``: the last iterate, its
state, the history so far."""

import numpy as np
import pytest

import rmsopt

PROBLEM = rmsopt.problems.rosenbrock()
OPTIONS = {"learning_rate": 1e-3, "gtol": 0.0, "history": ["fun", "grad_norm"]}


def uninterrupted(maxiter):
    return rmsopt.minimize(
        PROBLEM.fun, PROBLEM.x0, jac=PROBLEM.jac, options={**OPTIONS, "maxiter": maxiter}
    )


class Boom(Exception):
    pass


def test_a_callback_that_raises_leaves_the_run_so_far_on_the_exception():
    def callback(intermediate_result):
        if intermediate_result.nit == 7:
            raise Boom("the user's callback")

    with pytest.raises(Boom, match="the user's callback") as caught:
        rmsopt.minimize(
            PROBLEM.fun, PROBLEM.x0, jac=PROBLEM.jac, callback=callback,
            options={**OPTIONS, "maxiter": 50},
        )  # fmt: skip
    partial, reference = caught.value.result, uninterrupted(7)
    assert partial.nit == 7 and partial.status == rmsopt.Status.ERROR and not partial.success
    assert "raised Boom after 7 iterations" in partial.message
    np.testing.assert_array_equal(partial.x, reference.x)
    np.testing.assert_array_equal(partial.jac, reference.jac)
    assert partial.fun == reference.fun
    np.testing.assert_array_equal(partial.state["square_avg"], reference.state["square_avg"])
    np.testing.assert_array_equal(partial.history["fun"], reference.history["fun"])
    if hasattr(caught.value, "add_note"):
        assert any(".result" in note for note in caught.value.__notes__)


def test_a_fun_that_raises_mid_run_leaves_a_result_to_resume_from():
    calls = []

    def flaky(x):
        calls.append(1)
        if len(calls) == 12:
            raise Boom("a failed simulation")
        return PROBLEM.fun(x)

    with pytest.raises(Boom) as caught:
        rmsopt.minimize(flaky, PROBLEM.x0, jac=PROBLEM.jac, options={**OPTIONS, "maxiter": 30})
    partial = caught.value.result
    assert partial.nit == 10  # fun at x0 and the first 10 iterates; the 11th raised
    resumed = rmsopt.minimize(
        PROBLEM.fun, partial.x, jac=PROBLEM.jac,
        options={**OPTIONS, "maxiter": 20, "state": partial.state},
    )  # fmt: skip
    np.testing.assert_array_equal(resumed.x, uninterrupted(30).x)


def test_keyboard_interrupt_carries_the_result_too():
    def callback(x):
        if len(seen) == 3:
            raise KeyboardInterrupt
        seen.append(x)

    seen = []
    with pytest.raises(KeyboardInterrupt) as caught:
        rmsopt.minimize(PROBLEM.fun, PROBLEM.x0, jac=PROBLEM.jac, callback=callback,
                        options={**OPTIONS, "maxiter": 10})  # fmt: skip
    assert caught.value.result.nit == 4
    np.testing.assert_array_equal(caught.value.result.x, uninterrupted(4).x)


def test_a_failure_at_the_start_point_reports_x0_without_calling_fun_again():
    calls = []

    def broken(x):
        calls.append(1)
        raise Boom("no value at all")

    with pytest.raises(Boom) as caught:
        rmsopt.minimize(broken, PROBLEM.x0, jac=PROBLEM.jac)
    partial = caught.value.result
    assert len(calls) == 1 and partial.nit == 0
    np.testing.assert_array_equal(partial.x, PROBLEM.x0)
    assert np.isnan(partial.fun)


def test_an_exception_without_an_instance_dict_is_raised_as_it_is():
    class Slotted(Exception):
        __slots__ = ()

    def jac(x):
        raise Slotted

    # Exceptions always have a __dict__ in CPython, even with __slots__: the result attaches.
    with pytest.raises(Slotted) as caught:
        rmsopt.minimize(PROBLEM.fun, PROBLEM.x0, jac=jac)
    assert caught.value.result.nit == 0


def test_a_minibatch_run_that_raises_reports_its_last_iterate():
    p = rmsopt.problems.linear_regression()
    calls = []

    def jac(x, X, y):
        calls.append(1)
        if len(calls) == 25:
            raise Boom
        return p.jac(x, X, y)

    options = {"batch_size": 20, "epochs": 5, "seed": 0, "learning_rate": 1e-2}
    with pytest.raises(Boom) as caught:
        rmsopt.minimize(p.fun, p.x0, args=p.args, jac=jac, options=options)
    partial = caught.value.result
    assert partial.nit == 24 and partial.epochs == 2
    whole = rmsopt.minimize(p.fun, p.x0, args=p.args, jac=p.jac, options={**options, "maxiter": 24})
    np.testing.assert_array_equal(partial.x, whole.x)
