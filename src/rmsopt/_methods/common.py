"""The options every method shares, declared once: the learning rate, ``maximize``,
``threads``, gradient clipping, the termination and history options of `minimize`, its
minibatch options, ``state``, and the optimizer objects' ``nonfinite``."""

from __future__ import annotations

from .._checks.constraints import (
    BatchIterable,
    CallableOrNone,
    Choice,
    Flag,
    HistorySelection,
    Integer,
    RateOrSchedule,
    Real,
    Seed,
    StateMapping,
    Validation,
)
from .._checks.options import Option

__all__ = [
    "CLIPPING_OPTIONS",
    "HISTORY_OPTIONS",
    "MAXIMIZE",
    "MINIBATCH_OPTIONS",
    "NONFINITE",
    "STATE",
    "TERMINATION_OPTIONS",
    "THREADS",
    "learning_rate_option",
    "minimize_learning_rate_option",
    "AVERAGING_OPTIONS",
    "DECOUPLED_WEIGHT_DECAY",
    "LEARNING_RATE_IN_MOMENTUM",
    "beta_options",
    "epsilon_option",
    "method_doc",
    "weight_decay_option",
]


def learning_rate_option(default: float) -> Option:
    """Every method's step size; its default is the method's own (torch's)."""
    return Option(
        "learning_rate",
        default,
        RateOrSchedule(),
        "Step size lr, or a schedule `t -> lr` called once per step with the number of steps "
        "taken before it (0 for the first); see `rmsopt.schedules`.",
    )


def minimize_learning_rate_option(rate: float, starting_rate: float) -> Option:
    """``minimize``'s step size: None by default, resolved by the run (see the doc)."""
    return Option(
        "learning_rate",
        None,
        RateOrSchedule(none_ok=True),
        "Step size lr, or a schedule `t -> lr` called once per step with the number of steps "
        "taken before it (0 for the first); see `rmsopt.schedules`. None (the default): a "
        f"full-batch run starts at {starting_rate!r} and halves the rate whenever `fun` has "
        f"not reached a new low in 20 iterations, `reduce_on_plateau({starting_rate!r}, "
        "factor=0.5, patience=20, threshold=0)`, so that it converges without tuning; a "
        f"minibatch run, like the optimizer class, steps at the constant {rate!r}.",
    )


AVERAGING_OPTIONS = (
    Option(
        "averaging",
        None,
        Choice(("ema", "uniform"), none_ok=True),
        "Keep an average of the iterates, `res.x_average` and the classes' `x_average`: "
        '"ema", an exponential moving average (torch\'s `AveragedModel` with '
        '`get_ema_multi_avg_fn(averaging_decay)`, optax\'s `ema`); "uniform", their mean '
        "(torch's default `AveragedModel`, SWA). None: no average.",
    ),
    Option(
        "averaging_decay",
        0.999,
        Real(0, 1, high_closed=True),
        'The decay of averaging="ema": average <- decay * average + (1 - decay) * x.',
    ),
    Option(
        "averaging_start",
        0,
        Integer(0),
        "The number of steps before the first iterate enters the average (the iterates after "
        "it are averaged; the first of them is copied, as torch's AveragedModel does).",
    ),
)

DECOUPLED_WEIGHT_DECAY = Option(
    "decoupled_weight_decay",
    False,
    Flag(),
    "Shrink x by 1 - lr * weight_decay before each update (as torch's AdamW, optax's "
    "`add_decayed_weights` and Keras's `weight_decay` do) instead of adding weight_decay * x "
    "to the gradient.",
)

LEARNING_RATE_IN_MOMENTUM = Option(
    "learning_rate_in_momentum",
    False,
    Flag(),
    "Accumulate lr times the update in the momentum buffer and step by the buffer (TF1, "
    "Keras, optax) instead of stepping by lr times the buffer (torch). The same for a "
    "constant rate up to rounding; under a schedule the buffer keeps the rates it was built "
    "with.",
)


def method_doc(
    title: str, equations: str, remarks: str, references: str, name: str, example: str = ""
) -> str:
    """A method's docstring in the layout every method shares: ``title``, the calling
    conventions and options (filled in by `Method.function_doc`), the step's ``equations``
    (LaTeX lines of a ``.. math::`` block, indented by four), ``remarks`` after them, the
    ``references``, and an example minimizing ``(x - 3)**2`` with the extra keywords
    ``example`` (e.g. ``", weight_decay=0.0"``)."""
    return f"""{title}

{{calling}}

{{options}}

Notes
-----
With ``g_t`` the gradient of ``fun`` at ``x_{{t-1}}`` (negated when
``maximize``), step ``t = 1, 2, ...`` is

.. math::

{equations}

then ``x_t`` is projected onto ``bounds``. {remarks}

References
----------
{references}

Examples
--------
>>> import numpy as np
>>> import rmsopt
>>> res = rmsopt.{name}(lambda x: np.sum((x - 3.0) ** 2), np.zeros(2),
...     jac=lambda x: 2.0 * (x - 3.0){example}, maxiter=5000)
>>> res.success, bool(np.allclose(res.x, 3.0, atol=1e-5))
(True, True)
"""


def beta_options(beta1: float = 0.9, beta2: float = 0.999) -> tuple[Option, Option]:
    """The decays of a method's first and second moments (torch's ``betas``)."""
    return (
        Option(
            "beta1",
            beta1,
            Real(0, 1),
            "Decay of the moving average of gradients m (torch's `betas[0]`).",
        ),
        Option(
            "beta2",
            beta2,
            Real(0, 1),
            "Decay of the second moment (torch's `betas[1]`).",
        ),
    )


def epsilon_option(default: float, doc: str) -> Option:
    """A method's ``epsilon``: where it is added is the method's ``doc``."""
    return Option("epsilon", default, Real(0), doc)


def weight_decay_option(default: float, *, decoupled: bool = False) -> Option:
    """The ``weight_decay`` option: a coupled L2 term (torch's Adam, RMSprop, SGD,
    ...) or AdamW's decoupled shrinking of ``x``."""
    if decoupled:
        doc = (
            "Decoupled weight decay: x is multiplied by 1 - lr * weight_decay before each "
            "update (AdamW), instead of adding an L2 term to the gradient."
        )
    else:
        doc = (
            "L2 penalty coefficient added to the gradient, g + weight_decay * x "
            "(coupled, as in torch). The iterates then approach the minimiser of the "
            "penalised objective, where the gradient of `fun` that `gtol` tests is not zero: "
            "rely on maxiter, ftol or xtol."
        )
    return Option("weight_decay", default, Real(0), doc)


MAXIMIZE = Option("maximize", False, Flag(), "Maximize `fun` instead of minimizing it.")

THREADS = Option(
    "threads",
    1,
    Integer(1, high=64),
    "Threads that share each step of at least 16,384 variables, at most as many as the CPUs "
    "the process may use (smaller steps stay on one, where handing out chunks costs more than "
    "it saves). They are a pool of the process, started on first use, on POSIX systems "
    "(elsewhere steps run on one thread). The iterates are the same for any number.",
)

CLIPPING_OPTIONS = (
    Option(
        "clipnorm",
        None,
        Real(0, low_closed=False, none_ok=True),
        "Before the update, rescale the gradient to this 2-norm when its norm is larger: "
        "g * clipnorm / ||g|| (Keras's `clipnorm`). None disables it.",
    ),
    Option(
        "clipvalue",
        None,
        Real(0, low_closed=False, none_ok=True),
        "Before the update, clip each gradient element to [-clipvalue, clipvalue] (Keras's "
        "`clipvalue`). None disables it; at most one of clipnorm and clipvalue may be set.",
    ),
)

STATE = Option(
    "state",
    None,
    StateMapping(),
    "Resume from a previous run's optimizer state (`res.state`, with `x0=res.x`): the run "
    "continues with the step count, moving averages and buffers where they were, so that "
    "its iterates equal those of one uninterrupted run.",
)

TERMINATION_OPTIONS = (
    Option(
        "maxiter",
        10000,
        Integer(0),
        "Maximum number of iterations (optimizer steps). In minibatch mode there is no limit "
        "unless maxiter is given: `epochs` ends the run.",
    ),
    Option(
        "maxfev",
        None,
        Integer(1, none_ok=True),
        "Maximum number of calls of `fun`, finite-difference calls included, checked once "
        "per iteration; None means no limit. Iterations that only need the gradient from a "
        "separate `jac` do not call `fun`.",
    ),
    Option(
        "gtol",
        1e-5,
        Real(0),
        "Stop when the max-norm of the projected gradient of `fun` is at most gtol. "
        "`tol` sets it when not given.",
    ),
    Option(
        "ftol",
        0.0,
        Real(0),
        "Stop when ``|f_k - f_{k+1}| <= ftol * max(|f_k|, |f_{k+1}|, 1)``; 0 disables the test. "
        "When positive, `fun` is evaluated at every iterate. Steps taken at a scheduled "
        "learning rate of 0 are not tested.",
    ),
    Option(
        "xtol",
        0.0,
        Real(0),
        "Stop when the max-norm of the step, ``max_i |x_{k+1,i} - x_{k,i}|``, is at most xtol; "
        "0 disables the test. Steps taken at a scheduled learning rate of 0 are not tested.",
    ),
    Option(
        "disp",
        False,
        Flag(),
        "Print iteration lines (iteration, f(x), max|g|) at iterations 1-10, then every 10 up "
        "to 100, every 100 up to 1000, and so on, and a convergence message at the end, as "
        "SciPy's methods do. `fun` is then evaluated at every iterate.",
    ),
    Option(
        "progress",
        False,
        Flag(),
        "Show a tqdm progress bar (the `progress` extra) with the loss and the gradient's "
        "max-norm. `fun` is then evaluated at every iterate.",
    ),
    Option(
        "return_all",
        False,
        Flag(),
        "Keep every iterate in the result's `allvecs` (a list of arrays, x0 first).",
    ),
)


HISTORY_OPTIONS = (
    Option(
        "history",
        False,
        HistorySelection(),
        "Record a history in the result's `history`: per recorded iteration 'fun' (NaN where "
        "not evaluated; recording it evaluates fun at every iterate), 'grad_norm' and "
        "'step_norm' (2-norms), 'learning_rate', and the min, median and max of the effective "
        "'step_size' and of the second moment 'v'. True records all; a list picks groups.",
    ),
    Option(
        "history_interval",
        1,
        Integer(1),
        "Record every history_interval-th iteration, iteration 0 in full-batch runs, and "
        "always the last.",
    ),
    Option(
        "history_size",
        10_000,
        Integer(2),
        "At most this many rows: when the table is full, every other row is dropped and the "
        "interval doubles, so a long run keeps a bounded history spread over all of it.",
    ),
)

MINIBATCH_OPTIONS = (
    Option(
        "batch_size",
        None,
        Integer(1, none_ok=True),
        "Minibatch mode: every iteration evaluates `fun`/`jac` on `batch_size` samples, the "
        "arrays in `args` sliced along axis 0 (so every element of `args` must be per-sample "
        "data; pass constants through a closure). An epoch is one pass over the samples; its "
        "last batch may be smaller. See docs/stochastic.md.",
    ),
    Option(
        "batches",
        None,
        BatchIterable(),
        "Minibatch mode with batches you make: an iterable whose items are tuples of args for "
        "`fun` (or single arrays); one pass over it is an epoch, so it must be re-iterable "
        "(a list, or an object whose __iter__ starts a new pass) when epochs > 1. Exclusive "
        "with batch_size.",
    ),
    Option("epochs", 1, Integer(1), "Minibatch mode: the number of passes over the data."),
    Option(
        "shuffle",
        True,
        Flag(),
        "Minibatch mode with batch_size: draw a new order of the samples for every epoch.",
    ),
    Option(
        "seed",
        None,
        Seed(),
        "Minibatch mode: seeds the numpy.random.Generator that shuffles; the same int seed "
        "gives bit-identical runs. A Generator is used as given, and advanced.",
    ),
    Option(
        "validation",
        None,
        Validation(),
        "Minibatch mode: held-out data (a tuple used as `args`) or a callable x -> float, "
        "evaluated at the end of every epoch (larger is better when maximizing). The result "
        "is then the best validated iterate (see Returns in `rmsopt.minimize`).",
    ),
    Option(
        "validate_average",
        False,
        Flag(),
        "Minibatch mode with `averaging`: evaluate `validation` at the average of the "
        "iterates instead of the iterate; the result's `x_average` is then the best "
        "validated average.",
    ),
    Option(
        "patience",
        None,
        Integer(1, none_ok=True),
        "Early stopping: end the run when the validation value has not improved by more "
        "than min_delta for this many epochs. Needs `validation`; None never stops early.",
    ),
    Option(
        "min_delta",
        0.0,
        Real(0),
        "Early stopping: an epoch improves on the best validation value v_best when its value "
        "is below v_best - min_delta. Needs `validation`.",
    ),
    Option(
        "epoch_callback",
        None,
        CallableOrNone(),
        "Minibatch mode: called at the end of every epoch, by SciPy's callback rule: as "
        "epoch_callback(intermediate_result) (an OptimizeResult with x, epoch, nit, "
        "train_loss, the mean of the epoch's batch values, and val_fun, the validation value "
        "or None) when its only parameter is named intermediate_result, else as "
        "epoch_callback(xk). Raising StopIteration ends the run with status 99.",
    ),
)


NONFINITE = Option(
    "nonfinite",
    "raise",
    Choice(("raise", "skip")),
    "What `step` does with a gradient that has a NaN or infinite element, or a step that "
    "would make x or the state non-finite: 'raise' raises FloatingPointError, 'skip' counts "
    "it in `skipped_steps`. Either way x, the state and `step_count` are left unchanged.",
)
