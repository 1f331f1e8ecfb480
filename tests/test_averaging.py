"""Iterate averaging (the averaging options, every method): against a NumPy twin always and
torch.optim.swa_utils.AveragedModel where torch is installed; the same average from minimize,
the classes and resumed runs; validation at the average; ASGD's own average."""

import io

import numpy as np
import pytest

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import shaped
from reference import lerp

N, STEPS = 6, 60


def gradients(seed=0, steps=STEPS + 1):
    return np.random.default_rng(seed).standard_normal((steps, N))


def twin_average(iterates, averaging, decay, start):
    """The average torch's AveragedModel keeps when update_parameters follows every step after
    step ``start``: the first such iterate copied, then lerp towards each."""
    t = iterates.dtype.type
    average, averaged = iterates[0].copy(), 0
    for step, x in enumerate(iterates[1:], start=1):
        if step <= start:
            continue
        if averaged == 0:
            average = x.copy()
        else:
            weight = 1 - decay if averaging == "ema" else 1 / (averaged + 1)
            average = lerp(average, x, t(weight))
        averaged += 1
    return average, averaged


def class_run(method, dtype, options, grads=None):
    x = np.linspace(-1.0, 1.0, N).astype(dtype)
    options = shaped(method, options, N)  # Muon reads x as a matrix
    opt = getattr(rmsopt, METHODS[method].class_name)(x, learning_rate=1e-2, **options)
    iterates = [x.copy()]
    for g in gradients() if grads is None else grads:
        opt.step(g[:N].astype(dtype))
        iterates.append(x.copy())
    return opt, np.array(iterates)


SETTINGS = [
    {"averaging": "ema"},
    {"averaging": "ema", "averaging_decay": 0.9, "averaging_start": 10},
    {"averaging": "uniform"},
    {"averaging": "uniform", "averaging_start": 25},
]


@pytest.mark.parametrize("options", SETTINGS, ids=lambda o: ",".join(map(str, o.values())))
@pytest.mark.parametrize("method", sorted(METHODS))
def test_the_average_is_the_twins_bit_for_bit(method, options, dtype):
    opt, iterates = class_run(method, dtype, options, gradients()[:STEPS])
    expected, count = twin_average(
        iterates,
        options["averaging"],
        options.get("averaging_decay", 0.999),
        options.get("averaging_start", 0),
    )
    np.testing.assert_array_equal(opt.x_average, expected)
    assert opt.state_dict()["n_averaged"] == count


@pytest.mark.parametrize("options", SETTINGS, ids=lambda o: ",".join(map(str, o.values())))
def test_the_average_is_torchs_averaged_model(options):
    torch = pytest.importorskip("torch")
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # the uniform weight 1 / (k + 1) in float64
    try:
        module = torch.nn.Module()
        module.x = torch.nn.Parameter(torch.tensor(np.linspace(-1.0, 1.0, N)))
        decay = options.get("averaging_decay", 0.999)
        averaged = AveragedModel(
            module,
            multi_avg_fn=get_ema_multi_avg_fn(decay) if options["averaging"] == "ema" else None,
        )
        optimizer = torch.optim.RMSprop([module.x], lr=1e-2, alpha=0.9)
        for step, g in enumerate(gradients()[:STEPS], start=1):
            module.x.grad = torch.tensor(g)
            optimizer.step()
            if step > options.get("averaging_start", 0):
                averaged.update_parameters(module)
        theirs = averaged.module.x.detach().numpy()
    finally:
        torch.set_default_dtype(previous)
    opt, _ = class_run("rmsprop", np.float64, options, gradients()[:STEPS])
    np.testing.assert_allclose(opt.x_average, theirs, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("options", SETTINGS[1:3], ids=["ema", "uniform"])
@pytest.mark.parametrize("method", ["rmsprop", "adam", "lion"])
def test_minimize_keeps_the_classes_average_and_resumes_it(method, options, dtype):
    opt, _ = class_run(method, dtype, options, gradients()[:STEPS])

    def run(x0, steps, stream, state=None):
        return rmsopt.minimize(
            lambda x: 0.0,
            x0,
            method=method,
            jac=lambda x: next(stream).astype(x.dtype),
            options={"learning_rate": 1e-2, "maxiter": steps, "gtol": 0.0, "state": state,
                     **options},
        )  # fmt: skip

    x0 = np.linspace(-1.0, 1.0, N).astype(dtype)
    whole = run(x0, STEPS, iter(gradients()))
    np.testing.assert_array_equal(whole.x_average, opt.x_average)
    assert whole.state["n_averaged"] == opt.state_dict()["n_averaged"]
    # In two halves, through the state (saved with numpy.savez): the same average.
    stream = iter(gradients())
    first = run(x0, STEPS // 2, stream)
    buffer = io.BytesIO()
    np.savez(buffer, **{k: v for k, v in first.state.items() if k != "options"})
    buffer.seek(0)
    saved = dict(np.load(buffer))
    stream = iter(gradients()[STEPS // 2 :])
    second = run(first.x, STEPS - STEPS // 2, stream, saved)
    np.testing.assert_array_equal(second.x_average, whole.x_average)


def test_a_state_dict_carries_the_average_to_a_new_object():
    opt, _ = class_run("adam", np.float64, {"averaging": "uniform"}, gradients()[:30])
    restored = rmsopt.Adam(opt.x.copy(), learning_rate=1e-2)
    restored.load_state_dict(opt.state_dict())
    assert restored.averaging == "uniform"
    for g in gradients(1)[:10]:
        opt.step(g)
        restored.step(g)
    np.testing.assert_array_equal(restored.x_average, opt.x_average)


def test_several_arrays_and_groups_average_in_their_structure():
    arrays = [np.zeros((2, 2)), np.zeros(3)]
    opt = rmsopt.Adam(arrays, averaging="uniform")
    for k in range(1, 4):
        opt.step([np.full((2, 2), float(k)), np.full(3, float(-k))])
    average = opt.x_average
    assert [a.shape for a in average] == [(2, 2), (3,)]
    first, second = np.zeros(2), np.zeros(2)
    groups = rmsopt.Adam([{"params": [first], "averaging": "ema"}, {"params": [second]}])
    groups.step([[np.ones(2)], [np.ones(2)]])
    averaged, plain = groups.x_average
    np.testing.assert_array_equal(averaged[0], first)  # the first averaged iterate is copied
    np.testing.assert_array_equal(plain[0], second)  # a group without averaging: x itself
    assert groups.state_dict()["n_averaged"] == [1, 0]


def test_asgds_own_average_is_x_average():
    res = rmsopt.minimize(
        lambda x: float(x @ x), np.ones(3), jac=lambda x: 2 * x, method="asgd",
        options={"learning_rate": 0.05, "t0": 5, "maxiter": 40},
    )  # fmt: skip
    np.testing.assert_array_equal(res.x_average, res.state["ax"])
    assert not np.array_equal(res.x_average, res.x)
    opt = rmsopt.ASGD(np.ones(3), learning_rate=0.05, t0=5)
    for _ in range(40):
        opt.step(2 * opt.x)
    np.testing.assert_array_equal(opt.x_average, opt.state["ax"])
    assert rmsopt.Adam(np.ones(2)).x_average is None


def test_validation_at_the_average():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((40, 3))
    targets = features @ np.array([1.0, -1.0, 0.5]) + 0.3 * rng.standard_normal(40)
    seen = []

    def validation(w):
        seen.append(w.copy())
        return float(np.mean((features @ w - targets) ** 2))

    def options(**extra):
        return {"batch_size": 4, "epochs": 5, "seed": 0, "learning_rate": 0.05,
                "validation": validation, "averaging": "uniform", **extra}  # fmt: skip

    def fun(w, a, b):
        return 0.5 * float(np.mean((a @ w - b) ** 2))

    def jac(w, a, b):
        return a.T @ (a @ w - b) / len(b)

    plain = rmsopt.minimize(fun, np.zeros(3), args=(features, targets), jac=jac,
                            method="sgd", options=options())  # fmt: skip
    at_iterates = seen[:]
    seen.clear()
    averaged = rmsopt.minimize(fun, np.zeros(3), args=(features, targets), jac=jac,
                               method="sgd", options=options(validate_average=True))  # fmt: skip
    # The same iterates, validated at the average instead: the points differ, and the result's
    # x_average is the average of its best epoch.
    assert plain.nit == averaged.nit and "x_average" in plain
    assert not all(np.array_equal(a, b) for a, b in zip(at_iterates, seen, strict=True))
    np.testing.assert_array_equal(averaged.x_average, seen[averaged.best_epoch - 1])
    # The state is the best epoch's, its count of averaged iterates included.
    assert averaged.state["n_averaged"] == 10 * averaged.best_epoch  # 40 samples, batches of 4


@pytest.mark.parametrize(
    "options, message",
    [
        ({"averaging": "swa"}, "'averaging' option of method 'adam' must be one of 'ema', 'uni"),
        ({"averaging": "ema", "averaging_decay": 1.5}, "'averaging_decay'"),
        ({"averaging_start": -1}, "'averaging_start'"),
        ({"validate_average": True}, "'validate_average'"),
    ],
)  # fmt: skip
def test_bad_averaging_options_are_refused_by_name(options, message):
    with pytest.raises(ValueError, match=message):
        rmsopt.minimize(lambda x: float(x @ x), np.ones(2), jac=lambda x: 2 * x,
                        method="adam", options=options)  # fmt: skip


def test_the_average_of_noisy_minibatch_steps_settles_where_the_last_iterate_does_not():
    # docs/stochastic.md's example, asserted.
    p = rmsopt.problems.logistic_regression(n_samples=1000)
    res = rmsopt.minimize(p.fun, p.x0, args=p.args, jac=p.jac, method="sgd",
                          options={"batch_size": 8, "epochs": 20, "seed": 0, "learning_rate": 1.0,
                                   "averaging": "uniform", "averaging_start": 500})  # fmt: skip
    best = rmsopt.minimize(p.fun, p.x0, args=p.args, jac=p.jac, method="adam",
                           options={"learning_rate": 1e-2, "maxiter": 20000})  # fmt: skip
    assert p.fun(res.x, *p.args) - best.fun > 5e-3
    assert p.fun(res.x_average, *p.args) - best.fun < 1e-3
