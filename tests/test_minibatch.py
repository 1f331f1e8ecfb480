"""Minibatch mode of minimize: batches, epochs, seeds, validation and early
stopping, checked against a plain NumPy replay of the same batches."""

import math
import pathlib
import re
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
from scipy.optimize import OptimizeWarning

import rmsopt
from rmsopt import problems

from reference import REFERENCES

N_SAMPLES = 23
TRUE_W = np.array([1.5, -2.0, 0.5])


def make_data(n_samples=N_SAMPLES, seed=0):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n_samples, 3))
    targets = features @ TRUE_W + 0.1 * rng.normal(size=n_samples)
    return features, targets


def loss(w, features, targets):
    return 0.5 * float(np.mean((features @ w - targets) ** 2))


def loss_grad(w, features, targets):
    return features.T @ (features @ w - targets) / targets.shape[0]


def options(**extra):
    return {"batch_size": 5, "epochs": 4, "seed": 7, "learning_rate": 1e-2, **extra}


class RecordingLoss:
    """A least-squares loss whose data are sample indices: records every batch it sees."""

    def __init__(self, features, targets):
        self.features, self.targets = features, targets
        self.batches = []

    def jac(self, w, indices):
        self.batches.append(np.array(indices))
        return loss_grad(w, self.features[indices], self.targets[indices])

    def fun(self, w, indices):
        return loss(w, self.features[indices], self.targets[indices])


def expected_batches(n_samples, batch_size, epochs, seed, shuffle=True):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(epochs):
        order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
        batches += [order[i : i + batch_size] for i in range(0, n_samples, batch_size)]
    return batches


@pytest.mark.parametrize("shuffle", [True, False])
def test_batches_follow_a_seeded_permutation_per_epoch(shuffle):
    recorder = RecordingLoss(*make_data())
    res = rmsopt.minimize(
        recorder.fun,
        np.zeros(3),
        args=(np.arange(N_SAMPLES),),
        jac=recorder.jac,
        options=options(shuffle=shuffle),
    )
    expected = expected_batches(N_SAMPLES, 5, 4, seed=7, shuffle=shuffle)
    # The last call is the gradient of the whole data at the result.
    assert len(recorder.batches) == len(expected) + 1
    for seen, wanted in zip(recorder.batches, expected, strict=False):
        np.testing.assert_array_equal(seen, wanted)
    np.testing.assert_array_equal(recorder.batches[-1], np.arange(N_SAMPLES))
    assert [len(b) for b in expected[:5]] == [5, 5, 5, 5, 3]
    assert res.nit == 4 * math.ceil(N_SAMPLES / 5) == 20
    assert res.epochs == 4
    assert res.status == rmsopt.Status.EPOCHS and res.success


@pytest.mark.parametrize("method", ["rmsprop", "adagrad", "adam", "sgd"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_iterates_equal_the_numpy_twin_on_the_same_batches(method, dtype):
    features, targets = make_data()
    x0 = np.full(3, 0.25, dtype=dtype)
    res = rmsopt.minimize(
        loss,
        x0,
        args=(features, targets),
        jac=loss_grad,
        method=method,
        options=options(return_all=True),
    )
    twin = REFERENCES[method](x0.copy())
    expected = [twin.x.copy()]
    for rows in expected_batches(N_SAMPLES, 5, 4, seed=7):
        grad = loss_grad(twin.x, features[rows], targets[rows]).astype(dtype)
        expected.append(twin.step(grad, 1e-2).copy())
    np.testing.assert_array_equal(np.array(res.allvecs), np.array(expected))
    assert res.x.dtype == dtype


def test_same_seed_same_bits_other_seed_other_run():
    data = make_data()
    first, again, other = (
        rmsopt.minimize(loss, np.zeros(3), args=data, jac=loss_grad, options=options(seed=s))
        for s in (3, 3, 4)
    )
    np.testing.assert_array_equal(first.x, again.x)
    assert first.fun == again.fun
    assert not np.array_equal(first.x, other.x)


def test_a_generator_seed_is_used_as_given():
    data = make_data()
    from_int = rmsopt.minimize(loss, np.zeros(3), args=data, jac=loss_grad, options=options())
    generator = np.random.default_rng(7)
    from_generator = rmsopt.minimize(
        loss, np.zeros(3), args=data, jac=loss_grad, options=options(seed=generator)
    )
    np.testing.assert_array_equal(from_int.x, from_generator.x)


def test_fun_and_jac_are_those_of_the_whole_data_at_x():
    data = make_data()
    res = rmsopt.minimize(loss, np.zeros(3), args=data, jac=loss_grad, options=options())
    assert res.fun == loss(res.x, *data)
    np.testing.assert_array_equal(res.jac, loss_grad(res.x, *data))


@pytest.mark.parametrize(
    ("jac_form", "callback_form", "nfev", "njev"),
    [
        ("separate", None, 1, 21),  # only the final value calls fun
        ("separate", "intermediate_result", 21, 21),  # the callback wants every value
        ("together", None, 21, 21),
        ("together", "xk", 21, 21),
    ],
)
def test_counts_are_minibatch_calls(jac_form, callback_form, nfev, njev):
    data = make_data()
    seen = []
    if callback_form == "intermediate_result":

        def callback(intermediate_result):
            seen.append(intermediate_result.fun)

    elif callback_form == "xk":

        def callback(xk):
            seen.append(xk)

    else:
        callback = None
    if jac_form == "separate":
        res = rmsopt.minimize(
            loss, np.zeros(3), args=data, jac=loss_grad, callback=callback, options=options()
        )
    else:
        res = rmsopt.minimize(
            lambda w, f, t: (loss(w, f, t), loss_grad(w, f, t)),
            np.zeros(3),
            args=data,
            jac=True,
            callback=callback,
            options=options(),
        )
    assert (res.nfev, res.njev) == (nfev, njev)
    if callback is not None:
        assert len(seen) == res.nit == 20


def test_callback_sees_the_minibatch_value_that_made_the_step():
    features, targets = make_data()
    values = []
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=(features, targets),
        jac=loss_grad,
        callback=lambda intermediate_result: values.append(intermediate_result.fun),
        options=options(shuffle=False, epochs=1),
    )
    assert res.nit == 5
    # The first step's batch is samples 0..4 at x0 = 0.
    assert values[0] == loss(np.zeros(3), features[:5], targets[:5])


def test_maxiter_given_limits_a_minibatch_run():
    data = make_data()
    res = rmsopt.minimize(loss, np.zeros(3), args=data, jac=loss_grad, options=options(maxiter=7))
    assert res.nit == 7
    assert res.epochs == 1
    assert res.status == rmsopt.Status.MAXITER and not res.success


def test_the_default_maxiter_does_not_cut_epochs():
    data = make_data(n_samples=1200)
    res = rmsopt.minimize(
        loss, np.zeros(3), args=data, jac=loss_grad, options=options(batch_size=1, epochs=1)
    )
    assert res.nit == 1200  # more than the default maxiter of 1000


def test_minibatch_sgd_fits_a_regression():
    features, targets = make_data(n_samples=400)
    solution = np.linalg.lstsq(features, targets, rcond=None)[0]
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=(features, targets),
        jac=loss_grad,
        method="adam",
        options={"batch_size": 32, "epochs": 100, "seed": 0, "learning_rate": 1e-2},
    )
    assert np.linalg.norm(res.x - solution) < 0.05


def test_bounds_project_every_minibatch_step():
    data = make_data()
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=data,
        jac=loss_grad,
        bounds=[(None, 1.0), (-1.0, None), (0.0, 0.2)],
        options=options(return_all=True, learning_rate=0.1),
    )
    iterates = np.array(res.allvecs)
    assert iterates[:, 0].max() <= 1.0 and iterates[:, 1].min() >= -1.0
    assert np.all((iterates[:, 2] >= 0.0) & (iterates[:, 2] <= 0.2))
    assert iterates[-1, 0] == 1.0  # the unconstrained fit is 1.5


def test_sparse_design_matrices_are_sliced_by_rows():
    features, targets = make_data()
    dense = rmsopt.minimize(
        loss, np.zeros(3), args=(features, targets), jac=loss_grad, options=options()
    )

    def sparse_grad(w, matrix, t):
        return matrix.T @ (matrix @ w - t) / t.shape[0]

    def sparse_loss(w, matrix, t):
        return 0.5 * float(np.mean((matrix @ w - t) ** 2))

    sparse = rmsopt.minimize(
        sparse_loss,
        np.zeros(3),
        args=(scipy.sparse.csr_matrix(features), targets),
        jac=sparse_grad,
        options=options(),
    )
    np.testing.assert_allclose(sparse.x, dense.x, rtol=1e-12)


def test_through_scipy_minimize():
    data = make_data()
    ours = rmsopt.minimize(loss, np.zeros(3), args=data, jac=loss_grad, options=options())
    theirs = scipy.optimize.minimize(
        loss, np.zeros(3), args=data, jac=loss_grad, method=rmsopt.rmsprop, options=options()
    )
    np.testing.assert_array_equal(ours.x, theirs.x)
    assert theirs.epochs == 4


# --- user batches -----------------------------------------------------------------------------


def test_a_list_of_batches_is_one_epoch():
    features, targets = make_data()
    batches = [(features[i : i + 4], targets[i : i + 4]) for i in range(0, N_SAMPLES, 4)]
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        jac=loss_grad,
        options={"batches": batches, "epochs": 3, "learning_rate": 1e-2, "return_all": True},
    )
    assert res.nit == 3 * len(batches) and res.epochs == 3
    twin = REFERENCES["rmsprop"](np.zeros(3))
    for _ in range(3):
        for batch in batches:
            twin.step(loss_grad(twin.x, *batch), 1e-2)
    np.testing.assert_array_equal(res.x, twin.x)
    # No whole data set: fun and jac are those of the last batch at x.
    assert res.fun == loss(res.x, *batches[-1])


def test_single_arrays_are_batches_of_one_argument():
    points = [np.array([1.0, 2.0]), np.array([3.0, 4.0])]

    def centre_loss(x, point):
        return 0.5 * float(np.sum((x - point) ** 2))

    def centre_grad(x, point):
        return x - point

    res = rmsopt.minimize(
        centre_loss,
        np.zeros(2),
        jac=centre_grad,
        method="sgd",
        options={"batches": points, "learning_rate": 1.0},
    )
    np.testing.assert_array_equal(res.x, [3.0, 4.0])  # steps of size 1 land on each point


def test_a_generator_runs_one_epoch_and_is_refused_for_more():
    features, targets = make_data()

    def generate():
        for i in range(0, N_SAMPLES, 4):
            yield features[i : i + 4], targets[i : i + 4]

    res = rmsopt.minimize(loss, np.zeros(3), jac=loss_grad, options={"batches": generate()})
    assert res.nit == 6 and res.epochs == 1
    message = (
        "The 'batches' option of method 'rmsprop' must be re-iterable (a list, or an object "
        "whose __iter__ starts a new pass) when epochs > 1. Got a one-shot iterator "
        "(generator) with epochs=2 instead."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.minimize(
            loss, np.zeros(3), jac=loss_grad, options={"batches": generate(), "epochs": 2}
        )


def test_batches_that_run_out_end_the_run_with_a_warning():
    features, targets = make_data()

    class OnePass:
        def __init__(self):
            self.source = iter([(features, targets)] * 2)

        def __iter__(self):
            return self.source  # a new "pass" continues the same exhausted iterator

    with pytest.warns(RuntimeWarning, match="yielded no batch in epoch 2"):
        res = rmsopt.minimize(
            loss, np.zeros(3), jac=loss_grad, options={"batches": OnePass(), "epochs": 5}
        )
    assert res.nit == 2 and res.epochs == 1


# --- validation and early stopping ------------------------------------------------------------


def scripted_validation(values):
    """A validation callable returning ``values`` in turn, recording the x it saw."""
    seen = []

    def validation(x):
        seen.append(x.copy())
        return values[len(seen) - 1]

    return validation, seen


def test_the_best_validated_iterate_is_returned_with_its_state():
    data = make_data()
    validation, seen = scripted_validation([5.0, 3.0, 4.0, 3.5, 6.0, 7.0])
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=data,
        jac=loss_grad,
        options=options(epochs=6, validation=validation),
    )
    assert res.status == rmsopt.Status.EPOCHS and res.epochs == 6 and res.nit == 30
    assert res.best_epoch == 2 and res.val_fun == 3.0
    assert res.val_history == [5.0, 3.0, 4.0, 3.5, 6.0, 7.0]
    np.testing.assert_array_equal(res.x, seen[1])
    assert res.state["step"] == 10
    assert res.fun == loss(res.x, *data)
    # The returned state resumes from the best iterate: replaying two epochs gives it.
    replay = rmsopt.minimize(loss, np.zeros(3), args=data, jac=loss_grad, options=options(epochs=2))
    np.testing.assert_array_equal(replay.x, res.x)
    for key in ("square_avg", "grad_avg", "momentum_buffer"):
        np.testing.assert_array_equal(replay.state[key], res.state[key])


def test_patience_counts_epochs_without_improvement():
    data = make_data()
    validation, _ = scripted_validation([5.0, 3.0, 4.0, 3.5, 6.0, 7.0, 1.0])
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=data,
        jac=loss_grad,
        options=options(epochs=7, validation=validation, patience=3),
    )
    assert res.status == rmsopt.Status.EARLY_STOP and res.success
    assert res.epochs == 5 and res.nit == 25 and res.best_epoch == 2


def test_min_delta_sets_what_counts_as_an_improvement():
    data = make_data()
    validation, seen = scripted_validation([5.0, 4.8, 4.0, 3.9, 3.8, 3.6])
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=data,
        jac=loss_grad,
        options=options(epochs=6, validation=validation, patience=2, min_delta=0.25),
    )
    # 4.8 is not below 5.0 - 0.25; 4.0 is; 3.9 and 3.8 are not below 3.75: patience 2 ends it.
    assert res.best_epoch == 3 and res.val_fun == 4.0
    assert res.epochs == 5 and res.status == rmsopt.Status.EARLY_STOP
    np.testing.assert_array_equal(res.x, seen[2])


def test_held_out_data_validates_through_fun():
    train = make_data(seed=0)
    held_out = make_data(n_samples=11, seed=1)
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=train,
        jac=loss_grad,
        options=options(epochs=5, validation=held_out),
    )
    assert res.val_fun == min(res.val_history)
    assert res.val_fun == loss(res.x, *held_out)
    # Every validation is a call of fun: 5 of them plus the final value.
    assert res.nfev == 5 + 1


def test_a_nonfinite_validation_stops_and_keeps_the_best():
    data = make_data()
    validation, seen = scripted_validation([2.0, 1.0, np.nan, 0.5])
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=data,
        jac=loss_grad,
        options=options(epochs=4, validation=validation),
    )
    assert res.status == rmsopt.Status.NONFINITE and res.epochs == 3
    assert "The validation objective was not finite at the end of an epoch" in res.message
    assert res.best_epoch == 2
    np.testing.assert_array_equal(res.x, seen[1])


def test_a_nonfinite_minibatch_gradient_stops_at_the_last_good_iterate():
    features, targets = make_data()
    targets = targets.copy()
    targets[17] = np.inf
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=(features, targets),
        jac=loss_grad,
        options=options(shuffle=False, return_all=True),
    )
    # Samples 15..19 form the fourth batch: three steps were taken.
    assert res.status == rmsopt.Status.NONFINITE and res.nit == 3
    assert "The gradient was not finite at the iterate after 3 steps" in res.message
    np.testing.assert_array_equal(res.x, res.allvecs[-1])
    assert len(res.allvecs) == 4


# --- bad input --------------------------------------------------------------------------------

SUBJECT = "The {!r} option of method 'rmsprop'"
BAD_OPTIONS = [
    (
        {"batch_size": 24},
        ValueError,
        SUBJECT.format("batch_size") + " must be an integer in the range [1, 23] (the number of "
        "samples in 'args'). Got 24 instead.",
    ),
    (
        {"batch_size": 0},
        ValueError,
        SUBJECT.format("batch_size") + " must be an integer in the range [1, 2**63 - 1] or None. "
        "Got 0 instead.",
    ),
    (
        {"batch_size": 4, "batches": [()]},
        ValueError,
        SUBJECT.format("batches") + " must be None when 'batch_size' is set (one source of "
        "minibatches). Got [()] instead.",
    ),
    (
        {"epochs": 3},
        ValueError,
        SUBJECT.format("epochs") + " must be left unset unless 'batch_size' or 'batches' is set. "
        "Got 3 instead.",
    ),
    (
        {"batch_size": 4, "patience": 2},
        ValueError,
        SUBJECT.format("patience") + " must be None unless 'validation' is set (it counts "
        "validated epochs). Got 2 instead.",
    ),
    (
        {"batch_size": 4, "min_delta": 0.1},
        ValueError,
        SUBJECT.format("min_delta") + " must be 0 unless 'validation' is set. Got 0.1 instead.",
    ),
    (
        {"batch_size": 4, "seed": -1},
        ValueError,
        SUBJECT.format("seed") + " must be None, a non-negative int, a numpy.random.SeedSequence, "
        "BitGenerator or Generator. Got -1 instead.",
    ),
    (
        {"batch_size": 4, "seed": 1.5},
        TypeError,
        SUBJECT.format("seed") + " must be None, a non-negative int, a numpy.random.SeedSequence, "
        "BitGenerator or Generator. Got 1.5 instead.",
    ),
    (
        {"batch_size": 4, "validation": [1, 2]},
        TypeError,
        SUBJECT.format("validation") + " must be a tuple of arrays passed to `fun` in place of "
        "`args` (held-out data), a callable validation(x) -> float, or None. Got [1, 2] instead.",
    ),
    (
        {"batches": "abc"},
        TypeError,
        SUBJECT.format("batches") + " must be an iterable of batches (each a tuple of args for "
        "`fun`, or one array), or None. Got 'abc' instead.",
    ),
    (
        {"batches": []},
        ValueError,
        SUBJECT.format("batches") + " must be an iterable that yields batches. Got none instead.",
    ),
]


@pytest.mark.parametrize(("bad", "error", "message"), BAD_OPTIONS)
def test_bad_minibatch_options(bad, error, message):
    with pytest.raises(error, match=re.escape(message)):
        rmsopt.minimize(loss, np.zeros(3), args=make_data(), jac=loss_grad, options=bad)


def test_mismatched_sample_counts():
    features, targets = make_data()
    message = (
        "The 'args' argument must be arrays with the same number of samples (length of axis 0) "
        "when 'batch_size' is set. Got lengths 23, 22 instead."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.minimize(
            loss,
            np.zeros(3),
            args=(features, targets[:-1]),
            jac=loss_grad,
            options={"batch_size": 4},
        )


def test_constants_among_args_are_refused():
    message = (
        "The 'args' argument must be arrays with samples along axis 0 when 'batch_size' is set "
        "(pass constants through a closure or functools.partial). Got item 2 = 0.5 instead."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.minimize(
            lambda w, f, t, c: loss(w, f, t),
            np.zeros(3),
            args=(*make_data(), 0.5),
            options={"batch_size": 4},
        )


def test_minibatches_need_data():
    message = "The 'args' argument must be the per-sample data when 'batch_size' is set. Got ()"
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.minimize(lambda w: 0.0, np.zeros(3), options={"batch_size": 4})


def test_full_objective_tests_warn_that_they_are_not_used():
    with pytest.warns(OptimizeWarning, match=r"Options gtol, xtol of method 'rmsprop' are not "):
        rmsopt.minimize(
            loss,
            np.zeros(3),
            args=make_data(),
            jac=loss_grad,
            options=options(gtol=1e-3, xtol=1e-9),
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rmsopt.minimize(loss, np.zeros(3), args=make_data(), jac=loss_grad, options=options())


def test_a_validation_callable_must_return_a_scalar():
    message = "The value returned by 'validation' must be a real scalar. Got an array of shape (2,)"
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.minimize(
            loss,
            np.zeros(3),
            args=make_data(),
            jac=loss_grad,
            options=options(validation=lambda x: np.zeros(2)),
        )


def test_the_readme_example_stops_early_at_the_best_epoch():
    p = problems.logistic_regression(n_samples=1300)
    features, labels = p.args
    train = (features[:1000], labels[:1000])
    held_out = (features[1000:], labels[1000:])
    res = rmsopt.minimize(
        p.fun,
        p.x0,
        args=train,
        jac=p.jac,
        options={
            "batch_size": 32,
            "epochs": 50,
            "seed": 0,
            "learning_rate": 1e-2,
            "validation": held_out,
            "patience": 5,
        },
    )
    assert (res.epochs, res.best_epoch, res.status) == (13, 8, rmsopt.Status.EARLY_STOP)
    assert res.val_fun == min(res.val_history) == p.fun(res.x, *held_out)


# --- edge cases found in review ---------------------------------------------------------------


def test_maximizing_validates_larger_as_better():
    data = make_data()
    validation, seen = scripted_validation([-5.0, -3.0, -4.0, -3.5])
    res = rmsopt.minimize(
        lambda w, f, t: -loss(w, f, t),
        np.zeros(3),
        args=data,
        jac=lambda w, f, t: -loss_grad(w, f, t),
        options=options(epochs=4, validation=validation, maximize=True, patience=2),
    )
    assert res.best_epoch == 2 and res.val_fun == -3.0
    assert res.status == rmsopt.Status.EARLY_STOP and res.epochs == 4
    np.testing.assert_array_equal(res.x, seen[1])


def test_without_a_validated_epoch_the_last_iterate_is_returned():
    data = make_data()
    validation, seen = scripted_validation([1.0])
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=data,
        jac=loss_grad,
        options=options(validation=validation, maxiter=3, return_all=True),
    )
    assert res.status == rmsopt.Status.MAXITER and seen == []
    assert res.best_epoch is None and res.val_fun is None and res.val_history == []
    np.testing.assert_array_equal(res.x, res.allvecs[-1])
    assert res.state["step"] == 3


def test_a_nonfinite_first_validation_returns_the_iterate_before_it():
    data = make_data()
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=data,
        jac=loss_grad,
        options=options(validation=lambda x: np.nan, return_all=True),
    )
    assert res.status == rmsopt.Status.NONFINITE and res.nit == 5
    np.testing.assert_array_equal(res.x, res.allvecs[-2])
    assert res.state["step"] == 4 and res.best_epoch is None
    replay = rmsopt.minimize(
        loss, np.zeros(3), args=data, jac=loss_grad, options=options(maxiter=4)
    )
    np.testing.assert_array_equal(replay.state["square_avg"], res.state["square_avg"])


def test_a_budget_pulls_no_batch_it_does_not_use():
    features, targets = make_data()
    pulled = []

    def generate():
        for i in range(5):
            pulled.append(i)
            yield features[4 * i : 4 * i + 4], targets[4 * i : 4 * i + 4]

    source = generate()
    res = rmsopt.minimize(
        loss, np.zeros(3), jac=loss_grad, options={"batches": source, "maxiter": 2}
    )
    assert res.nit == 2 and pulled == [0, 1]
    assert res.fun == loss(res.x, features[4:8], targets[4:8])  # the last batch used
    assert next(source)[0][0].tolist() == features[8].tolist()  # the generator resumes there


def test_an_epoch_boundary_is_an_epoch_when_the_budget_ends_there():
    data = make_data()
    validation, seen = scripted_validation([2.0, 1.0])
    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=data,
        jac=loss_grad,
        options=options(maxiter=10, validation=validation),
    )
    assert res.nit == 10 and res.epochs == 2 and len(seen) == 2
    assert res.status == rmsopt.Status.MAXITER


def test_batches_that_run_out_report_it():
    features, targets = make_data()

    class OnePass:
        def __init__(self):
            self.source = iter([(features, targets)] * 2)

        def __iter__(self):
            return self.source

    with pytest.warns(RuntimeWarning, match="yielded no batch in epoch 2"):
        res = rmsopt.minimize(
            loss, np.zeros(3), jac=loss_grad, options={"batches": OnePass(), "epochs": 5}
        )
    assert res.status == rmsopt.Status.BATCHES_EXHAUSTED and not res.success
    assert res.epochs == 1 and res.nit == 2


def test_a_generator_seed_is_advanced_by_a_run():
    data = make_data()
    generator = np.random.default_rng(7)
    first, second = (
        rmsopt.minimize(loss, np.zeros(3), args=data, jac=loss_grad, options=options(seed=s))
        for s in (generator, generator)
    )
    assert not np.array_equal(first.x, second.x)


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (
            {"batches": [[np.zeros((2, 3)), np.zeros(2)]]},
            TypeError,
            "Batch 1 of the 'batches' option must be a tuple of args for `fun`, or one array. "
            "Got list [array(",
        ),
        (
            {"batches": [(np.zeros((1, 3)), np.zeros(1))], "seed": 1},
            ValueError,
            "The 'seed' option of method 'rmsprop' must be left unset with 'batches' (you make "
            "and order the batches). Got 1 instead.",
        ),
        (
            {"batches": [(np.zeros((1, 3)), np.zeros(1))], "shuffle": False},
            ValueError,
            "The 'shuffle' option of method 'rmsprop' must be left unset with 'batches'",
        ),
        (
            {"batch_size": 2, "validation": (np.zeros((4, 3)),)},
            ValueError,
            "The 'validation' option of method 'rmsprop' must be a tuple of 2 arrays, one per "
            "element of 'args'. Got a tuple of 1 instead.",
        ),
        (
            {"batch_size": 2, "validation": ()},
            ValueError,
            "The 'validation' option of method 'rmsprop' must be the per-sample data. Got () "
            "instead.",
        ),
        (
            {"batch_size": 2, "validation": (np.zeros((4, 3)), np.zeros(3))},
            ValueError,
            "The 'validation' option of method 'rmsprop' must be arrays with the same number of "
            "samples (length of axis 0). Got lengths 4, 3 instead.",
        ),
    ],
)
def test_bad_batches_and_validation(bad, error, message):
    with pytest.raises(error, match=re.escape(message)):
        rmsopt.minimize(loss, np.zeros(3), args=make_data(), jac=loss_grad, options=bad)


def test_empty_data_is_refused():
    message = (
        "The 'args' argument must be arrays with at least one sample when 'batch_size' is set. "
        "Got none instead."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        rmsopt.minimize(
            loss,
            np.zeros(3),
            args=(np.zeros((0, 3)), np.zeros(0)),
            jac=loss_grad,
            options={"batch_size": 1},
        )


def test_tol_is_named_when_it_is_not_used():
    with pytest.warns(OptimizeWarning, match=r"Options tol of method .rmsprop. are not"):
        rmsopt.minimize(
            loss, np.zeros(3), args=make_data(), jac=loss_grad, tol=1e-3, options=options()
        )


def test_the_callback_says_which_epoch_and_batch_each_step_belongs_to():
    data = make_data()
    seen = []

    def callback(intermediate_result):
        seen.append((intermediate_result.epoch, intermediate_result.batch, intermediate_result.nit))

    res = rmsopt.minimize(
        loss, np.zeros(3), args=data, jac=loss_grad, callback=callback,
        options=options(epochs=2),
    )  # fmt: skip
    per_epoch = res.nit // 2
    assert seen == [(1 + i // per_epoch, 1 + i % per_epoch, i + 1) for i in range(res.nit)]


@pytest.mark.parametrize("form", ["intermediate_result", "xk"])
def test_the_epoch_callback_gets_each_epochs_mean_loss_and_validation(form):
    data = make_data()
    held_out = make_data(seed=1)
    batch_values = []

    def recorded_loss(w, *batch):
        value = loss(w, *batch)
        batch_values.append(value)
        return value

    calls = []
    if form == "intermediate_result":

        def epoch_callback(intermediate_result):
            calls.append(intermediate_result)

    else:

        def epoch_callback(xk):
            calls.append(xk)

    res = rmsopt.minimize(
        recorded_loss, np.zeros(3), args=data, jac=loss_grad,
        options=options(epochs=3, validation=held_out, epoch_callback=epoch_callback),
    )  # fmt: skip
    assert len(calls) == 3
    if form == "xk":
        assert all(isinstance(x, np.ndarray) for x in calls)
        return
    per_epoch = res.nit // 3
    for epoch, result in enumerate(calls, start=1):
        assert result.epoch == epoch and result.nit == epoch * per_epoch
        # The batch values of this epoch (the validation calls of fun come after them).
        start = (epoch - 1) * (per_epoch + 1)
        expected = np.mean(batch_values[start : start + per_epoch])
        assert result.train_loss == pytest.approx(expected, rel=1e-12)
        assert result.val_fun == res.val_history[epoch - 1]


def test_the_epoch_callback_can_stop_the_run():
    def epoch_callback(intermediate_result):
        if intermediate_result.epoch == 2:
            raise StopIteration

    res = rmsopt.minimize(
        loss, np.zeros(3), args=make_data(), jac=loss_grad,
        options=options(epochs=5, epoch_callback=epoch_callback),
    )  # fmt: skip
    assert res.status == 99 and res.epochs == 2


def test_a_plateau_schedule_observes_each_epochs_validation_value():
    held_out = make_data(seed=1)
    schedule = rmsopt.schedules.reduce_on_plateau(0.1, patience=1, factor=0.5)
    res = rmsopt.minimize(
        loss, np.zeros(3), args=make_data(), jac=loss_grad,
        options=options(epochs=6, validation=held_out, learning_rate=schedule),
    )  # fmt: skip
    twin = rmsopt.schedules.reduce_on_plateau(0.1, patience=1, factor=0.5)
    for value in res.val_history:
        twin.observe(value)
    assert res.state["options"]["learning_rate"].state_dict() == twin.state_dict()


def test_epoch_callback_needs_minibatches():
    with pytest.raises(ValueError, match="'epoch_callback'"):
        rmsopt.minimize(loss, np.zeros(3), args=make_data(), jac=loss_grad,
                        options={"epoch_callback": print})  # fmt: skip


def test_the_epoch_example_of_docs_stochastic_runs_as_written(capsys):
    page = (pathlib.Path(__file__).parent.parent / "docs" / "stochastic.md").read_text()
    block = page.split("## Watching the epochs")[1].split("```python\n")[1].split("```")[0]
    namespace: dict = {}
    exec(compile(block, "docs/stochastic.md", "exec"), namespace)
    printed = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert [int(row[0]) for row in printed] == [1, 2, 3, 4, 5]
    assert namespace["res"].epochs == 5
