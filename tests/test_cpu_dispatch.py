"""Run-time choice of the build of RMSprop's vectorised loop: the AVX2 build is chosen exactly
when the CPU has AVX2, can be turned off from the environment, and gives the baseline's bits."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from rmsopt import _cpu_features
from rmsopt import _rmsprop_kernel as kernel_module
from rmsopt._rmsprop_kernel import RMSpropKernel

CONFIGURATIONS = [
    {"centered": centered, "momentum": momentum}
    for centered in (False, True)
    for momentum in (0.0, 0.9)
]


def cpu_flags():
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        pytest.skip("the CPU's flags are read from /proc/cpuinfo (Linux)")
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


@pytest.fixture
def restore_loop():
    previous = kernel_module.selected_loop()
    yield
    kernel_module.select_loop(previous)


def test_the_avx2_build_is_available_exactly_when_the_cpu_has_avx2():
    has_avx2 = "avx2" in cpu_flags()
    targets = kernel_module.loop_targets()
    assert targets[0] == "baseline"
    if os.uname().machine in ("x86_64", "AMD64", "i686"):
        assert ("avx2" in targets) == has_avx2
    else:
        assert targets == ["baseline"]


def test_import_selects_the_widest_build():
    assert kernel_module.selected_loop() == kernel_module.loop_targets()[-1]


def run_steps(n, dtype, threads, in_place, **options):
    rng = np.random.default_rng(n)
    settings = {
        "rho": 0.9, "epsilon": 1e-8, "momentum": 0.0, "weight_decay": 0.0, "centered": False,
        "maximize": False, "epsilon_in_sqrt": False, "bias_correction": False, **options,
    }  # fmt: skip
    kernel = RMSpropKernel(threads=threads, **settings)
    x = rng.standard_normal(n).astype(dtype)
    state = np.zeros((3, n), dtype)
    for step in range(1, 4):
        grad = (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)).astype(dtype)
        if in_place:
            kernel.step(x, grad, state, step, 1e-2)
        else:
            # Zeros: rows a configuration does not use are not written.
            x_out, state_out = np.empty_like(x), np.zeros_like(state)
            kernel.step(x, grad, state, step, 1e-2, x_out, state_out)
            x, state = x_out, state_out
    return x, state


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", CONFIGURATIONS, ids=range(len(CONFIGURATIONS)))
@pytest.mark.parametrize("in_place", [True, False], ids=["in_place", "out_of_place"])
def test_every_build_gives_the_baseline_bits(restore_loop, dtype, options, in_place):
    # Lengths around the vector widths (remainder loops) and one split over threads.
    for n, threads in [(1, 1), (3, 1), (7, 1), (17, 1), (1001, 1), (40_003, 2)]:
        results = {}
        for target in kernel_module.loop_targets():
            kernel_module.select_loop(target)
            results[target] = run_steps(n, dtype, threads, in_place, **options)
        for target, (x, state) in results.items():
            np.testing.assert_array_equal(x, results["baseline"][0], err_msg=target)
            np.testing.assert_array_equal(state, results["baseline"][1], err_msg=target)


def test_an_unknown_target_is_refused_by_name(restore_loop):
    with pytest.raises(ValueError, match=r"target must be one of \['baseline'.*got 'sse9'"):
        kernel_module.select_loop("sse9")


def test_select_loop_returns_the_previous_target(restore_loop):
    kernel_module.select_loop("baseline")
    assert kernel_module.select_loop(kernel_module.loop_targets()[-1]) == "baseline"
    assert kernel_module.selected_loop() == kernel_module.loop_targets()[-1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "avx2"), ("AVX2", "baseline"), ("avx2", "baseline"), (" avx2 ,", "baseline")],
)
def test_the_environment_disables_features(monkeypatch, value, expected):
    monkeypatch.setenv(_cpu_features.ENVIRONMENT_VARIABLE, value)
    assert _cpu_features.preferred_target(["baseline", "avx2"]) == expected
    assert _cpu_features.preferred_target(["baseline"]) == "baseline"


def test_a_feature_without_a_build_is_reported_and_ignored(monkeypatch):
    monkeypatch.setenv(_cpu_features.ENVIRONMENT_VARIABLE, "sse4, Avx512f")
    with pytest.warns(RuntimeWarning) as caught:
        chosen = _cpu_features.preferred_target(["baseline", "avx2"])
    assert chosen == "avx2"
    assert str(caught[0].message) == (
        "RMSOPT_DISABLE_CPU_FEATURES names AVX512F, SSE4, which rmsopt does not dispatch on; "
        "accepted: AVX2."
    )


def test_a_process_started_with_avx2_disabled_runs_the_baseline():
    code = "from rmsopt import _rmsprop_kernel as k; print(k.selected_loop())"
    env = {**os.environ, _cpu_features.ENVIRONMENT_VARIABLE: "AVX2"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "baseline"
