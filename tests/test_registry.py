"""Contract tests over the method registry: a method is tested the moment it is declared."""

import numpy as np
import pytest

import rmsopt
from rmsopt._methods.registry import METHODS

from conftest import make_kernel, shaped

DECLARED = list(METHODS.values())


@pytest.fixture(params=DECLARED, ids=lambda method: method.name)
def method(request):
    return request.param


def test_every_method_is_a_public_scipy_callable(method):
    solver = getattr(rmsopt, method.name)
    assert solver.__name__ == method.name and method.name in rmsopt.__all__
    for option in method.options:
        assert f"\n{option.name} : " in solver.__doc__
    assert "{options}" not in solver.__doc__


def test_option_names_are_unique_and_defaults_are_valid(method):
    names = [option.name for option in method.options]
    assert len(names) == len(set(names))
    for option in method.options:
        assert option.constraint.check(option.default, option.name) == option.default


def test_kernel_parameters_are_declared_options_or_constants(method):
    # The generated kernel fills its parameter struct by field name: every field must be an
    # option the method declares, one of its constants or a value it derives from the
    # options, and each must arrive as set.
    settings = method.validate({})
    parameters = make_kernel(method, settings).parameters
    names = (
        {option.name for option in method.options}
        | set(method.kernel_constants)
        | set(method.kernel_values(settings))
    )
    assert set(parameters) <= names
    for name, value in parameters.items():
        expected = method.kernel_settings(settings)[name]
        assert value == expected, name


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("maximize", [False, True])
def test_kernel_moves_x_against_the_gradient_in_both_dtypes(method, dtype, maximize):
    options = {option.name: option.default for option in method.options}
    options["maximize"] = maximize
    options = shaped(method.name, options, 5)
    x = np.zeros(5, dtype=dtype)
    state = np.zeros((len(method.state), 5), dtype=dtype)
    make_kernel(method, options).step(x, np.ones(5, dtype=dtype), state, 1, 0.1)
    assert np.all(x > 0) if maximize else np.all(x < 0)


def test_every_method_runs_through_minimize(method):
    # Without weight decay (AdamW's and Lion's default is not 0) nor ASGD's decay term, so
    # that the minimiser stays at 1.
    names = {option.name for option in method.options}
    decays = {name: 0.0 for name in ("weight_decay", "lambd") if name in names}
    decays = shaped(method.name, decays, 4)  # Muon's matrix: (2, 2)
    # Muon's steps are lr long whatever the gradient: it needs the default, decaying rate.
    rate = {} if method.name == "muon" else {"learning_rate": 0.05}
    res = rmsopt.minimize(
        lambda x: float(np.sum((x - 1.0) ** 2)),
        np.zeros(4),
        method=method.name,
        jac=lambda x: 2.0 * (x - 1.0),
        options={**rate, "maxiter": 20000, **decays},
    )
    assert res.success
    np.testing.assert_allclose(res.x, 1.0, atol=1e-4)


def test_declaration_names_its_class_and_unique_state_rows(method):
    cls = getattr(rmsopt, method.class_name)
    assert issubclass(cls, rmsopt.Optimizer) and cls.__name__ in rmsopt.__all__
    assert len(set(method.state)) == len(method.state) > 0
    assert set(method.initial_state({o.name: o.default for o in method.options})) <= set(
        method.state
    )


def test_common_options_come_last_in_the_same_order(method):
    names = [option.name for option in method.options]
    common = ["maximize", "threads", "clipnorm", "clipvalue", "averaging", "averaging_decay"]
    common += ["averaging_start", "maxiter", "maxfev", "gtol", "ftol"]
    common += ["xtol", "disp", "progress", "return_all", "history", "history_interval"]
    common += ["history_size", "batch_size", "batches", "epochs", "shuffle", "seed"]
    common += ["validation", "validate_average", "patience", "min_delta", "epoch_callback"]
    common += ["state"]
    assert names[0] == "learning_rate"
    assert names[-len(common) :] == common


def test_shared_option_names_mean_the_same_kind_of_thing():
    # Consistent names across methods: the same name has the same constraint everywhere,
    # except where a method's range genuinely differs (documented per method).
    seen = {}
    for declaration in DECLARED:
        for option in declaration.hyperparameters:
            seen.setdefault(option.name, set()).add(type(option.constraint).__name__)
    assert all(len(kinds) == 1 for kinds in seen.values()), seen
    assert {"epsilon", "weight_decay"} <= set(seen)


def test_show_options_lists_every_method():
    text = rmsopt.show_options(disp=False)
    for name in METHODS:
        assert f"{name}\n{'=' * len(name)}" in text
