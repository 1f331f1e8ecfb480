"""minimize's defaults converge: every adaptive method, called with no options, meets gtol on
the ordinary fits of benchmarks/fits.py (real data sets, curve fits, least squares, the
catalogue's convex problems), at the minimum L-BFGS-B finds. The table of docs/defaults.md is
these runs."""

import math
import pathlib
import sys
import warnings

import numpy as np
import pytest
import scipy.optimize

import rmsopt
from rmsopt.schedules import reduce_on_plateau

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.fits import FITS  # noqa: E402

# The fits on statsmodels' data sets need statsmodels (the test extra installs it).
NEEDS_STATSMODELS = {"logistic_spector", "logistic_anes96", "logistic_fair", "poisson_randhie",
                     "linear_statecrime"}  # fmt: skip
ADAPTIVE = ["rmsprop", "adam", "adagrad", "adadelta", "adamax", "nadam", "radam", "adafactor"]


@pytest.fixture(scope="module")
def fits():
    made = {}
    for name, make in FITS.items():
        if name in NEEDS_STATSMODELS and not _has_statsmodels():
            continue
        fit = make()
        reference = scipy.optimize.minimize(
            fit.fun, fit.x0, jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 0}
        )
        made[name] = (fit, reference)
    return made


def _has_statsmodels():
    try:
        import statsmodels  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("name", list(FITS))
@pytest.mark.parametrize("method", ADAPTIVE)
def test_every_adaptive_method_converges_with_no_options(fits, name, method):
    if name not in fits:
        pytest.skip("statsmodels is not installed: its data sets are not available")
    fit, reference = fits[name]
    res = rmsopt.minimize(fit.fun, fit.x0, jac=True, method=method)
    assert res.status == 0 and res.success, (res.status, res.nit, res.message)
    assert np.max(np.abs(res.jac)) <= 1e-5
    # At L-BFGS-B's minimum: a gradient of 1e-5 leaves the value within about 1e-8 of it.
    assert res.fun - reference.fun <= 1e-8 * max(1.0, abs(reference.fun))


@pytest.mark.parametrize("method", ADAPTIVE)
def test_the_scipy_custom_method_converges_with_no_options(fits, method):
    fit, reference = fits["exponential_decay"]
    res = scipy.optimize.minimize(fit.fun, fit.x0, jac=True, method=getattr(rmsopt, method))
    assert res.status == 0 and res.success
    np.testing.assert_allclose(res.x, reference.x, atol=1e-3)


def test_rprop_converges_but_where_its_smallest_step_is_too_large(fits):
    # docs/defaults.md's claim: every fit but the quadratic of condition 1e3, where steps of
    # step_size_min = 1e-6 leave gradients of about 1e-3; step_size_min=0 converges there too.
    for name, (fit, _) in fits.items():
        res = rmsopt.minimize(fit.fun, fit.x0, jac=True, method="rprop")
        assert (res.status == 0) == (name != "quadratic"), (name, res.status)
    fit, _ = fits["quadratic"]
    res = rmsopt.minimize(fit.fun, fit.x0, jac=True, method="rprop", options={"step_size_min": 0})
    assert res.status == 0


def test_muon_without_weight_decay_converges_but_where_its_steps_are_too_long(fits):
    # docs/defaults.md's claim: x read as one row (1, n), weight_decay=0 (torch's 0.1 keeps x
    # off the minimiser), Muon meets gtol on every fit but the quadratic of condition 1e3,
    # where its steps of about lr in every direction leave it short at maxiter.
    for name, (fit, reference) in fits.items():
        options = {"shape": (1, fit.x0.size), "weight_decay": 0.0}
        res = rmsopt.minimize(fit.fun, fit.x0, jac=True, method="muon", options=options)
        assert (res.status == 0) == (name != "quadratic"), (name, res.status)
        assert res.fun - reference.fun <= 1e-8 * max(1.0, abs(reference.fun)), name


def test_sgd_converges_but_where_the_curvature_is_above_two_over_its_rate(fits):
    # The README's claim: SGD is gradient descent at 0.1, which diverges on the quadratic of
    # condition 1e3 (largest curvature 1e3 > 2 / 0.1) and converges on every other fit.
    for name, (fit, _) in fits.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow in the diverging run
            res = rmsopt.minimize(fit.fun, fit.x0, jac=True, method="sgd")
        assert res.status == (5 if name == "quadratic" else 0), name


def test_the_default_is_the_documented_schedule_and_a_run_records_it():
    fit = FITS["exponential_decay"]()
    for method, start in [("rmsprop", 0.1), ("adam", 1e-2), ("adamw", 1e-2), ("adagrad", 0.5),
                          ("adadelta", 10.0), ("sgd", 0.1)]:  # fmt: skip
        schedule = reduce_on_plateau(start, factor=0.5, patience=20, threshold=0.0)
        explicit = rmsopt.minimize(
            fit.fun, fit.x0, jac=True, method=method, options={"learning_rate": schedule}
        )
        default = rmsopt.minimize(fit.fun, fit.x0, jac=True, method=method)
        np.testing.assert_array_equal(default.x, explicit.x)
        assert default.nit == explicit.nit
        recorded = default.state["options"]["learning_rate"]
        assert isinstance(recorded, type(schedule)) and recorded.initial == start
        assert recorded.state_dict() == explicit.state["options"]["learning_rate"].state_dict()
        assert rmsopt.show_options(method, disp=False).count(f"reduce_on_plateau({start!r}") == 1


def test_the_default_maxiter_is_ten_thousand():
    res = rmsopt.minimize(
        lambda x: (float(x @ x), 2 * x), np.ones(2), jac=True, options={"gtol": 0.0}
    )
    assert res.status == 3 and res.nit == 10000


def test_the_classes_and_minibatch_runs_keep_the_constant_rate():
    assert rmsopt.RMSprop(np.zeros(2)).learning_rate == 1e-3
    assert rmsopt.Adam(np.zeros(2)).learning_rate == 1e-3
    p = rmsopt.problems.linear_regression()
    options = {"batch_size": 50, "epochs": 2, "seed": 0}
    res = rmsopt.minimize(p.fun, p.x0, args=p.args, jac=p.jac, method="adam", options=options)
    assert res.state["options"]["learning_rate"] == 1e-3
    same = rmsopt.minimize(
        p.fun, p.x0, args=p.args, jac=p.jac, method="adam",
        options={**options, "learning_rate": 1e-3},
    )  # fmt: skip
    np.testing.assert_array_equal(res.x, same.x)


def test_a_run_resumed_with_the_defaults_equals_one_uninterrupted_run():
    fit = FITS["gaussian_peak"]()
    whole = rmsopt.minimize(fit.fun, fit.x0, jac=True, options={"gtol": 0.0, "maxiter": 300})
    first = rmsopt.minimize(fit.fun, fit.x0, jac=True, options={"gtol": 0.0, "maxiter": 150})
    second = rmsopt.minimize(
        fit.fun, first.x, jac=True, options={"gtol": 0.0, "maxiter": 150, "state": first.state}
    )
    np.testing.assert_array_equal(second.x, whole.x)
    assert (
        second.state["options"]["learning_rate"].state_dict()
        == whole.state["options"]["learning_rate"].state_dict()
    )
    # The halvings did happen, so the schedule's state mattered.
    assert whole.state["options"]["learning_rate"].learning_rate < 0.1


def test_the_docs_table_is_what_benchmarks_fits_prints_but_the_times():
    from benchmarks.fits import table

    page = (ROOT / "docs" / "defaults.md").read_text()

    def cells(line):
        # fit, method and status exactly; iterations and the gap to L-BFGS-B as numbers, since
        # the objectives' matrix products round as the machine's BLAS build does and the last
        # bits move both a little; not the time.
        fit, method, status, iterations, gap = (c.strip() for c in line.split("|")[1:6])
        return (fit, method, status), (int(iterations), float(gap))

    def is_fit_row(line):
        parts = line.split("|")
        return len(parts) == 8 and parts[3].strip().isdigit()

    shown = [cells(line) for line in page.splitlines() if is_fit_row(line)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SGD's overflow on the quadratic
        printed = [cells(line) for line in table().splitlines()[2:]]
    # In order, as a block: each fit's rows follow its L-BFGS-B row.
    start = [row for row, _ in shown].index(printed[0][0])
    block = shown[start : start + len(printed)]
    assert [row for row, _ in block] == [row for row, _ in printed]
    for (row, (nit, gap)), (_, (expected_nit, expected_gap)) in zip(block, printed, strict=True):
        # The claims the table makes (status, a gap of at most 1e-8) hold exactly; the counts
        # and gaps it shows are those of the development machine, within a margin.
        assert abs(nit - expected_nit) <= max(5, 0.25 * expected_nit), row
        assert (abs(gap) <= 1e-8) == (abs(expected_gap) <= 1e-8), row
        assert math.isclose(gap, expected_gap, rel_tol=0.9, abs_tol=1e-9), row


def test_the_guides_side_by_side_table_is_what_benchmarks_fits_prints():
    from benchmarks.fits import side_by_side

    printed = side_by_side().splitlines()
    page = (ROOT / "docs" / "fitting.md").read_text()

    def without_time(line):
        return line.rsplit("|", 2)[0]

    shown = {without_time(line) for line in page.splitlines() if line.startswith("|")}
    for line in printed[2:]:
        assert without_time(line) in shown, line
