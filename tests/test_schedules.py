"""Learning-rate schedules: closed-form values, composition, validation, pickling."""

import dataclasses
import doctest
import math
import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rmsopt import schedules
from rmsopt.schedules import (
    Constant,
    CosineDecay,
    ExponentialDecay,
    InverseTimeDecay,
    LinearWarmup,
    StepDecay,
    constant,
    cosine_decay,
    exponential_decay,
    inverse_time_decay,
    linear_warmup,
    step_decay,
    validated_rate,
)

STEPS = [0, 1, 2, 5, 9, 10, 11, 99, 100, 101, 250, 1000, 12345]


def halving_every_ten(t):
    """A user schedule at module level, so that a warmup over it pickles."""
    return 0.1 * 0.5 ** (t / 10)


# Each schedule next to the formula it implements, written here from the documented equation.
CLOSED_FORMS = [
    (constant(0.3), lambda t: 0.3),
    (exponential_decay(0.1, 0.5, 10), lambda t: 0.1 * math.pow(0.5, t / 10)),
    (exponential_decay(2.0, 0.9, 7), lambda t: 2.0 * math.pow(0.9, t / 7)),
    (
        exponential_decay(0.1, 0.5, 10, staircase=True),
        lambda t: 0.1 * math.pow(0.5, math.floor(t / 10)),
    ),
    (step_decay(0.1, 10), lambda t: 0.1 * math.pow(0.1, math.floor(t / 10))),
    (step_decay(1.0, 3, gamma=0.5), lambda t: math.pow(0.5, math.floor(t / 3))),
    (inverse_time_decay(0.1, 0.5, 10), lambda t: 0.1 / (1 + 0.5 * t / 10)),
    (
        inverse_time_decay(0.1, 2.0, 4, staircase=True),
        lambda t: 0.1 / (1 + 2.0 * math.floor(t / 4)),
    ),
    (
        cosine_decay(0.1, 100),
        lambda t: 0.1 * 0.5 * (1 + math.cos(math.pi * min(t, 100) / 100)),
    ),
    (
        cosine_decay(0.1, 100, alpha=0.2),
        lambda t: 0.1 * (0.8 * 0.5 * (1 + math.cos(math.pi * min(t, 100) / 100)) + 0.2),
    ),
    (
        linear_warmup(0.1, 10),
        lambda t: 0.1 * t / 10 if t < 10 else 0.1,
    ),
    (
        linear_warmup(cosine_decay(0.1, 100), 10, initial=0.01),
        lambda t: (
            0.01 + (0.1 - 0.01) * t / 10
            if t < 10
            else 0.05 * (1 + math.cos(math.pi * min(t - 10, 100) / 100))
        ),
    ),
    (
        linear_warmup(halving_every_ten, 5),
        lambda t: 0.1 * t / 5 if t < 5 else 0.1 * math.pow(0.5, (t - 5) / 10),
    ),
]


@pytest.mark.parametrize(("schedule", "formula"), CLOSED_FORMS, ids=repr)
@pytest.mark.parametrize("t", STEPS)
def test_closed_form(schedule, formula, t):
    assert schedule(t) == pytest.approx(formula(t), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize(("schedule", "formula"), CLOSED_FORMS, ids=repr)
def test_returns_python_float(schedule, formula):
    assert all(type(schedule(t)) is float for t in STEPS)


def test_exact_values_on_round_numbers():
    halving = exponential_decay(1.0, 0.5, 10)
    assert [halving(t) for t in (0, 10, 20, 30)] == [1.0, 0.5, 0.25, 0.125]
    assert halving(5) == pytest.approx(math.sqrt(0.5), rel=1e-15)
    assert inverse_time_decay(1.0, 1.0, 10)(30) == 0.25
    assert cosine_decay(1.0, 100)(50) == pytest.approx(0.5, rel=1e-15)
    assert step_decay(1.0, 100)(100) == 0.1


def test_exponential_staircase_holds_between_boundaries():
    schedule = exponential_decay(1.0, 0.5, 10, staircase=True)
    assert [schedule(t) for t in (0, 1, 9)] == [1.0, 1.0, 1.0]
    assert [schedule(t) for t in (10, 15, 19)] == [0.5, 0.5, 0.5]
    assert schedule(20) == 0.25
    smooth = exponential_decay(1.0, 0.5, 10)
    assert smooth(9) < 1.0 and smooth(19) < 0.5


def test_inverse_time_staircase_holds_between_boundaries():
    schedule = inverse_time_decay(1.0, 1.0, 10, staircase=True)
    assert [schedule(t) for t in (0, 9, 10, 19, 20, 29)] == [1.0, 1.0, 0.5, 0.5, 1 / 3, 1 / 3]


def test_step_decay_drops_at_each_multiple_of_step_size():
    schedule = step_decay(2.0, 3, gamma=0.5)
    assert [schedule(t) for t in range(10)] == [2.0] * 3 + [1.0] * 3 + [0.5] * 3 + [0.25]


def test_step_decay_default_gamma_is_torchs():
    assert step_decay(1.0, 5).gamma == 0.1


def test_cosine_decay_without_alpha_reaches_zero():
    schedule = cosine_decay(0.01, 1000)
    assert schedule(0) == 0.01
    assert schedule(1000) == 0.0
    assert schedule(10**9) == 0.0


@given(
    initial=st.floats(1e-8, 1e3),
    decay_steps=st.integers(1, 10**6),
    alpha=st.floats(0.0, 1.0),
    extra=st.integers(0, 2**62),
)
def test_cosine_decay_reaches_alpha_times_initial_and_stays(initial, decay_steps, alpha, extra):
    schedule = cosine_decay(initial, decay_steps, alpha=alpha)
    assert schedule(decay_steps) == alpha * initial
    assert schedule(decay_steps + extra) == alpha * initial


def decay_schedules():
    initial = st.floats(1e-8, 1e3)
    factor = st.floats(1e-3, 1.0)
    steps = st.integers(1, 10_000)
    staircase = st.booleans()
    return st.one_of(
        st.builds(ExponentialDecay, initial, factor, steps, staircase),
        st.builds(StepDecay, initial, steps, factor),
        st.builds(InverseTimeDecay, initial, st.floats(1e-3, 1e3), steps, staircase),
        st.builds(CosineDecay, initial, steps, st.floats(0.0, 1.0)),
        st.builds(Constant, initial),
    )


@given(schedule=decay_schedules(), t=st.integers(0, 10**7))
def test_decays_never_increase_and_stay_valid(schedule, t):
    now, later = schedule(t), schedule(t + 1)
    assert 0.0 <= later <= now <= schedule(0)
    assert validated_rate(now, t) == now


@given(schedule=decay_schedules())
def test_decays_start_at_their_initial_rate(schedule):
    start = schedule.value if isinstance(schedule, Constant) else schedule.initial
    assert schedule(0) == start


@given(
    initial=st.floats(1e-8, 1e3),
    gamma=st.floats(1e-3, 1.0),
    step_size=st.integers(1, 1000),
    t=st.integers(0, 10**6),
)
def test_step_decay_is_staircase_exponential_decay(initial, gamma, step_size, t):
    expected = exponential_decay(initial, gamma, step_size, staircase=True)(t)
    assert step_decay(initial, step_size, gamma)(t) == expected


@given(
    peak=st.floats(1e-6, 1.0),
    start_fraction=st.floats(0.0, 1.0),
    warmup_steps=st.integers(1, 1000),
    t=st.integers(0, 2000),
)
def test_warmup_rises_monotonically_to_the_wrapped_start(peak, start_fraction, warmup_steps, t):
    schedule = linear_warmup(constant(peak), warmup_steps, initial=start_fraction * peak)
    assert schedule(t) <= schedule(t + 1) <= peak
    assert schedule(0) == start_fraction * peak


@pytest.mark.parametrize(
    "after",
    [
        cosine_decay(1e-2, 1000),
        exponential_decay(1e-2, 0.5, 7),
        step_decay(1e-2, 3),
        inverse_time_decay(1e-2, 1.0, 5),
        constant(1e-2),
        halving_every_ten,
    ],
    ids=repr,
)
@pytest.mark.parametrize("initial", [0.0, 1e-4, 0.5])
def test_warmup_joins_the_wrapped_schedule_continuously(after, initial):
    warmup_steps = 100
    schedule = linear_warmup(after, warmup_steps, initial=initial)
    increment = (after(0) - initial) / warmup_steps
    assert schedule(0) == initial
    # Every warmup step, the last one into after(0) included, adds the same increment.
    for t in range(1, warmup_steps + 1):
        assert schedule(t) - schedule(t - 1) == pytest.approx(increment, rel=1e-9, abs=1e-15)
    assert schedule(warmup_steps) == after(0)
    for t in (0, 1, 5, 50, 5000):
        assert schedule(warmup_steps + t) == after(t)


def test_warmup_over_a_user_lambda_runs_it_on_its_own_clock():
    calls = []

    def recorded(t):
        calls.append(t)
        return 0.1 / (1 + t)

    schedule = linear_warmup(recorded, 4, initial=0.02)
    values = [schedule(t) for t in range(8)]
    expected = [0.02 + 0.08 * t / 4 for t in range(4)] + [0.1 / (1 + k) for k in range(4)]
    assert values == pytest.approx(expected, rel=1e-15)
    # During warmup only the start value after(0) is read; afterwards after(t - warmup_steps).
    assert calls == [0, 0, 0, 0, 0, 1, 2, 3]


def test_warmup_can_ramp_down_to_a_smaller_start():
    schedule = linear_warmup(0.1, 4, initial=0.5)
    assert [schedule(t) for t in range(6)] == pytest.approx([0.5, 0.4, 0.3, 0.2, 0.1, 0.1])


def test_zero_warmup_steps_is_the_wrapped_schedule():
    after = cosine_decay(1e-2, 50)
    schedule = linear_warmup(after, 0)
    assert all(schedule(t) == after(t) for t in STEPS)


def test_warmup_stores_a_float_target_as_constant():
    schedule = linear_warmup(0.1, 5)
    assert schedule.after == Constant(0.1)
    assert schedule == linear_warmup(constant(0.1), 5)
    assert linear_warmup(1, 5).after == Constant(1.0)


def test_nested_warmups_compose():
    schedule = linear_warmup(linear_warmup(cosine_decay(1.0, 10), 4, initial=0.5), 2)
    assert [schedule(t) for t in range(7)] == pytest.approx(
        [0.0, 0.25, 0.5, 0.625, 0.75, 0.875, 1.0]
    )
    assert schedule(16) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, "0.1", None, True])
def test_warmup_rejects_a_bad_start_value_of_the_wrapped_schedule(bad):
    schedule = linear_warmup(lambda t: bad, 3)
    error = TypeError if isinstance(bad, (str, type(None), bool)) else ValueError
    expected = (
        f"The learning-rate schedule returned {bad!r} at step 0; "
        "it must return a finite float >= 0."
    )
    with pytest.raises(error) as raised:
        schedule(1)
    assert str(raised.value) == expected


FLOAT_POSITIVE = "a float in the range (0, inf)"
FLOAT_NONNEGATIVE = "a float in the range [0, inf)"
FACTOR = "a float in the range (0, 1]"
FRACTION = "a float in the range [0, 1]"
COUNT = "an integer in the range [1, 2**63 - 1]"
COUNT_OR_ZERO = "an integer in the range [0, 2**63 - 1]"
FLAG = "a bool (True or False)"
AFTER = "a float in the range (0, inf) or a schedule (a callable t -> learning rate)"

# (factory, arguments, error, parameter, accepted, got)
BAD_PARAMETERS = [
    (constant, {"value": 0.0}, ValueError, "value", FLOAT_POSITIVE, "0.0"),
    (constant, {"value": -1.0}, ValueError, "value", FLOAT_POSITIVE, "-1.0"),
    (constant, {"value": math.nan}, ValueError, "value", FLOAT_POSITIVE, "nan"),
    (constant, {"value": math.inf}, ValueError, "value", FLOAT_POSITIVE, "inf"),
    (constant, {"value": "0.1"}, TypeError, "value", FLOAT_POSITIVE, "'0.1'"),
    (constant, {"value": True}, TypeError, "value", FLOAT_POSITIVE, "True"),
    (constant, {"value": None}, TypeError, "value", FLOAT_POSITIVE, "None"),
    (
        exponential_decay,
        {"initial": 0.0, "decay_rate": 0.5, "decay_steps": 10},
        ValueError,
        "initial",
        FLOAT_POSITIVE,
        "0.0",
    ),
    (
        exponential_decay,
        {"initial": 0.1, "decay_rate": 0.0, "decay_steps": 10},
        ValueError,
        "decay_rate",
        FACTOR,
        "0.0",
    ),
    (
        exponential_decay,
        {"initial": 0.1, "decay_rate": 1.5, "decay_steps": 10},
        ValueError,
        "decay_rate",
        FACTOR,
        "1.5",
    ),
    (
        exponential_decay,
        {"initial": 0.1, "decay_rate": 0.5, "decay_steps": 0},
        ValueError,
        "decay_steps",
        COUNT,
        "0",
    ),
    (
        exponential_decay,
        {"initial": 0.1, "decay_rate": 0.5, "decay_steps": 10.0},
        TypeError,
        "decay_steps",
        COUNT,
        "10.0",
    ),
    (
        exponential_decay,
        {"initial": 0.1, "decay_rate": 0.5, "decay_steps": 10, "staircase": 1},
        TypeError,
        "staircase",
        FLAG,
        "1",
    ),
    (
        step_decay,
        {"initial": -0.1, "step_size": 10},
        ValueError,
        "initial",
        FLOAT_POSITIVE,
        "-0.1",
    ),
    (step_decay, {"initial": 0.1, "step_size": 0}, ValueError, "step_size", COUNT, "0"),
    (step_decay, {"initial": 0.1, "step_size": 2**63}, ValueError, "step_size", COUNT, str(2**63)),
    (
        step_decay,
        {"initial": 0.1, "step_size": 10, "gamma": 0.0},
        ValueError,
        "gamma",
        FACTOR,
        "0.0",
    ),
    (
        step_decay,
        {"initial": 0.1, "step_size": 10, "gamma": 2.0},
        ValueError,
        "gamma",
        FACTOR,
        "2.0",
    ),
    (
        inverse_time_decay,
        {"initial": 0.1, "decay_rate": 0.0, "decay_steps": 10},
        ValueError,
        "decay_rate",
        FLOAT_POSITIVE,
        "0.0",
    ),
    (
        inverse_time_decay,
        {"initial": 0.1, "decay_rate": math.inf, "decay_steps": 10},
        ValueError,
        "decay_rate",
        FLOAT_POSITIVE,
        "inf",
    ),
    (
        inverse_time_decay,
        {"initial": 0.1, "decay_rate": 1.0, "decay_steps": -1},
        ValueError,
        "decay_steps",
        COUNT,
        "-1",
    ),
    (
        inverse_time_decay,
        {"initial": 0.1, "decay_rate": 1.0, "decay_steps": 10, "staircase": "yes"},
        TypeError,
        "staircase",
        FLAG,
        "'yes'",
    ),
    (
        cosine_decay,
        {"initial": math.nan, "decay_steps": 10},
        ValueError,
        "initial",
        FLOAT_POSITIVE,
        "nan",
    ),
    (cosine_decay, {"initial": 0.1, "decay_steps": 1.5}, TypeError, "decay_steps", COUNT, "1.5"),
    (
        cosine_decay,
        {"initial": 0.1, "decay_steps": 10, "alpha": -0.1},
        ValueError,
        "alpha",
        FRACTION,
        "-0.1",
    ),
    (
        cosine_decay,
        {"initial": 0.1, "decay_steps": 10, "alpha": 1.5},
        ValueError,
        "alpha",
        FRACTION,
        "1.5",
    ),
    (linear_warmup, {"after": -0.1, "warmup_steps": 10}, ValueError, "after", AFTER, "-0.1"),
    (linear_warmup, {"after": 0.0, "warmup_steps": 10}, ValueError, "after", AFTER, "0.0"),
    (linear_warmup, {"after": math.inf, "warmup_steps": 10}, ValueError, "after", AFTER, "inf"),
    (linear_warmup, {"after": "fast", "warmup_steps": 10}, TypeError, "after", AFTER, "'fast'"),
    (linear_warmup, {"after": None, "warmup_steps": 10}, TypeError, "after", AFTER, "None"),
    (linear_warmup, {"after": True, "warmup_steps": 10}, TypeError, "after", AFTER, "True"),
    (
        linear_warmup,
        {"after": 0.1, "warmup_steps": -1},
        ValueError,
        "warmup_steps",
        COUNT_OR_ZERO,
        "-1",
    ),
    (
        linear_warmup,
        {"after": 0.1, "warmup_steps": 1.0},
        TypeError,
        "warmup_steps",
        COUNT_OR_ZERO,
        "1.0",
    ),
    (
        linear_warmup,
        {"after": 0.1, "warmup_steps": 10, "initial": -0.1},
        ValueError,
        "initial",
        FLOAT_NONNEGATIVE,
        "-0.1",
    ),
    (
        linear_warmup,
        {"after": 0.1, "warmup_steps": 10, "initial": math.inf},
        ValueError,
        "initial",
        FLOAT_NONNEGATIVE,
        "inf",
    ),
]


@pytest.mark.parametrize(
    ("factory", "arguments", "error", "parameter", "accepted", "got"),
    BAD_PARAMETERS,
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_bad_parameter_message(factory, arguments, error, parameter, accepted, got):
    with pytest.raises(error) as raised:
        factory(**arguments)
    assert type(raised.value) is error
    assert str(raised.value) == (
        f"The {parameter!r} parameter of {_factory_name(factory)} must be {accepted}. "
        f"Got {got} instead."
    )


def _factory_name(factory):
    return {
        Constant: "constant",
        ExponentialDecay: "exponential_decay",
        StepDecay: "step_decay",
        InverseTimeDecay: "inverse_time_decay",
        CosineDecay: "cosine_decay",
        LinearWarmup: "linear_warmup",
    }[factory]


EVERY_SCHEDULE = [
    constant(0.1),
    exponential_decay(0.1, 0.5, 10),
    exponential_decay(0.1, 0.5, 10, staircase=True),
    step_decay(0.1, 10, gamma=0.5),
    inverse_time_decay(0.1, 0.5, 10),
    inverse_time_decay(0.1, 0.5, 10, staircase=True),
    cosine_decay(0.1, 100, alpha=0.1),
    linear_warmup(0.1, 10),
    linear_warmup(cosine_decay(0.1, 100), 10, initial=0.01),
    linear_warmup(halving_every_ten, 10),
]


@pytest.mark.parametrize("schedule", EVERY_SCHEDULE, ids=repr)
@pytest.mark.parametrize(
    ("t", "error", "got"),
    [(-1, ValueError, "-1"), (1.0, TypeError, "1.0"), ("3", TypeError, "'3'")]
    + [(True, TypeError, "True"), (None, TypeError, "None"), (2**63, ValueError, str(2**63))],
)
def test_bad_step_message(schedule, t, error, got):
    with pytest.raises(error) as raised:
        schedule(t)
    assert str(raised.value) == (
        f"The step 't' passed to {_factory_name(type(schedule))} must be an integer in the range "
        f"[0, 2**63 - 1]. Got {got} instead."
    )


@pytest.mark.parametrize("schedule", EVERY_SCHEDULE, ids=repr)
def test_numpy_integer_steps_are_steps(schedule):
    assert all(schedule(np.int64(t)) == schedule(t) for t in STEPS)
    assert schedule(2**63 - 1) >= 0.0


@pytest.mark.parametrize("schedule", EVERY_SCHEDULE, ids=repr)
def test_pickle_round_trip(schedule):
    restored = pickle.loads(pickle.dumps(schedule))
    assert restored == schedule
    assert type(restored) is type(schedule)
    assert [restored(t) for t in STEPS] == [schedule(t) for t in STEPS]


@pytest.mark.parametrize("schedule", EVERY_SCHEDULE[:-1], ids=repr)
def test_repr_recreates_the_schedule(schedule):
    namespace = {name: getattr(schedules, name) for name in schedules.__all__}
    assert eval(repr(schedule), namespace) == schedule


def test_repr_reads_as_the_parameters():
    assert (
        repr(cosine_decay(0.01, 1000)) == "CosineDecay(initial=0.01, decay_steps=1000, alpha=0.0)"
    )
    assert repr(linear_warmup(step_decay(1, 5), 2)) == (
        "LinearWarmup(after=StepDecay(initial=1.0, step_size=5, gamma=0.1), "
        "warmup_steps=2, initial=0.0)"
    )


@pytest.mark.parametrize("schedule", EVERY_SCHEDULE, ids=repr)
def test_schedules_are_frozen(schedule):
    field = dataclasses.fields(schedule)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(schedule, field, 1.0)


def test_equal_schedules_hash_equal():
    assert hash(cosine_decay(0.1, 10)) == hash(cosine_decay(0.1, 10))
    assert cosine_decay(0.1, 10) != cosine_decay(0.1, 11)
    assert len({step_decay(0.1, 5), step_decay(0.1, 5), step_decay(0.1, 6)}) == 2


def test_parameters_are_normalised_to_python_types():
    schedule = exponential_decay(np.float32(0.5), np.float64(0.5), np.int64(10), np.bool_(True))
    assert (type(schedule.initial), type(schedule.decay_rate)) == (float, float)
    assert type(schedule.decay_steps) is int and schedule.staircase is True
    assert step_decay(1, 2, gamma=Fraction(1, 2)) == step_decay(1.0, 2, gamma=0.5)


def test_factories_are_the_classes():
    pairs = [
        (constant, Constant),
        (exponential_decay, ExponentialDecay),
        (step_decay, StepDecay),
        (inverse_time_decay, InverseTimeDecay),
        (cosine_decay, CosineDecay),
        (linear_warmup, LinearWarmup),
    ]
    for factory, cls in pairs:
        assert factory is cls
        assert _factory_name(cls) in schedules.__all__ and cls.__name__ in schedules.__all__
    assert "validated_rate" in schedules.__all__
    assert all(hasattr(schedules, name) for name in schedules.__all__)


GOOD_RATES = [
    (0.1, 0.1),
    (0.0, 0.0),
    (0, 0.0),
    (3, 3.0),
    (np.float32(0.5), 0.5),
    (np.float64(1e-3), 1e-3),
    (np.int64(2), 2.0),
    (Fraction(1, 4), 0.25),
]


@pytest.mark.parametrize(("value", "expected"), GOOD_RATES, ids=repr)
def test_validated_rate_returns_a_python_float(value, expected):
    rate = validated_rate(value, 7)
    assert type(rate) is float and rate == expected


BAD_RATES = [
    (-0.1, ValueError),
    (-1, ValueError),
    (math.nan, ValueError),
    (math.inf, ValueError),
    (-math.inf, ValueError),
    (np.float64(np.nan), ValueError),
    (10**400, ValueError),
    (None, TypeError),
    ("0.1", TypeError),
    (True, TypeError),
    (np.bool_(False), TypeError),
    (np.array(0.1), TypeError),
    ([0.1], TypeError),
    (0.1 + 0j, TypeError),
]


@pytest.mark.parametrize(("value", "error"), BAD_RATES, ids=repr)
def test_validated_rate_rejects_bad_returns(value, error):
    with pytest.raises(error) as raised:
        validated_rate(value, 12)
    assert type(raised.value) is error
    assert str(raised.value) == (
        f"The learning-rate schedule returned {value!r} at step 12; "
        "it must return a finite float >= 0."
    )


def test_docstring_examples():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(schedules, "rmsopt.schedules", globs={})
    assert sum(len(test.examples) for test in tests) > 0
    for test in tests:
        runner.run(test)
    assert runner.failures == 0


def test_every_public_schedule_documents_its_equation_and_framework():
    for cls in (Constant, ExponentialDecay, StepDecay, InverseTimeDecay, CosineDecay, LinearWarmup):
        doc = cls.__doc__
        assert "Parameters\n    ----------" in doc and "Examples\n    --------" in doc
        assert "Matches" in doc


def torch_rates(make_scheduler, initial, n_steps):
    """The learning rate torch uses at steps 0 .. n_steps - 1, one scheduler step per step."""
    torch = pytest.importorskip("torch")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=initial)
    scheduler = make_scheduler(torch.optim.lr_scheduler, optimizer)
    rates = []
    for _ in range(n_steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def test_step_decay_matches_torch_step_lr():
    theirs = torch_rates(lambda lr, opt: lr.StepLR(opt, step_size=7, gamma=0.5), 0.1, 60)
    ours = [step_decay(0.1, 7, gamma=0.5)(t) for t in range(60)]
    assert ours == pytest.approx(theirs, rel=1e-13)


def test_exponential_decay_matches_torch_exponential_lr():
    theirs = torch_rates(lambda lr, opt: lr.ExponentialLR(opt, gamma=0.9), 0.1, 60)
    ours = [exponential_decay(0.1, 0.9, 1)(t) for t in range(60)]
    assert ours == pytest.approx(theirs, rel=1e-13)


def test_cosine_decay_matches_torch_cosine_annealing_up_to_decay_steps():
    theirs = torch_rates(lambda lr, opt: lr.CosineAnnealingLR(opt, T_max=50, eta_min=0.01), 0.1, 51)
    ours = [cosine_decay(0.1, 50, alpha=0.1)(t) for t in range(51)]
    assert ours == pytest.approx(theirs, rel=1e-12)
