"""Learning-rate schedules: closed-form values, composition, validation, pickling, torch."""

import dataclasses
import doctest
import inspect
import json
import math
import pickle
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rmsopt import schedules
from rmsopt.schedules import (
    Constant,
    CosineDecay,
    CosineRestarts,
    Cyclic,
    ExponentialDecay,
    InverseTimeDecay,
    LinearWarmup,
    OneCycle,
    PiecewiseConstant,
    Polynomial,
    ReduceOnPlateau,
    StepDecay,
    constant,
    cosine_decay,
    cosine_restarts,
    cyclic,
    exponential_decay,
    inverse_time_decay,
    linear_warmup,
    one_cycle,
    piecewise_constant,
    polynomial,
    reduce_on_plateau,
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
FLAG = "a bool (True or False, or 0 or 1)"


def shown(got):
    """What a message shows of a value: messages cut a value longer than 80 characters."""
    return got if len(got) <= 80 else got[:77] + "..."


AFTER = "a float in the range (0, inf) or a schedule (a callable t -> learning rate)"
FLOAT = "a float in the range [0, inf)"
BELOW_ONE = "a float in the range [0, 1)"
COUNT_ZERO_OR_NONE = "an integer in the range [0, 2**63 - 1] or None"
MILESTONES = "a sequence of integers in the range [0, 2**63 - 1]"
CYCLIC_MODE = "one of 'triangular', 'triangular2', 'exp_range'"
ANNEAL = "one of 'cos', 'linear'"
PLATEAU_MODE = "one of 'min', 'max'"
THRESHOLD_MODE = "one of 'rel', 'abs'"

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
        {"initial": 0.1, "decay_rate": 0.5, "decay_steps": 10.5},
        ValueError,
        "decay_steps",
        COUNT,
        "10.5",
    ),
    (
        exponential_decay,
        {"initial": 0.1, "decay_rate": 0.5, "decay_steps": 10, "staircase": 2},
        ValueError,
        "staircase",
        FLAG,
        "2",
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
    (cosine_decay, {"initial": 0.1, "decay_steps": 1.5}, ValueError, "decay_steps", COUNT, "1.5"),
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
        {"after": 0.1, "warmup_steps": 1.5},
        ValueError,
        "warmup_steps",
        COUNT_OR_ZERO,
        "1.5",
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
    (
        linear_warmup,
        {"after": reduce_on_plateau(0.1), "warmup_steps": 10},
        TypeError,
        "after",
        AFTER + " that does not need the loss",
        repr(reduce_on_plateau(0.1)),
    ),
    (polynomial, {"initial": 0.0}, ValueError, "initial", FLOAT_POSITIVE, "0.0"),
    (polynomial, {"initial": 0.1, "total_iters": 0}, ValueError, "total_iters", COUNT, "0"),
    (polynomial, {"initial": 0.1, "total_iters": 2.5}, ValueError, "total_iters", COUNT, "2.5"),
    (polynomial, {"initial": 0.1, "power": -1.0}, ValueError, "power", FLOAT, "-1.0"),
    (polynomial, {"initial": 0.1, "power": math.inf}, ValueError, "power", FLOAT, "inf"),
    (polynomial, {"initial": 0.1, "power": "2"}, TypeError, "power", FLOAT, "'2'"),
    (
        piecewise_constant,
        {"initial": -1.0, "milestones": [3]},
        ValueError,
        "initial",
        FLOAT_POSITIVE,
        "-1.0",
    ),
    (
        piecewise_constant,
        {"initial": 0.1, "milestones": [3, -1]},
        ValueError,
        "milestones",
        MILESTONES,
        "[3, -1]",
    ),
    (
        piecewise_constant,
        {"initial": 0.1, "milestones": (3, 4.5)},
        ValueError,
        "milestones",
        MILESTONES,
        "(3, 4.5)",
    ),
    (
        piecewise_constant,
        {"initial": 0.1, "milestones": [3, "4"]},
        TypeError,
        "milestones",
        MILESTONES,
        "[3, '4']",
    ),
    (
        piecewise_constant,
        {"initial": 0.1, "milestones": 3},
        TypeError,
        "milestones",
        MILESTONES,
        "3",
    ),
    (
        piecewise_constant,
        {"initial": 0.1, "milestones": "30"},
        TypeError,
        "milestones",
        MILESTONES,
        "'30'",
    ),
    (
        piecewise_constant,
        {"initial": 0.1, "milestones": None},
        TypeError,
        "milestones",
        MILESTONES,
        "None",
    ),
    (
        piecewise_constant,
        {"initial": 0.1, "milestones": [3], "gamma": 1.5},
        ValueError,
        "gamma",
        FACTOR,
        "1.5",
    ),
    (cyclic, {"base_lr": -0.1, "max_lr": 1.0}, ValueError, "base_lr", FLOAT_NONNEGATIVE, "-0.1"),
    (cyclic, {"base_lr": 0.1, "max_lr": 0.0}, ValueError, "max_lr", FLOAT_POSITIVE, "0.0"),
    (
        cyclic,
        {"base_lr": 0.1, "max_lr": 1.0, "step_size_up": 0},
        ValueError,
        "step_size_up",
        COUNT,
        "0",
    ),
    (
        cyclic,
        {"base_lr": 0.1, "max_lr": 1.0, "step_size_down": -1},
        ValueError,
        "step_size_down",
        COUNT_ZERO_OR_NONE,
        "-1",
    ),
    (
        cyclic,
        {"base_lr": 0.1, "max_lr": 1.0, "mode": "exp"},
        ValueError,
        "mode",
        CYCLIC_MODE,
        "'exp'",
    ),
    (cyclic, {"base_lr": 0.1, "max_lr": 1.0, "mode": 2}, TypeError, "mode", CYCLIC_MODE, "2"),
    (cyclic, {"base_lr": 0.1, "max_lr": 1.0, "gamma": 1.01}, ValueError, "gamma", FACTOR, "1.01"),
    (one_cycle, {"max_lr": 0.0, "total_steps": 10}, ValueError, "max_lr", FLOAT_POSITIVE, "0.0"),
    (one_cycle, {"max_lr": 0.1, "total_steps": 0}, ValueError, "total_steps", COUNT, "0"),
    (one_cycle, {"max_lr": 0.1, "total_steps": None}, TypeError, "total_steps", COUNT, "None"),
    (
        one_cycle,
        {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5},
        ValueError,
        "pct_start",
        FRACTION,
        "1.5",
    ),
    (
        one_cycle,
        {"max_lr": 0.1, "total_steps": 10, "pct_start": 0.1},
        ValueError,
        "pct_start",
        FRACTION + " other than 1 / total_steps = 0.1",
        "0.1",
    ),
    (
        one_cycle,
        {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "cosine"},
        ValueError,
        "anneal_strategy",
        ANNEAL,
        "'cosine'",
    ),
    (
        one_cycle,
        {"max_lr": 0.1, "total_steps": 10, "div_factor": 0.0},
        ValueError,
        "div_factor",
        FLOAT_POSITIVE,
        "0.0",
    ),
    (
        one_cycle,
        {"max_lr": 0.1, "total_steps": 10, "final_div_factor": -1.0},
        ValueError,
        "final_div_factor",
        FLOAT_POSITIVE,
        "-1.0",
    ),
    (
        one_cycle,
        {"max_lr": 0.1, "total_steps": 10, "three_phase": "yes"},
        TypeError,
        "three_phase",
        FLAG,
        "'yes'",
    ),
    (cosine_restarts, {"initial": 0.0, "T_0": 10}, ValueError, "initial", FLOAT_POSITIVE, "0.0"),
    (cosine_restarts, {"initial": 0.1, "T_0": 0}, ValueError, "T_0", COUNT, "0"),
    (cosine_restarts, {"initial": 0.1, "T_0": 10, "T_mult": 0}, ValueError, "T_mult", COUNT, "0"),
    (
        cosine_restarts,
        {"initial": 0.1, "T_0": 10, "T_mult": 1.5},
        ValueError,
        "T_mult",
        COUNT,
        "1.5",
    ),
    (
        cosine_restarts,
        {"initial": 0.1, "T_0": 10, "eta_min": -0.1},
        ValueError,
        "eta_min",
        FLOAT_NONNEGATIVE,
        "-0.1",
    ),
    (reduce_on_plateau, {"initial": math.nan}, ValueError, "initial", FLOAT_POSITIVE, "nan"),
    (reduce_on_plateau, {"initial": 0.1, "mode": "MIN"}, ValueError, "mode", PLATEAU_MODE, "'MIN'"),
    (reduce_on_plateau, {"initial": 0.1, "factor": 1.0}, ValueError, "factor", BELOW_ONE, "1.0"),
    (reduce_on_plateau, {"initial": 0.1, "factor": -0.5}, ValueError, "factor", BELOW_ONE, "-0.5"),
    (
        reduce_on_plateau,
        {"initial": 0.1, "patience": -1},
        ValueError,
        "patience",
        COUNT_OR_ZERO,
        "-1",
    ),
    (
        reduce_on_plateau,
        {"initial": 0.1, "threshold": -1e-4},
        ValueError,
        "threshold",
        FLOAT,
        "-0.0001",
    ),
    (
        reduce_on_plateau,
        {"initial": 0.1, "threshold_mode": "relative"},
        ValueError,
        "threshold_mode",
        THRESHOLD_MODE,
        "'relative'",
    ),
    (
        reduce_on_plateau,
        {"initial": 0.1, "cooldown": 0.5},
        ValueError,
        "cooldown",
        COUNT_OR_ZERO,
        "0.5",
    ),
    (reduce_on_plateau, {"initial": 0.1, "min_lr": -1.0}, ValueError, "min_lr", FLOAT, "-1.0"),
    (reduce_on_plateau, {"initial": 0.1, "eps": math.nan}, ValueError, "eps", FLOAT, "nan"),
    (reduce_on_plateau, {"initial": 0.1, "eps": None}, TypeError, "eps", FLOAT, "None"),
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
        f"Got {shown(got)} instead."
    )


def _factory_name(factory):
    return {
        Constant: "constant",
        ExponentialDecay: "exponential_decay",
        StepDecay: "step_decay",
        InverseTimeDecay: "inverse_time_decay",
        CosineDecay: "cosine_decay",
        LinearWarmup: "linear_warmup",
        Polynomial: "polynomial",
        PiecewiseConstant: "piecewise_constant",
        Cyclic: "cyclic",
        OneCycle: "one_cycle",
        CosineRestarts: "cosine_restarts",
        ReduceOnPlateau: "reduce_on_plateau",
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
    polynomial(0.1, 50, power=0.9),
    piecewise_constant(0.1, [30, 80, 80], gamma=0.5),
    cyclic(0.01, 0.1, 20),
    cyclic(0.0, 0.1, 7, 13, mode="triangular2"),
    cyclic(0.01, 0.1, 10, 0, mode="exp_range", gamma=0.99),
    one_cycle(0.1, 100),
    one_cycle(0.1, 100, pct_start=0.25, anneal_strategy="linear", three_phase=True),
    cosine_restarts(0.1, 10, T_mult=2, eta_min=0.001),
    reduce_on_plateau(0.1, mode="max", patience=3),
    # Last: a warmup over a user function, whose repr does not recreate it.
    linear_warmup(halving_every_ten, 10),
]


@pytest.mark.parametrize("schedule", EVERY_SCHEDULE, ids=repr)
@pytest.mark.parametrize(
    ("t", "error", "got"),
    [(-1, ValueError, "-1"), (1.5, ValueError, "1.5"), ("3", TypeError, "'3'")]
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
    for field in dataclasses.fields(schedule):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(schedule, field.name, 1.0)


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
        (polynomial, Polynomial),
        (piecewise_constant, PiecewiseConstant),
        (cyclic, Cyclic),
        (one_cycle, OneCycle),
        (cosine_restarts, CosineRestarts),
        (reduce_on_plateau, ReduceOnPlateau),
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


SCHEDULE_CLASSES = (
    Constant,
    ExponentialDecay,
    StepDecay,
    InverseTimeDecay,
    CosineDecay,
    LinearWarmup,
    Polynomial,
    PiecewiseConstant,
    Cyclic,
    OneCycle,
    CosineRestarts,
    ReduceOnPlateau,
)


def test_every_public_schedule_documents_its_equation_and_framework():
    for cls in SCHEDULE_CLASSES:
        doc = cls.__doc__
        assert "Parameters\n    ----------" in doc and "Examples\n    --------" in doc
        assert "Matches" in doc


def torch_rates(make_scheduler, initial, n_steps):
    """The learning rate torch uses at steps 0 .. n_steps - 1, one scheduler step per step."""
    torch = pytest.importorskip("torch")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=initial)
    scheduler = make_scheduler(torch.optim.lr_scheduler, optimizer)
    rates = []
    for step in range(n_steps):
        rates.append(optimizer.param_groups[0]["lr"])
        assert scheduler.get_last_lr() == [rates[-1]]
        if step < n_steps - 1:  # OneCycleLR refuses to step past its last step
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


# torch's schedulers: each next to a twin written here from the torch documentation's equations,
# and run against torch.optim.lr_scheduler itself.

MANY_STEPS = [*range(700), 999, 1000, 1001, 4321, 12345, 10**6 + 7]


def polynomial_twin(initial, total_iters=5, power=1.0):
    return lambda t: initial * (1 - min(t, total_iters) / total_iters) ** power


def multistep_twin(initial, milestones, gamma=0.1):
    return lambda t: initial * gamma ** sum(1 for milestone in milestones if milestone <= t)


def cyclic_twin(
    base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular", gamma=1.0
):
    """The CLR triangle, located in the cycle with integer arithmetic."""
    down = step_size_up if step_size_down is None else step_size_down
    length = step_size_up + down

    def rate(t):
        cycle, position = divmod(t, length)  # cycle counted from 0 here
        if position <= step_size_up:
            height = position / step_size_up
        else:
            height = (length - position) / down
        scale = {"triangular": 1.0, "triangular2": 0.5**cycle, "exp_range": gamma**t}[mode]
        return base_lr + (max_lr - base_lr) * height * scale

    return rate


def one_cycle_twin(
    max_lr,
    total_steps,
    pct_start=0.3,
    anneal_strategy="cos",
    div_factor=25.0,
    final_div_factor=1e4,
    three_phase=False,
):
    """Interpolation between (step, rate) knots; held at the last rate after the last step."""
    first = max_lr / div_factor
    last = first / final_div_factor
    peak = pct_start * total_steps - 1
    if three_phase:
        knots = [(0, first), (peak, max_lr), (2 * pct_start * total_steps - 2, first)]
    else:
        knots = [(0, first), (peak, max_lr)]
    knots.append((total_steps - 1, last))

    def rate(t):
        t = min(t, total_steps - 1)
        segments = list(zip(knots, knots[1:], strict=False))
        (a, u), (b, v) = next((segment for segment in segments if t <= segment[1][0]), segments[-1])
        fraction = (t - a) / (b - a)
        if anneal_strategy == "cos":
            return v + (u - v) * (1 + math.cos(math.pi * fraction)) / 2
        return u + (v - u) * fraction

    return rate


def cosine_restarts_twin_rates(initial, T_0, T_mult=1, eta_min=0.0, n_steps=1):
    """SGDR as the torch documentation steps it: T_cur counts up, restarts at T_i."""
    rates, t_cur, t_i = [], 0, T_0
    for _ in range(n_steps):
        rates.append(eta_min + 0.5 * (initial - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)))
        t_cur += 1
        if t_cur >= t_i:
            t_cur -= t_i
            t_i *= T_mult
    return rates


STATELESS_TWINS = [
    (polynomial(0.1), polynomial_twin(0.1)),
    (polynomial(0.1, 300, power=2.0), polynomial_twin(0.1, 300, 2.0)),
    (polynomial(2.0, 77, power=0.5), polynomial_twin(2.0, 77, 0.5)),
    (polynomial(0.1, 10, power=0.0), polynomial_twin(0.1, 10, 0.0)),
    (piecewise_constant(0.1, [30, 80]), multistep_twin(0.1, [30, 80])),
    (piecewise_constant(0.1, [80, 30, 30, 0], 0.5), multistep_twin(0.1, [80, 30, 30, 0], 0.5)),
    (piecewise_constant(0.1, []), multistep_twin(0.1, [])),
    (cyclic(0.001, 0.1), cyclic_twin(0.001, 0.1)),
    (cyclic(0.001, 0.1, 20), cyclic_twin(0.001, 0.1, 20)),
    (cyclic(0.0, 0.3, 7, 13, "triangular2"), cyclic_twin(0.0, 0.3, 7, 13, "triangular2")),
    (
        cyclic(0.01, 0.1, 10, 3, "exp_range", 0.995),
        cyclic_twin(0.01, 0.1, 10, 3, "exp_range", 0.995),
    ),
    (cyclic(0.2, 0.05, 5, 0), cyclic_twin(0.2, 0.05, 5, 0)),
    (cyclic(0.0, 1.0, 1, 1, "triangular2"), cyclic_twin(0.0, 1.0, 1, 1, "triangular2")),
    (one_cycle(0.1, 500), one_cycle_twin(0.1, 500)),
    (
        one_cycle(0.1, 333, 0.4, "linear", 10.0, 100.0),
        one_cycle_twin(0.1, 333, 0.4, "linear", 10.0, 100.0),
    ),
    (
        one_cycle(1.0, 600, 0.25, "cos", three_phase=True),
        one_cycle_twin(1.0, 600, 0.25, "cos", three_phase=True),
    ),
    (
        one_cycle(1.0, 7, 0.75, "linear", three_phase=True),
        one_cycle_twin(1.0, 7, 0.75, "linear", three_phase=True),
    ),
    (one_cycle(0.1, 50, 0.0), one_cycle_twin(0.1, 50, 0.0)),
    (one_cycle(0.1, 50, 1.0), one_cycle_twin(0.1, 50, 1.0)),
    (one_cycle(0.1, 1), one_cycle_twin(0.1, 1)),
]


@pytest.mark.parametrize(("schedule", "twin"), STATELESS_TWINS, ids=repr)
def test_torch_schedules_follow_the_documented_equations(schedule, twin):
    # Not 1e-14: the schedules reproduce torch's float arithmetic (one decay per milestone, the
    # position in a cycle as 1 + t / L - floor(1 + t / L), whose rounding grows with t), which
    # the twins avoid. 1e-12 up to t = 10**4, then in proportion to t.
    for t in MANY_STEPS:
        rate = schedule(t)
        assert type(rate) is float and rate >= 0.0
        assert rate == pytest.approx(twin(t), rel=1e-12 * max(1.0, t / 1e4), abs=1e-300), t


@pytest.mark.parametrize(
    ("T_0", "T_mult", "eta_min"),
    [(10, 1, 0.0), (7, 2, 0.001), (3, 3, 0.05), (1, 1, 0.0), (1, 2, 0.0)],
)
def test_cosine_restarts_follows_the_documented_recursion(T_0, T_mult, eta_min):
    n_steps = 13_000
    twin = cosine_restarts_twin_rates(0.1, T_0, T_mult, eta_min, n_steps)
    schedule = cosine_restarts(0.1, T_0, T_mult, eta_min)
    assert [schedule(t) for t in range(n_steps)] == pytest.approx(twin, rel=1e-14, abs=1e-300)


# (our schedule, the torch scheduler, the rate the torch optimizer is made with, steps)
TORCH_EXACT = [
    (piecewise_constant(0.1, [30, 80]), lambda lr, o: lr.MultiStepLR(o, [30, 80]), 0.1, 300),
    (
        piecewise_constant(0.1, [10, 10, 50, 0, 200, 7, 7, 7], gamma=0.7),
        lambda lr, o: lr.MultiStepLR(o, [10, 10, 50, 0, 200, 7, 7, 7], gamma=0.7),
        0.1,
        300,
    ),
    (piecewise_constant(0.1, []), lambda lr, o: lr.MultiStepLR(o, []), 0.1, 300),
    (
        cyclic(0.001, 0.1),
        lambda lr, o: lr.CyclicLR(o, 0.001, 0.1, cycle_momentum=False),
        0.001,
        4500,
    ),
    *[
        (
            cyclic(base, peak, up, down, mode, gamma),
            lambda lr, o, a=(base, peak, up, down, mode, gamma): lr.CyclicLR(
                o, *a, cycle_momentum=False
            ),
            base,
            400,
        )
        for base, peak in [(0.001, 0.1), (0.0, 0.3), (0.2, 0.05)]
        for up, down, mode, gamma in [
            (20, None, "triangular", 1.0),
            (7, 13, "triangular2", 1.0),
            (10, 3, "exp_range", 0.99),
            (9, None, "exp_range", 1.0),
            (5, 0, "triangular", 1.0),
            (1, 1, "triangular2", 1.0),
        ]
    ],
    (
        one_cycle(0.1, 1000),
        lambda lr, o: lr.OneCycleLR(o, 0.1, 1000, cycle_momentum=False),
        0.1,
        1000,
    ),
    *[
        (
            one_cycle(0.1, total, pct, strategy, 10.0, 1e3, three),
            lambda lr, o, a=(total, pct, strategy, three): lr.OneCycleLR(
                o,
                0.1,
                a[0],
                pct_start=a[1],
                anneal_strategy=a[2],
                div_factor=10.0,
                final_div_factor=1e3,
                three_phase=a[3],
                cycle_momentum=False,
            ),
            0.1,
            total,
        )
        for total in (1, 2, 7, 300)
        for pct in (0.0, 0.25, 0.3, 0.5, 0.75, 1.0)
        for strategy in ("cos", "linear")
        for three in (False, True)
        if pct * total != 1.0
    ],
    (cosine_restarts(0.1, 10), lambda lr, o: lr.CosineAnnealingWarmRestarts(o, 10), 0.1, 300),
    *[
        (
            cosine_restarts(0.1, T_0, T_mult, eta_min),
            lambda lr, o, a=(T_0, T_mult, eta_min): lr.CosineAnnealingWarmRestarts(o, *a),
            0.1,
            700,
        )
        for T_0, T_mult, eta_min in [
            (7, 2, 0.001),
            (3, 3, 0.05),
            (1, 1, 0.0),
            (1, 2, 0.0),
            (50, 1, 0.2),
        ]
    ],
]


@pytest.mark.parametrize(
    ("schedule", "make_scheduler", "initial", "n_steps"), TORCH_EXACT, ids=repr
)
def test_matches_torch_bit_for_bit(schedule, make_scheduler, initial, n_steps):
    theirs = torch_rates(make_scheduler, initial, n_steps)
    assert [schedule(t) for t in range(n_steps)] == theirs


@pytest.mark.parametrize(
    ("total_iters", "power"), [(5, 1.0), (50, 0.9), (300, 2.0), (250, 0.5), (9, 0.0)]
)
def test_polynomial_matches_torch_polynomial_lr(total_iters, power):
    theirs = torch_rates(lambda lr, o: lr.PolynomialLR(o, total_iters, power), 0.1, 400)
    ours = [polynomial(0.1, total_iters, power)(t) for t in range(400)]
    # torch multiplies the rate by ((1 - t / N) / (1 - (t - 1) / N)) ** power at every step
    # instead of evaluating the closed form, so the two part in the last bits (about 1e-15).
    assert ours == pytest.approx(theirs, rel=1e-12, abs=0.0)
    if power > 0:
        assert ours[total_iters:] == theirs[total_iters:] == [0.0] * (400 - total_iters)
    assert polynomial(0.1)(0) == theirs[0] == 0.1


def test_the_defaults_are_torchs():
    torch = pytest.importorskip("torch")
    lr_scheduler = torch.optim.lr_scheduler
    pairs = [
        (Polynomial, lr_scheduler.PolynomialLR),
        (PiecewiseConstant, lr_scheduler.MultiStepLR),
        (Cyclic, lr_scheduler.CyclicLR),
        (OneCycle, lr_scheduler.OneCycleLR),
        (CosineRestarts, lr_scheduler.CosineAnnealingWarmRestarts),
        (ReduceOnPlateau, lr_scheduler.ReduceLROnPlateau),
    ]
    for ours, theirs in pairs:
        their_parameters = inspect.signature(theirs).parameters
        shared = 0
        for parameter in inspect.signature(ours).parameters.values():
            if parameter.name in their_parameters and parameter.default is not parameter.empty:
                shared += 1
                assert parameter.default == their_parameters[parameter.name].default, parameter
        assert shared >= 1


def test_one_cycle_stays_at_its_last_rate_after_total_steps():
    for schedule in [
        one_cycle(0.1, 100),
        one_cycle(0.1, 100, anneal_strategy="linear", three_phase=True),
        one_cycle(0.1, 1),
    ]:
        last = schedule(schedule.total_steps - 1)
        assert last == pytest.approx(0.1 / 25.0 / 1e4, rel=1e-12)
        assert [schedule(schedule.total_steps + k) for k in (0, 1, 100, 2**62)] == [last] * 4
    # With pct_start=1 the schedule ends at its peak and stays there.
    assert one_cycle(0.1, 10, pct_start=1.0)(10**9) == 0.1


def test_torch_one_cycle_extrapolates_one_step_past_the_end_then_raises():
    # What the documented hold replaces: at t = total_steps torch runs the last phase one step
    # past its end (below the final rate with "linear", which can go negative), then raises.
    torch = pytest.importorskip("torch")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, 0.1, total_steps=10, anneal_strategy="linear", cycle_momentum=False
    )
    for _ in range(10):
        optimizer.step()
        scheduler.step()
    assert scheduler.get_last_lr()[0] < 0.0
    assert one_cycle(0.1, 10, anneal_strategy="linear")(10) > 0.0
    optimizer.step()
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        scheduler.step()


def test_one_cycle_refuses_the_pct_start_torch_divides_by_zero_on():
    with pytest.raises(ValueError, match="'pct_start' parameter of one_cycle"):
        one_cycle(0.1, 4, pct_start=0.25)
    torch = pytest.importorskip("torch")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ZeroDivisionError):
        torch.optim.lr_scheduler.OneCycleLR(optimizer, 0.1, total_steps=4, pct_start=0.25)


def test_piecewise_constant_counts_repeated_milestones_and_ignores_order():
    schedule = piecewise_constant(1.0, [6, 2, 6, 6], gamma=0.5)
    assert schedule.milestones == (2, 6, 6, 6)
    assert [schedule(t) for t in (0, 1, 2, 5, 6, 100)] == [1.0, 1.0, 0.5, 0.5, 0.0625, 0.0625]
    assert schedule == piecewise_constant(1.0, (2, 6, 6, 6), gamma=0.5)
    assert piecewise_constant(1.0, [0], gamma=0.5)(0) == 0.5  # a milestone at 0, as in torch
    assert piecewise_constant(1.0, np.array([3, 1]), 0.5).milestones == (1, 3)
    assert piecewise_constant(1.0, range(1, 4), 0.5)(10) == 0.125
    assert piecewise_constant(1.0, (m for m in [5]), 0.5).milestones == (5,)
    assert all(type(m) is int for m in piecewise_constant(1.0, [np.int64(3), 4.0]).milestones)
    assert hash(schedule) == hash(piecewise_constant(1.0, [2, 6, 6, 6], gamma=0.5))


def test_polynomial_reaches_zero_and_stays():
    schedule = polynomial(0.5, total_iters=10, power=3.0)
    assert schedule(9) > 0.0
    assert [schedule(t) for t in (10, 11, 10**6, 2**63 - 1)] == [0.0] * 4
    assert polynomial(0.5, 10, power=0.0)(10**6) == 0.5


def test_cyclic_shapes():
    up_down = cyclic(1.0, 3.0, step_size_up=2, step_size_down=4)
    assert [up_down(t) for t in range(8)] == pytest.approx(
        [1.0, 2.0, 3.0, 2.5, 2.0, 1.5, 1.0, 2.0], rel=1e-15
    )
    sawtooth = cyclic(0.0, 1.0, step_size_up=4, step_size_down=0)
    assert [sawtooth(t) for t in range(9)] == [0.0, 0.25, 0.5, 0.75, 0.0, 0.25, 0.5, 0.75, 0.0]
    downward = cyclic(1.0, 0.5, step_size_up=1)
    assert [downward(t) for t in range(4)] == [1.0, 0.5, 1.0, 0.5]
    exp_range = cyclic(0.0, 1.0, step_size_up=1, mode="exp_range", gamma=0.5)
    assert [exp_range(t) for t in range(6)] == [0.0, 0.5, 0.0, 0.125, 0.0, 0.03125]
    assert cyclic(0.0, 1.0, 1, mode="triangular", gamma=0.5)(3) == 1.0  # gamma is exp_range's


def test_triangular2_settles_on_base_lr_where_torch_overflows():
    schedule = cyclic(0.01, 0.1, step_size_up=1, mode="triangular2")
    peak = 2 * 1100 + 1  # the peak of cycle 1101, whose amplitude 2**-1100 is below any float
    assert schedule(peak) == 0.01
    assert schedule(2 * 1023 + 1) == 0.01 + 0.09 * 2.0**-1023  # still exact
    with pytest.raises(OverflowError):
        2.0 ** (1101 - 1)  # torch's 1 / (2.0 ** (cycle - 1)) at that cycle
    assert schedule(2**63 - 1) == 0.01


def test_cosine_restarts_periods():
    schedule = cosine_restarts(1.0, T_0=3, T_mult=2, eta_min=0.1)
    starts = [0, 3, 9, 21, 45]  # periods of 3, 6, 12, 24 steps
    assert all(schedule(t) == 1.0 for t in starts)
    assert all(schedule(t - 1) < schedule(t - 2) < 1.0 for t in starts[1:])
    assert schedule(3 + 3) == pytest.approx(0.55, rel=1e-15)  # half-way through the second period
    assert cosine_restarts(1.0, 5)(5 * 10**15 + 5) == 1.0
    assert 0.0 <= cosine_restarts(1.0, 5, T_mult=7)(2**63 - 1) <= 1.0


@given(
    schedule=st.one_of(
        st.builds(Polynomial, st.floats(1e-8, 1e3), st.integers(1, 10**6), st.floats(0.0, 10.0)),
        st.builds(
            PiecewiseConstant,
            st.floats(1e-8, 1e3),
            st.lists(st.integers(0, 10**6), max_size=6),
            st.floats(1e-3, 1.0),
        ),
        st.builds(
            Cyclic,
            st.floats(0.0, 1e3),
            st.floats(1e-8, 1e3),
            st.integers(1, 10**4),
            st.none() | st.integers(0, 10**4),
            st.sampled_from(["triangular", "triangular2", "exp_range"]),
            st.floats(1e-3, 1.0),
        ),
        st.builds(
            OneCycle,
            st.floats(1e-8, 1e3),
            st.integers(2, 10**5),
            st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.45, 0.8, 1.0]),
            st.sampled_from(["cos", "linear"]),
            st.floats(1.0, 1e3),
            st.floats(1.0, 1e5),
            st.booleans(),
        ),
        st.builds(
            CosineRestarts,
            st.floats(1e-8, 1e3),
            st.integers(1, 10**4),
            st.integers(1, 5),
            st.floats(0.0, 1.0),
        ),
    ),
    t=st.integers(0, 2**63 - 1) | st.integers(0, 10**5),
)
def test_torch_schedules_stay_within_their_bounds(schedule, t):
    rate = schedule(t)
    assert validated_rate(rate, t) == rate
    if isinstance(schedule, (Polynomial, PiecewiseConstant)):
        assert rate <= schedule(0) and schedule(t + 1) <= rate
    elif isinstance(schedule, Cyclic):
        low, high = sorted((schedule.base_lr, schedule.max_lr))
        assert low * (1 - 1e-12) <= rate <= high * (1 + 1e-12)
    elif isinstance(schedule, OneCycle):
        first = schedule.max_lr / schedule.div_factor
        # A linear phase can end an ulp of its start below its end.
        assert first / schedule.final_div_factor - 1e-15 * max(first, schedule.max_lr) <= rate
        assert rate <= schedule.max_lr * (1 + 1e-12)
    else:
        low, high = sorted((schedule.eta_min, schedule.initial))
        assert low * (1 - 1e-12) <= rate <= high * (1 + 1e-12)


# reduce_on_plateau: the same losses to torch, to a twin and to ours.


class PlateauTwin:
    """ReduceLROnPlateau as the torch documentation describes it."""

    def __init__(
        self,
        lr,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0.0,
        eps=1e-8,
    ):
        self.lr, self.mode, self.factor, self.patience = lr, mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.bad = self.cooldown_left = 0

    def improves(self, value):
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return value < self.best * (1 - self.threshold)
            return value < self.best - self.threshold
        if self.threshold_mode == "rel":
            return value > self.best * (1 + self.threshold)
        return value > self.best + self.threshold

    def step(self, value):
        if self.improves(value):
            self.best, self.bad = value, 0
        else:
            self.bad += 1
        if self.cooldown_left > 0:  # bad epochs in cooldown are ignored
            self.cooldown_left -= 1
            self.bad = 0
        if self.bad > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_left, self.bad = self.cooldown, 0
        return self.lr


def plateau_losses(mode, n=400, seed=0):
    """Losses with plateaus, improvements below and above both thresholds, setbacks and NaN."""
    rng = random.Random(seed)
    loss, reported = 1.0, []
    changes = {
        "flat": 1.0,
        "below both thresholds": 1 - 5e-5,  # under rel 1e-4 and, near 1, under abs 1e-3
        "between the thresholds": 1 - 5e-4,  # over rel 1e-4, under abs 1e-3 near 1
        "above both thresholds": 0.9,
    }
    kinds = [*changes, "setback", "nan"]
    for _ in range(n):
        kind = rng.choices(kinds, weights=[6, 2, 2, 2, 2, 1])[0]
        if kind == "setback":
            reported.append(loss * 1.5)
        elif kind == "nan":
            reported.append(math.nan)
        else:
            loss *= changes[kind]
            reported.append(loss)
    # For "max", the reciprocal: it rises where the loss falls, by the same relative amount.
    return reported if mode == "min" else [1.0 / value for value in reported]


PLATEAU_CASES = [
    pytest.param({"initial": 0.1}, id="defaults"),
    *[
        pytest.param(
            {
                "initial": 0.1,
                "mode": mode,
                "factor": 0.5,
                "patience": patience,
                "threshold": threshold,
                "threshold_mode": threshold_mode,
                "cooldown": cooldown,
            },
            id=f"{mode}-{threshold_mode}-{threshold}-patience{patience}-cooldown{cooldown}",
        )
        for mode in ("min", "max")
        for threshold_mode, threshold in (("rel", 1e-4), ("abs", 1e-3), ("rel", 0.0))
        for patience in (0, 3)
        for cooldown in (0, 4)
    ],
    pytest.param({"initial": 0.1, "patience": 1, "min_lr": 2e-3}, id="min_lr"),
    pytest.param({"initial": 0.1, "factor": 0.0, "patience": 2, "min_lr": 0.02}, id="factor-0"),
    pytest.param({"initial": 1e-7, "factor": 0.5, "patience": 0}, id="eps-small-rates"),
    pytest.param({"initial": 0.1, "factor": 0.5, "patience": 1, "eps": 0.02}, id="eps-large"),
    pytest.param({"initial": 0.1, "factor": 0.5, "patience": 2, "eps": 0.0}, id="eps-0"),
    pytest.param({"initial": 0.1, "mode": "max", "threshold": 2.0}, id="max-rel-threshold-2"),
]


def torch_plateau(arguments):
    torch = pytest.importorskip("torch")
    options = dict(arguments)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=options.pop("initial"))
    return optimizer, torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **options)


@pytest.mark.parametrize("arguments", PLATEAU_CASES)
def test_reduce_on_plateau_matches_torch_after_every_observation(arguments):
    optimizer, scheduler = torch_plateau(arguments)
    schedule = reduce_on_plateau(**arguments)
    theirs, ours = [], []
    for loss in plateau_losses(schedule.mode):
        optimizer.step()
        scheduler.step(loss)
        theirs.append(scheduler.get_last_lr()[0])
        ours.append(schedule.observe(loss))
        assert schedule(len(ours)) == ours[-1]
        assert schedule.state_dict() == {
            "learning_rate": theirs[-1],
            "best": scheduler.best,
            "num_bad_epochs": scheduler.num_bad_epochs,
            "cooldown_counter": scheduler.cooldown_counter,
            "last_epoch": scheduler.last_epoch,
        }
    assert ours == theirs
    assert len(set(theirs)) >= 2  # the losses made torch cut the rate at least once


@pytest.mark.parametrize("arguments", PLATEAU_CASES)
def test_reduce_on_plateau_follows_the_documented_rule(arguments):
    twin = PlateauTwin(
        **{("lr" if name == "initial" else name): value for name, value in arguments.items()}
    )
    schedule = reduce_on_plateau(**arguments)
    for seed in range(3):
        for loss in plateau_losses(schedule.mode, seed=seed):
            assert schedule.observe(loss) == twin.step(loss)
            assert schedule.best == twin.best


def test_reduce_on_plateau_cases_do_what_their_names_say():
    def run(**arguments):
        schedule = reduce_on_plateau(**arguments)
        return [schedule.observe(loss) for loss in [1.0] * 60]

    assert run(initial=0.1, patience=1, min_lr=2e-3)[-1] == 2e-3  # floored at min_lr
    # 0.1 * 0.1 * 0.1 lands an ulp above 1e-3; reaching 1e-3 from there would be a cut below eps.
    assert run(initial=0.1, patience=1, min_lr=1e-3)[-1] == 0.1 * 0.1 * 0.1 > 1e-3
    assert run(initial=0.1, factor=0.0, patience=2, min_lr=0.02)[3] == 0.02
    # Cuts below eps are skipped: 1e-7 halves to 1.25e-8, whose half is less than eps below it.
    assert min(run(initial=1e-7, factor=0.5, patience=0)) == 1.25e-8
    assert min(run(initial=0.1, factor=0.5, patience=1, eps=0.02)) == 0.025
    cooled = run(initial=1.0, factor=0.5, patience=0, cooldown=2)
    assert cooled[:8] == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    # A setback counts as bad, an improvement under the threshold too, one over it does not.
    schedule = reduce_on_plateau(1.0, factor=0.5, patience=1, threshold=0.1)
    assert [schedule.observe(x) for x in [1.0, 0.95, 0.94, 0.5, 0.6, 0.3]] == [
        1.0,
        1.0,
        0.5,
        0.5,
        0.5,
        0.5,
    ]
    absolute = reduce_on_plateau(1.0, mode="max", factor=0.5, patience=0, threshold_mode="abs")
    assert [absolute.observe(x) for x in [1.0, 1.00005, 1.1, math.nan]] == [1.0, 0.5, 0.5, 0.25]


def test_reduce_on_plateau_rate_ignores_t():
    schedule = reduce_on_plateau(0.1, patience=0)
    assert [schedule(t) for t in (0, 5, 2**63 - 1)] == [0.1] * 3
    schedule.observe(1.0)
    schedule.observe(1.0)
    assert [schedule(t) for t in (0, 5, 2**63 - 1)] == [0.1 * 0.1] * 3


def test_reduce_on_plateau_state_dict_round_trip():
    arguments = {"initial": 0.1, "factor": 0.5, "patience": 2, "cooldown": 3, "min_lr": 1e-4}
    losses = plateau_losses("min", n=300, seed=4)
    uninterrupted = reduce_on_plateau(**arguments)
    expected = [uninterrupted.observe(loss) for loss in losses]
    for cut in (0, 1, 57, 150, 299):
        first = reduce_on_plateau(**arguments)
        before = [first.observe(loss) for loss in losses[:cut]]
        state = first.state_dict()
        assert set(state) == {
            "learning_rate",
            "best",
            "num_bad_epochs",
            "cooldown_counter",
            "last_epoch",
        }
        assert all(type(value) in (float, int) for value in state.values())
        assert state["last_epoch"] == cut
        state = json.loads(json.dumps(state))  # plain numbers: through JSON and back
        second = reduce_on_plateau(**arguments)
        second.load_state_dict(state)
        assert second == first
        after = [second.observe(loss) for loss in losses[cut:]]
        assert before + after == expected
        assert second.state_dict() == uninterrupted.state_dict()
    assert expected[0] != expected[-1]


def test_reduce_on_plateau_pickles_with_its_state():
    schedule = reduce_on_plateau(0.1, factor=0.5, patience=1, cooldown=2)
    losses = plateau_losses("min", n=200, seed=7)
    for loss in losses[:100]:
        schedule.observe(loss)
    restored = pickle.loads(pickle.dumps(schedule))
    assert restored == schedule and restored.state_dict() == schedule.state_dict()
    assert [restored.observe(x) for x in losses[100:]] == [
        schedule.observe(x) for x in losses[100:]
    ]
    assert restored != reduce_on_plateau(0.1, factor=0.5, patience=1, cooldown=2)


def test_reduce_on_plateau_is_stateful_and_unhashable():
    schedule = reduce_on_plateau(0.1)
    with pytest.raises(TypeError):
        hash(schedule)
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.learning_rate = 1.0
    assert "learning_rate" not in repr(schedule)
    # A new one made from the repr starts afresh.
    assert eval(repr(schedule), {"ReduceOnPlateau": ReduceOnPlateau}) == reduce_on_plateau(0.1)


@pytest.mark.parametrize(
    "loss", [1, 2.5, np.float32(0.5), np.float64(3.0), np.int64(2), np.array(1.5), Fraction(1, 3)]
)
def test_reduce_on_plateau_takes_real_losses(loss):
    schedule = reduce_on_plateau(0.1)
    schedule.observe(loss)
    assert schedule.best == float(loss) and type(schedule.best) is float


def test_reduce_on_plateau_takes_a_torch_scalar():
    torch = pytest.importorskip("torch")
    schedule = reduce_on_plateau(0.1)
    schedule.observe(torch.tensor(0.25, dtype=torch.float64))
    assert schedule.best == 0.25 and type(schedule.best) is float


@pytest.mark.parametrize(
    ("loss", "error", "got"),
    [
        ("1.0", TypeError, "'1.0'"),
        (None, TypeError, "None"),
        (True, TypeError, "True"),
        (np.bool_(False), TypeError, repr(np.bool_(False))),
        (1 + 0j, TypeError, "(1+0j)"),
        (np.array([1.0]), TypeError, "array([1.])"),
        (np.array(1 + 0j), TypeError, "array(1.+0.j)"),
        ([1.0], TypeError, "[1.0]"),
        (10**400, ValueError, str(10**400)),
    ],
    ids=repr,
)
def test_reduce_on_plateau_refuses_bad_losses(loss, error, got):
    schedule = reduce_on_plateau(0.1)
    with pytest.raises(error) as raised:
        schedule.observe(loss)
    assert str(raised.value) == (
        "The 'loss' passed to reduce_on_plateau.observe must be a real number within the range "
        f"of a float. Got {shown(got)} instead."
    )
    assert schedule.state_dict()["last_epoch"] == 0


KEYS = "'learning_rate', 'best', 'num_bad_epochs', 'cooldown_counter', 'last_epoch'"
GOOD_STATE = {
    "learning_rate": 0.01,
    "best": 0.5,
    "num_bad_epochs": 2,
    "cooldown_counter": 0,
    "last_epoch": 12,
}


@pytest.mark.parametrize(
    ("state", "error", "message"),
    [
        (
            [1, 2],
            TypeError,
            f"The state passed to reduce_on_plateau.load_state_dict must be a dict with the keys "
            f"{KEYS}. Got [1, 2] instead.",
        ),
        (
            {k: v for k, v in GOOD_STATE.items() if k != "best"},
            ValueError,
            f"The state passed to reduce_on_plateau.load_state_dict must be a dict with the keys "
            f"{KEYS}. Got the keys ['learning_rate', 'num_bad_epochs', 'cooldown_counter', "
            "'last_epoch'] instead.",
        ),
        (
            {**GOOD_STATE, "mode": "min"},
            ValueError,
            f"The state passed to reduce_on_plateau.load_state_dict must be a dict with the keys "
            f"{KEYS}. Got "
            + shown(
                "the keys ['learning_rate', 'best', 'num_bad_epochs', 'cooldown_counter', "
                "'last_epoch', 'mode']"
            )
            + " instead.",
        ),
        (
            {**GOOD_STATE, "best": math.nan},
            ValueError,
            "The 'best' entry of the state passed to reduce_on_plateau.load_state_dict must be a "
            "float in the range [-inf, inf] (not NaN). Got nan instead.",
        ),
        (
            {**GOOD_STATE, "best": "0.5"},
            TypeError,
            "The 'best' entry of the state passed to reduce_on_plateau.load_state_dict must be a "
            "float in the range [-inf, inf] (not NaN). Got '0.5' instead.",
        ),
        (
            {**GOOD_STATE, "learning_rate": -0.1},
            ValueError,
            "The 'learning_rate' entry of the state passed to reduce_on_plateau.load_state_dict "
            "must be a float in the range [0, inf). Got -0.1 instead.",
        ),
        (
            {**GOOD_STATE, "num_bad_epochs": -1},
            ValueError,
            "The 'num_bad_epochs' entry of the state passed to reduce_on_plateau.load_state_dict "
            "must be an integer in the range [0, 2**63 - 1]. Got -1 instead.",
        ),
        (
            {**GOOD_STATE, "last_epoch": None},
            TypeError,
            "The 'last_epoch' entry of the state passed to reduce_on_plateau.load_state_dict "
            "must be an integer in the range [0, 2**63 - 1]. Got None instead.",
        ),
    ],
)
def test_reduce_on_plateau_refuses_a_bad_state(state, error, message):
    schedule = reduce_on_plateau(0.1)
    schedule.observe(3.0)
    before = schedule.state_dict()
    with pytest.raises(error) as raised:
        schedule.load_state_dict(state)
    assert str(raised.value) == message
    assert schedule.state_dict() == before  # nothing changed


def test_reduce_on_plateau_loads_infinite_best_and_normalises_types():
    schedule = reduce_on_plateau(0.1, mode="max")
    schedule.load_state_dict({**GOOD_STATE, "best": -math.inf, "last_epoch": np.int64(3)})
    state = schedule.state_dict()
    assert state["best"] == -math.inf and type(state["last_epoch"]) is int
    assert schedule(0) == 0.01


def test_only_reduce_on_plateau_needs_the_loss():
    for cls in SCHEDULE_CLASSES:
        assert cls.needs_loss is (cls is ReduceOnPlateau), cls
    assert all(schedule.needs_loss is False for schedule in EVERY_SCHEDULE[:-2])
    assert reduce_on_plateau(0.1).needs_loss is True
    assert "needs_loss" not in {field.name for field in dataclasses.fields(ReduceOnPlateau)}
    listed = [getattr(schedules, name) for name in schedules.__all__]
    assert {cls for cls in listed if hasattr(cls, "needs_loss")} == set(SCHEDULE_CLASSES)
