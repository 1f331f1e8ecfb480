"""disp=True iteration lines and progress=True bars: what they print, and that they change
nothing else."""

import sys

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der

import rmsopt
from rmsopt._front.display import printed_iteration

OPTIONS = {"learning_rate": 1e-2, "maxiter": 300, "gtol": 0.0}


def test_printed_iterations_are_about_nine_per_decade():
    printed = [nit for nit in range(1, 2501) if printed_iteration(nit)]
    expected = list(range(1, 11)) + list(range(20, 101, 10)) + list(range(200, 1001, 100))
    assert printed == expected + [2000]


def test_disp_prints_the_lines_and_the_summary(capsys):
    res = rmsopt.minimize(
        rosen, [-1.2, 1.0], jac=rosen_der, options={**OPTIONS, "disp": True, "return_all": True}
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["rmsprop:", "iteration", "f(x)", "max|g|"]
    rows = [line.split() for line in out[1:] if line.strip()[:1].isdigit()]
    iterations = [int(row[0]) for row in rows]
    assert iterations == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        20,
        30,
        40,
        50,
        60,
        70,
        80,
        90,
        100,
        200,
        300,
    ]
    for row in rows:
        x = res.allvecs[int(row[0])]
        assert float(row[1]) == pytest.approx(rosen(x), rel=1e-6)
        assert float(row[2]) == pytest.approx(np.max(np.abs(rosen_der(x))), rel=1e-3)
    assert "Maximum number of iterations has been exceeded." in out
    assert "         Iterations: 300" in out


def test_displays_change_no_iterate_and_evaluate_fun_at_each(capsys):
    plain = rmsopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der, options=OPTIONS)
    shown = rmsopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der, options={**OPTIONS, "disp": True})
    capsys.readouterr()
    np.testing.assert_array_equal(plain.x, shown.x)
    assert plain.nfev == 1 and shown.nfev == shown.nit + 1


def test_the_last_line_is_printed_when_the_callback_stops_the_run(capsys):
    def stop_at_seven(intermediate_result):
        if intermediate_result.nit == 7:
            raise StopIteration

    res = rmsopt.minimize(
        rosen, [-1.2, 1.0], jac=rosen_der, callback=stop_at_seven, options={**OPTIONS, "disp": True}
    )
    out = capsys.readouterr().out
    assert res.status == 99 and res.nit == 7
    assert out.splitlines()[7].split()[0] == "7"


def test_a_progress_bar_counts_the_iterations(capsys):
    pytest.importorskip("tqdm")
    rmsopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der, options={**OPTIONS, "progress": True})
    err = capsys.readouterr().err
    assert "rmsprop:" in err and "300/300" in err and "max|g|=" in err


def test_a_minibatch_progress_bar_counts_epochs_with_the_loss(capsys):
    pytest.importorskip("tqdm")
    rng = np.random.default_rng(0)
    features, targets = rng.normal(size=(23, 3)), rng.normal(size=23)

    def loss(w, f, t):
        return 0.5 * float(np.mean((f @ w - t) ** 2))

    def loss_grad(w, f, t):
        return f.T @ (f @ w - t) / t.shape[0]

    rmsopt.minimize(
        loss,
        np.zeros(3),
        args=(features, targets),
        jac=loss_grad,
        options={"batch_size": 5, "epochs": 8, "progress": True},
    )
    err = capsys.readouterr().err
    assert "8/8" in err and "epoch" in err and "loss=" in err


def test_progress_without_tqdm_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match=r"The 'progress' option needs tqdm: pip install tqdm"):
        rmsopt.minimize(rosen, [-1.2, 1.0], jac=rosen_der, options={"progress": True})


def test_a_refused_run_leaves_no_bar(capsys):
    pytest.importorskip("tqdm")
    state = rmsopt.Adagrad(np.ones(3)).state_dict()
    with pytest.raises(ValueError):
        rmsopt.minimize(
            rosen,
            [-1.2, 1.0],
            jac=rosen_der,
            method="adagrad",
            options={"progress": True, "state": state},
        )
    assert capsys.readouterr().err == ""


def test_the_bar_ends_showing_the_last_iteration(capsys):
    pytest.importorskip("tqdm")
    res = rmsopt.minimize(
        rosen, [-1.2, 1.0], jac=rosen_der, options={**OPTIONS, "progress": True, "maxiter": 12}
    )
    err = capsys.readouterr().err
    assert f"f={rosen(res.x):.6e}" in err.split("12/12")[-1]


def test_disp_lines_go_above_a_bar_and_work_on_minibatches(capsys):
    pytest.importorskip("tqdm")
    rng = np.random.default_rng(0)
    features, targets = rng.normal(size=(23, 3)), rng.normal(size=23)

    def loss(w, f, t):
        return 0.5 * float(np.mean((f @ w - t) ** 2))

    def loss_grad(w, f, t):
        return f.T @ (f @ w - t) / t.shape[0]

    res = rmsopt.minimize(
        loss,
        np.zeros(3),
        args=(features, targets),
        jac=loss_grad,
        options={"batch_size": 5, "epochs": 3, "disp": True, "progress": True},
    )
    captured = capsys.readouterr()
    # A minibatch run prints one line per epoch: epoch, iterations, mean training loss.
    rows = [line.split() for line in captured.out.splitlines() if line.strip()[:1].isdigit()]
    assert [(int(row[0]), int(row[1])) for row in rows] == [(1, 5), (2, 10), (3, 15)]
    assert all(float(row[2]) > 0 for row in rows)
    assert res.nit == 15 and "3/3" in captured.err
