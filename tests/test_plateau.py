"""A learning rate that follows the losses (reduce_on_plateau): fed by full-batch runs of
minimize with the objective at each new iterate, and by the classes' step(grad, loss=...)."""

import pathlib
import re

import numpy as np
import pytest

import rmsopt
from rmsopt.schedules import reduce_on_plateau

CATALOGUE = ["sphere", "quadratic", "booth", "rosenbrock", "linear_regression"]


@pytest.mark.parametrize("name", CATALOGUE)
def test_rmsprop_with_a_plateau_schedule_meets_gtol_on_the_catalogue(name):
    problem = getattr(rmsopt.problems, name)()
    res = rmsopt.minimize(
        problem.fun,
        problem.x0,
        args=problem.args,
        jac=problem.jac,
        method="rmsprop",
        options={"learning_rate": reduce_on_plateau(1e-2), "maxiter": 20000, "gtol": 1e-5},
    )
    assert res.success and res.status == 0 and res.nit <= 20000


def test_minimize_feeds_the_objective_at_each_new_iterate():
    # The twin: the class at a rate set by hand from a schedule that observes f(x_k) after
    # step k, as minimize documents.
    problem = rmsopt.problems.booth()
    schedule = reduce_on_plateau(0.5, patience=3, factor=0.5)
    res = rmsopt.minimize(
        problem.fun,
        problem.x0,
        jac=problem.jac,
        options={"learning_rate": schedule, "maxiter": 200, "gtol": 0.0, "return_all": True},
    )
    assert schedule.state_dict() == reduce_on_plateau(0.5, patience=3, factor=0.5).state_dict()
    twin_schedule = reduce_on_plateau(0.5, patience=3, factor=0.5)
    x = np.array(problem.x0, dtype=float)
    opt = rmsopt.RMSprop(x, learning_rate=twin_schedule(0))
    path = []
    for _ in range(200):
        opt.step(problem.jac(x))
        path.append(x.copy())
        opt.learning_rate = twin_schedule.observe(problem.fun(x))
    np.testing.assert_array_equal(np.array(res.allvecs[1:]), np.array(path))
    assert twin_schedule.state_dict()["learning_rate"] < 0.5  # it did reduce
    assert res.state["options"]["learning_rate"].state_dict() == twin_schedule.state_dict()


def test_runs_repeat_and_a_resumed_run_continues_the_schedule():
    problem = rmsopt.problems.rosenbrock()
    options = {"learning_rate": reduce_on_plateau(1e-2, patience=5), "gtol": 0.0}

    def run(x0, maxiter, state=None):
        extra = {} if state is None else {"state": state}
        return rmsopt.minimize(
            problem.fun, x0, jac=problem.jac, options={**options, "maxiter": maxiter, **extra}
        )

    whole = run(problem.x0, 3000)
    np.testing.assert_array_equal(run(problem.x0, 3000).x, whole.x)
    first = run(problem.x0, 1500)
    second = run(first.x, 1500, first.state)
    np.testing.assert_array_equal(second.x, whole.x)


def test_a_minibatch_run_without_validation_feeds_each_epochs_mean_training_loss():
    x = np.linspace(0.0, 1.0, 40)

    def fun(w, xs):
        return float(np.mean((w[0] * xs - 1.0) ** 2))

    def jac(w, xs):
        return np.array([np.mean(2.0 * (w[0] * xs - 1.0) * xs)])

    losses = []
    res = rmsopt.minimize(
        fun, [0.0], args=(x,), jac=jac,
        options={
            "batch_size": 8, "epochs": 6, "seed": 0,
            "learning_rate": reduce_on_plateau(0.1, patience=1),
            "epoch_callback": lambda intermediate_result: losses.append(
                intermediate_result.train_loss
            ),
        },
    )  # fmt: skip
    twin = reduce_on_plateau(0.1, patience=1)
    for loss in losses:
        twin.observe(loss)
    assert len(losses) == 6
    assert res.state["options"]["learning_rate"].state_dict() == twin.state_dict()


def test_a_class_needs_the_loss_and_saves_what_the_schedule_observed():
    x = np.ones(3)
    opt = rmsopt.RMSprop(x, learning_rate=reduce_on_plateau(0.1, patience=2))
    with pytest.raises(TypeError, match=r"loss=value"):
        opt.step(2.0 * x)
    with pytest.raises(TypeError, match="'loss'"):
        opt.step(2.0 * x, loss="high")
    for _ in range(5):
        opt.step(2.0 * x, loss=1.0)  # never improves: the rate drops after patience
    assert opt.learning_rate(0) < 0.1
    saved = opt.state_dict()
    y = x.copy()
    resumed = rmsopt.RMSprop(y, learning_rate=reduce_on_plateau(0.1, patience=2))
    resumed.load_state_dict(saved)
    for _ in range(6):
        opt.step(2.0 * x, loss=1.0)
        resumed.step(2.0 * y, loss=1.0)
    np.testing.assert_array_equal(x, y)
    assert resumed.learning_rate.state_dict() == opt.learning_rate.state_dict()


def test_a_class_matches_torch_rmsprop_with_reduce_lr_on_plateau():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    target = rng.standard_normal(6)
    losses = [1.0, 0.9, 0.9, 0.95, 0.9, 0.8, 0.85, 0.86, 0.87, 0.9, 0.7, 0.71, 0.72, 0.73] * 3

    parameter = torch.nn.Parameter(torch.zeros(6, dtype=torch.float64))
    optimizer = torch.optim.RMSprop([parameter], lr=0.05, alpha=0.99, eps=1e-8)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, factor=0.5)
    x = np.zeros(6)
    opt = rmsopt.RMSprop(
        x, learning_rate=reduce_on_plateau(0.05, patience=2, factor=0.5), rho=0.99, epsilon=1e-8
    )
    for loss in losses:
        parameter.grad = parameter.detach() - torch.from_numpy(target)
        optimizer.step()
        scheduler.step(loss)
        opt.step(x - target, loss=loss)
        # The rates exactly; the iterates as the torch conformance tests compare them (torch's
        # kernels round an operation or two differently).
        assert opt.learning_rate.state_dict()["learning_rate"] == optimizer.param_groups[0]["lr"]
        np.testing.assert_allclose(x, parameter.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert optimizer.param_groups[0]["lr"] < 0.05


def test_the_readmes_first_example_converges_as_written():
    readme = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    first = re.search(r"```python\n(.*?)```", readme, flags=re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(first, "README.md", "exec"), namespace)
    assert namespace["res"].success and namespace["res"].status == 0


PLATEAU_SETTINGS = [
    {"factor": 0.5, "patience": 2, "threshold": 0.0},
    {"factor": 0.3, "patience": 1, "threshold": 1e-3, "threshold_mode": "abs", "cooldown": 3},
    {"factor": 0.5, "patience": 0, "threshold": 0.1, "min_lr": 0.05},
    {"factor": 0.5, "patience": 1, "eps": 0.2},
    {"mode": "max", "factor": 0.5, "patience": 2},
]


@pytest.mark.parametrize("settings", PLATEAU_SETTINGS, ids=range(len(PLATEAU_SETTINGS)))
def test_the_native_loops_plateau_arithmetic_is_the_schedules(settings):
    # minimize observes a reduce_on_plateau in its native loop; the twin steps the class and
    # calls the Python schedule's observe. mode="max" watches -fun while maximising it.
    problem = rmsopt.problems.booth()
    maximize = settings.get("mode") == "max"
    sign = -1.0 if maximize else 1.0

    def fun(x):
        return sign * problem.fun(x)

    def jac(x):
        return sign * problem.jac(x)

    res = rmsopt.minimize(
        fun, problem.x0, jac=jac,
        options={"learning_rate": reduce_on_plateau(0.5, **settings), "maxiter": 150,
                 "gtol": 0.0, "return_all": True, "maximize": maximize},
    )  # fmt: skip
    twin_schedule = reduce_on_plateau(0.5, **settings)
    x = np.array(problem.x0, dtype=float)
    opt = rmsopt.RMSprop(x, learning_rate=twin_schedule(0), maximize=maximize)
    rates = []
    for _ in range(res.nit):  # 150, or fewer where the gradient vanished exactly (gtol=0)
        opt.step(jac(x))
        opt.learning_rate = twin_schedule.observe(fun(x))
        rates.append(opt.learning_rate)
    np.testing.assert_array_equal(res.allvecs[-1], x)
    assert res.state["options"]["learning_rate"].state_dict() == twin_schedule.state_dict()
    assert len(set(rates)) > 1 and res.nit > 50  # the rate did change


def test_a_c_objective_runs_the_default_schedule_as_a_python_one():
    problem = rmsopt.problems.rosenbrock()
    native = rmsopt.minimize(problem.native, problem.x0, options={"maxiter": 3000})
    python = rmsopt.minimize(problem.fun, problem.x0, jac=problem.jac, options={"maxiter": 3000})
    np.testing.assert_array_equal(native.x, python.x)
    assert native.nit == python.nit and native.status == python.status
    assert (
        native.state["options"]["learning_rate"].state_dict()
        == python.state["options"]["learning_rate"].state_dict()
    )
    assert native.state["options"]["learning_rate"].learning_rate < 0.1
