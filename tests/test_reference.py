"""The NumPy twins in reference.py against torch.optim, iterate by iterate.

With NumPy's arithmetic the twins agree with torch to rounding. With torch's own
elementary operations swapped in (its fused multiply-adds and its square root), they
agree bit for bit: what is left, the order of the operations and the rounding of the
scalars, is then exactly torch's.
"""

import inspect

import numpy as np
import pytest

import reference
from conftest import (
    FRAMEWORK_ONLY,
    WHOLE,
    fit_size,
    option_grid,
    option_id,
    products_in_the_tensors_dtype,
    shaped,
    torch_comparable,
)
from reference import DEFAULTS, LEARNING_RATES, REFERENCES, clip_gradient, reference_iterates

TORCH_CLASSES = {
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "adamax": "Adamax",
    "nadam": "NAdam",
    "radam": "RAdam",
    "rprop": "Rprop",
    "asgd": "ASGD",
}
TORCH_STATE_NAMES = {"square_sum": "sum"}
CASES = [
    pytest.param(method, options, id=f"{method}-{option_id(options)}")
    for method in REFERENCES
    for options in option_grid(method)
    if torch_comparable(method, options) and method not in WHOLE
]
# Adafactor's and Muon's twins: their norms and matrix products are sums whose order neither
# side fixes, so they agree with torch to rounding (test_whole_array_twins_match_torch).
WHOLE_CASES = [
    pytest.param(method, options, id=f"{method}-{option_id(options)}")
    for method in WHOLE
    for options in option_grid(method)
    if torch_comparable(method, options)
]


def torch_keywords(method, options):
    """The twin's options, defaults filled in, under torch's names."""
    settings = {**DEFAULTS[method], **options}
    for name in FRAMEWORK_ONLY.get(method, ()):
        del settings[name]
    if method == "rmsprop":
        settings["alpha"] = settings.pop("rho")
    if "beta1" in settings:
        settings["betas"] = (settings.pop("beta1"), settings.pop("beta2"))
    if "epsilon" in settings:
        settings["eps"] = settings.pop("epsilon")
    if "etaminus" in settings:
        settings["etas"] = (settings.pop("etaminus"), settings.pop("etaplus"))
        settings["step_sizes"] = (settings.pop("step_size_min"), settings.pop("step_size_max"))
    return settings


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(params=["numpy", "torch"], ids=["numpy-arithmetic", "torch-arithmetic"])
def arithmetic(request, torch, monkeypatch):
    """Which elementary operations the twins use: NumPy's, or torch's own kernels."""
    if request.param == "torch":

        def tensor(array):
            return torch.from_numpy(np.array(array))

        def add(x, other, alpha):
            return tensor(x).add(tensor(other), alpha=float(alpha)).numpy()

        def addcmul(x, a, b, value):
            return tensor(x).addcmul(tensor(a), tensor(b), value=float(value)).numpy()

        def addcdiv(x, a, b, value):
            return tensor(x).addcdiv(tensor(a), tensor(b), value=float(value)).numpy()

        def lerp(start, end, weight):
            return tensor(start).lerp(tensor(end), float(weight)).numpy()

        def sqrt(x):
            return tensor(x).sqrt().numpy()

        for operation in (add, addcmul, addcdiv, lerp, sqrt):
            monkeypatch.setattr(reference, operation.__name__, operation)
    return request.param


def gradient_stream(dtype, n=7, n_steps=30, seed=0):
    """A random x0 and a fixed stream of gradients spanning seven orders of magnitude.

    Fixed, so that rounding differences cannot feed back into later gradients; x0 near
    the size of the steps, so that a step's last bits still show in x.
    """
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(n) * 1e-2
    scales = 10.0 ** rng.integers(-6, 2, size=(n_steps, 1))
    grads = rng.standard_normal((n_steps, n)) * scales
    return x0.astype(dtype), grads.astype(dtype)


def run_twin(method, x0, grads, learning_rates, options):
    twin = REFERENCES[method](x0, **options)
    iterates = [twin.x.copy()]
    for grad, learning_rate in zip(grads, learning_rates, strict=True):
        iterates.append(twin.step(grad, learning_rate).copy())
    return np.array(iterates), twin


def run_torch(torch, method, x0, grads, learning_rates, options, foreach):
    # torch keeps a run's scalars (NAdam's mu_product, ASGD's eta and mu) in its default
    # dtype: the run's own here, as the twins keep them in double.
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if x0.dtype == np.float64 else torch.float32)
    try:
        param = torch.tensor(x0, requires_grad=True)
        optimizer = getattr(torch.optim, TORCH_CLASSES[method])(
            [param], lr=learning_rates[0], foreach=foreach, **torch_keywords(method, options)
        )
        iterates = [x0.copy()]
        for grad, learning_rate in zip(grads, learning_rates, strict=True):
            optimizer.param_groups[0]["lr"] = learning_rate
            param.grad = torch.tensor(grad)
            optimizer.step()
            iterates.append(param.detach().numpy().copy())
    finally:
        torch.set_default_dtype(default_dtype)
    # Rows only: not the step count, nor NAdam's and ASGD's scalars (eta, mu, mu_product).
    state = {
        name: value.numpy().copy()
        for name, value in optimizer.state[param].items()
        if value is not None and value.ndim > 0
    }
    return np.array(iterates), state


def assert_agree(ours, theirs, tolerance, scale=1.0):
    if tolerance == 0:
        np.testing.assert_array_equal(ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance * scale)


def assert_state_agrees(twin, torch_state, tolerance):
    """Rows torch keeps agree with torch's; rows it does not keep never left their start."""
    torch_names = {TORCH_STATE_NAMES.get(row, row): row for row in twin.state_rows}
    assert set(torch_state) <= set(torch_names)
    for torch_name, row in torch_names.items():
        if torch_name in torch_state:
            theirs = torch_state[torch_name]
            # Moments pass near zero; measure their error against the row's scale.
            assert_agree(twin.state[row], theirs, tolerance, scale=np.max(np.abs(theirs)))
        else:
            np.testing.assert_array_equal(twin.state[row], twin.initial_value(row))


@pytest.mark.parametrize("foreach", [False, True], ids=["for-loop", "foreach"])
@pytest.mark.parametrize("method, options", CASES)
def test_twin_matches_torch(method, options, foreach, dtype, arithmetic, torch):
    x0, grads = gradient_stream(dtype)
    learning_rates = [LEARNING_RATES[method]] * len(grads)
    ours, twin = run_twin(method, x0, grads, learning_rates, options)
    theirs, torch_state = run_torch(torch, method, x0, grads, learning_rates, options, foreach)

    # torch's foreach NAdam, RAdam and ASGD order some operations unlike their for-loop code,
    # which the twins follow: with foreach they agree to rounding only.
    if arithmetic == "torch" and not (foreach and method in ("nadam", "radam", "asgd")):
        tolerance = 0.0
    else:
        tolerance = 1e-13 if dtype == np.float64 else 1e-5
    assert ours.dtype == dtype
    assert twin.step_count == len(grads)
    assert_agree(ours, theirs, tolerance)
    assert_state_agrees(twin, torch_state, tolerance)


@pytest.mark.parametrize("method, options", WHOLE_CASES)
def test_whole_array_twins_match_torch(method, options, dtype, torch):
    n = fit_size(method, options, 12)
    options = shaped(method, options, n)
    x0, grads = gradient_stream(dtype, n=n)
    shape = options.get("shape") or (n,)
    ours, twin = run_twin(method, x0, grads, [LEARNING_RATES[method]] * len(grads), options)
    keywords = {name: value for name, value in options.items() if name not in ("shape", "maximize")}
    if "epsilon1" in keywords or "epsilon2" in keywords or method == "adafactor":
        keywords["eps"] = (keywords.pop("epsilon1", None), keywords.pop("epsilon2", 1e-3))
    elif "epsilon" in keywords:
        keywords["eps"] = keywords.pop("epsilon")
    if options.get("maximize"):
        keywords["maximize"] = True
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if dtype == np.float64 else torch.float32)
    try:
        param = torch.tensor(x0.reshape(shape), requires_grad=True)
        optimizer = getattr(torch.optim, method.capitalize())(
            [param], lr=LEARNING_RATES[method], **keywords
        )
        theirs = [x0.copy()]
        for grad in grads:
            param.grad = torch.tensor(grad.reshape(shape))
            with products_in_the_tensors_dtype(torch, method):
                optimizer.step()
            theirs.append(param.detach().numpy().reshape(-1).copy())
    finally:
        torch.set_default_dtype(default_dtype)
    tolerance = 1e-11 if dtype == np.float64 else 1e-4
    assert_agree(ours, np.array(theirs), tolerance)
    state = optimizer.state[param]
    if method == "muon":
        torch_row = state["momentum_buffer"].numpy().reshape(-1)
    elif state.get("variance") is not None:
        torch_row = state["variance"].numpy().reshape(-1)
    else:  # the factored moments, packed as rmsopt's row packs them
        rows, cols = state["row_var"].numpy().reshape(-1), state["col_var"].numpy().reshape(-1)
        torch_row = np.concatenate([rows, cols, np.zeros(n - rows.size - cols.size)])
    row = twin.state[twin.state_rows[0]]
    assert_agree(row, torch_row, tolerance, scale=np.max(np.abs(torch_row)))


# Not ASGD: torch computes a step's eta from the rate of the step before (docs/methods.md).
@pytest.mark.parametrize("method", [name for name in TORCH_CLASSES if name != "asgd"])
def test_learning_rate_schedule_matches_torch(method, dtype, arithmetic, torch):
    x0, grads = gradient_stream(dtype, seed=1)
    base = LEARNING_RATES[method]

    def schedule(t):
        return base * 0.9**t

    options = {"momentum": 0.9} if method in ("rmsprop", "sgd") else {}
    stream = iter(grads)
    ours = reference_iterates(lambda x: next(stream), x0, len(grads), schedule, method, **options)
    learning_rates = [schedule(t) for t in range(len(grads))]
    theirs, _ = run_torch(torch, method, x0, grads, learning_rates, options, foreach=False)

    if arithmetic == "torch":
        tolerance = 0.0
    else:
        tolerance = 1e-13 if dtype == np.float64 else 1e-5
    assert_agree(ours, theirs, tolerance)


@pytest.mark.parametrize("dtype_", [np.float64, np.float32], ids=["float64", "float32"])
def test_elementary_operations_are_torchs_up_to_fusion(dtype_, torch):
    """NumPy's elementary operations against torch's: exact where fusing the multiply-add
    cannot change the rounding, otherwise apart by at most the rounding of the product."""
    rng = np.random.default_rng(2)
    x, a, b = (rng.standard_normal(64).astype(dtype_) for _ in range(3))
    b = np.abs(b) + dtype_(0.5)
    value, eps = dtype_(-0.3), np.finfo(dtype_).eps

    def tensor(array):
        return torch.from_numpy(np.array(array))

    def assert_within_rounding(ours, theirs, product):
        assert np.all(np.abs(ours - theirs) <= eps * (np.abs(theirs) + np.abs(product)))

    # Added to zero, only the products and quotients remain, so their order must match.
    zero = np.zeros_like(x)
    theirs = tensor(zero).add(tensor(a), alpha=float(value)).numpy()
    np.testing.assert_array_equal(reference.add(zero, a, value), theirs)
    theirs = tensor(zero).addcmul(tensor(a), tensor(b), value=float(value)).numpy()
    np.testing.assert_array_equal(reference.addcmul(zero, a, b, value), theirs)
    theirs = tensor(zero).addcdiv(tensor(a), tensor(b), value=float(value)).numpy()
    np.testing.assert_array_equal(reference.addcdiv(zero, a, b, value), theirs)

    theirs = tensor(x).add(tensor(a), alpha=float(value)).numpy()
    assert_within_rounding(reference.add(x, a, value), theirs, value * a)
    theirs = tensor(x).addcmul(tensor(a), tensor(b), value=float(value)).numpy()
    assert_within_rounding(reference.addcmul(x, a, b, value), theirs, value * a * b)
    theirs = tensor(x).addcdiv(tensor(a), tensor(b), value=float(value)).numpy()
    np.testing.assert_array_equal(reference.addcdiv(x, a, b, value), theirs)
    for weight in map(dtype_, (0.0, 0.1, 0.5, 0.7, 1.0)):
        theirs = tensor(x).lerp(tensor(a), float(weight)).numpy()
        assert_within_rounding(reference.lerp(x, a, weight), theirs, a - x)
    # Each of lerp's two formulas is exact at its own end of the segment.
    np.testing.assert_array_equal(reference.lerp(x, a, dtype_(0)), x)
    np.testing.assert_array_equal(reference.lerp(x, a, dtype_(1)), a)
    assert_within_rounding(reference.sqrt(b), tensor(b).sqrt().numpy(), 0)


@pytest.mark.parametrize("method", [m for m in TORCH_CLASSES if m != "rmsprop"])
def test_defaults_are_torchs(method, torch):
    parameters = inspect.signature(getattr(torch.optim, TORCH_CLASSES[method])).parameters
    assert parameters["lr"].default == LEARNING_RATES[method]
    for name, value in torch_keywords(method, {}).items():
        assert parameters[name].default == value, name


def test_rmsprop_defaults_are_rmsopts_not_torchs():
    assert LEARNING_RATES["rmsprop"] == 1e-3
    assert DEFAULTS["rmsprop"]["rho"] == 0.9


def test_positional_rmsprop_call_and_method_defaults():
    x0 = np.array([0.5, -1.0, 2.0])
    iterates = reference_iterates(np.cos, x0, 5, 1e-2, centered=True)
    twin = reference.RMSpropReference(x0, 1e-2, centered=True)
    for k in range(1, 6):
        np.testing.assert_array_equal(iterates[k], twin.step(np.cos(twin.x)))

    iterates = reference_iterates(np.cos, x0, 3, method="adadelta")
    twin = reference.AdadeltaReference(x0)
    assert twin.learning_rate == 1.0
    for k in range(1, 4):
        np.testing.assert_array_equal(iterates[k], twin.step(np.cos(twin.x)))


def test_step_learning_rate_overrides_for_one_call_only():
    x0, grads = gradient_stream(np.float64, n_steps=2)
    twin = reference.SGDReference(x0, 0.5)
    np.testing.assert_array_equal(twin.step(grads[0], 0.25), x0 - 0.25 * grads[0])
    after_one = twin.x.copy()
    np.testing.assert_array_equal(twin.step(grads[1]), after_one - 0.5 * grads[1])


def test_unknown_option_is_refused():
    with pytest.raises(TypeError, match="unknown adam options: eps"):
        reference.AdamReference(np.zeros(2), eps=1e-8)


@pytest.mark.parametrize(
    "options",
    [
        {"nesterov": True},
        {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
    ],
    ids=option_id,
)
def test_nesterov_needs_momentum_without_dampening_as_in_torch(options, torch):
    with pytest.raises(ValueError, match="Nesterov"):
        reference.SGDReference(np.zeros(2), **options)
    with pytest.raises(ValueError, match="Nesterov"):
        torch.optim.SGD([torch.zeros(2, requires_grad=True)], **options)


@pytest.mark.parametrize("dtype_", [np.float64, np.float32], ids=["float64", "float32"])
def test_clipnorm_leaves_a_gradient_inside_the_ball_alone(dtype_):
    grad = np.array([0.375, -0.5, 0.0], dtype=dtype_)  # norm 0.625
    clipped = clip_gradient(grad, clipnorm=1.0)
    assert clipped.dtype == dtype_
    np.testing.assert_array_equal(clipped, grad)
    np.testing.assert_array_equal(clip_gradient(grad, clipnorm=0.625), grad)


@pytest.mark.parametrize("dtype_", [np.float64, np.float32], ids=["float64", "float32"])
def test_clipnorm_rescales_a_gradient_outside_the_ball_to_the_bound(dtype_):
    grad = np.array([3.0, -4.0], dtype=dtype_)  # norm 5
    clipped = clip_gradient(grad, clipnorm=2.5)
    assert clipped.dtype == dtype_
    np.testing.assert_array_equal(clipped, np.array([1.5, -2.0], dtype=dtype_))
    np.testing.assert_allclose(clip_gradient(grad, clipnorm=1.0), [0.6, -0.8], rtol=1e-7)


def test_clipnorm_takes_the_norm_of_the_whole_array():
    grad = np.array([[3.0, 0.0], [0.0, -4.0]])
    np.testing.assert_array_equal(clip_gradient(grad, clipnorm=2.5), [[1.5, 0.0], [0.0, -2.0]])


def test_clipnorm_leaves_a_zero_gradient_zero():
    clipped = clip_gradient(np.zeros(4), clipnorm=1.0)
    np.testing.assert_array_equal(clipped, np.zeros(4))


@pytest.mark.parametrize("dtype_", [np.float64, np.float32], ids=["float64", "float32"])
def test_clipvalue_clips_each_element(dtype_):
    grad = np.array([-3.0, -0.5, 0.0, 0.5, 1.0, 3.0], dtype=dtype_)
    clipped = clip_gradient(grad, clipvalue=1.0)
    assert clipped.dtype == dtype_
    np.testing.assert_array_equal(clipped, [-1.0, -0.5, 0.0, 0.5, 1.0, 1.0])


def test_clip_gradient_without_bounds_and_with_both():
    grad = np.array([10.0, -20.0])
    np.testing.assert_array_equal(clip_gradient(grad), grad)
    with pytest.raises(ValueError, match="only one"):
        clip_gradient(grad, clipnorm=1.0, clipvalue=1.0)
