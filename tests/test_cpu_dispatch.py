"""Run-time choice of the build of the methods' chunk loops: the AVX2 build is chosen exactly
when the CPU has AVX2, can be turned off from the environment, and gives the baseline's bits for
every method and option set."""

import os
import pathlib
import platform
import subprocess
import sys

import numpy as np
import pytest

from rmsopt._core import simd as _simd
from rmsopt._core import thread_pool as _thread_pool
from rmsopt._methods.registry import METHODS

from conftest import fit_size, option_grid, option_id
from test_method_kernels import gradient_stream, kernel_and_state

CASES = [
    pytest.param(name, options, id=f"{name}-{option_id(options) or 'defaults'}")
    for name in METHODS
    for options in option_grid(name)
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
    # Also: split steps as on a machine with many CPUs, so that the threaded case splits.
    previous, cpus = _simd.selected_loop(), _thread_pool.set_cpus(64)
    yield
    _simd.select_loop(previous)
    _thread_pool.set_cpus(cpus)


def test_the_avx2_build_is_available_exactly_when_the_cpu_has_avx2():
    has_avx2 = "avx2" in cpu_flags()
    targets = _simd.loop_targets()
    if platform.machine().lower() in ("x86_64", "amd64", "i686"):
        assert targets == (["baseline", "avx2"] if has_avx2 else ["baseline"])
    else:
        assert targets == ["baseline"]


def test_import_selects_the_widest_build_allowed():
    assert _simd.selected_loop() == _simd.preferred_target(
        _simd.loop_targets(), _simd.DISABLED_AT_IMPORT
    )
    if not _simd.DISABLED_AT_IMPORT:
        assert _simd.selected_loop() == _simd.loop_targets()[-1]


def run_steps(name, options, n, dtype, threads, in_place):
    n = fit_size(name, options, n)  # a matrix of Adafactor's: the next size that makes one
    rng = np.random.default_rng(n)
    kernel, state = kernel_and_state(name, {**options, "threads": threads}, n, dtype)
    x = rng.standard_normal(n).astype(dtype)
    for step, grad in enumerate(gradient_stream(rng, n, dtype, count=3), start=1):
        if in_place:
            kernel.step(x, grad, state, step, 1e-2)
        else:
            # A copy of the state: rows a configuration does not use are not written.
            x_out, state_out = np.empty_like(x), state.copy()
            kernel.step(x, grad, state, step, 1e-2, x_out, state_out)
            x, state = x_out, state_out
    return x, state


@pytest.mark.parametrize("name, options", CASES)
@pytest.mark.parametrize("in_place", [True, False], ids=["in_place", "out_of_place"])
def test_every_build_gives_the_baseline_bits(restore_loop, name, options, in_place, dtype):
    # Lengths around the vector widths (remainder loops) and one split over threads.
    for n, threads in [(1, 1), (7, 1), (17, 1), (1001, 1), (20_003, 2)]:
        results = {}
        for target in _simd.loop_targets():
            _simd.select_loop(target)
            results[target] = run_steps(name, options, n, dtype, threads, in_place)
        for target, (x, state) in results.items():
            np.testing.assert_array_equal(x, results["baseline"][0], err_msg=target)
            np.testing.assert_array_equal(state, results["baseline"][1], err_msg=target)


def test_an_unknown_target_is_refused_by_name(restore_loop):
    with pytest.raises(ValueError, match=r"target must be one of \['baseline'.*got 'sse9'"):
        _simd.select_loop("sse9")


def test_select_loop_returns_the_previous_target(restore_loop):
    _simd.select_loop("baseline")
    assert _simd.select_loop(_simd.loop_targets()[-1]) == "baseline"
    assert _simd.selected_loop() == _simd.loop_targets()[-1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "avx2"), ("AVX2", "baseline"), ("avx2", "baseline"), (" avx2 ,", "baseline")],
)
def test_the_environment_disables_features(monkeypatch, value, expected):
    monkeypatch.setenv(_simd.ENVIRONMENT_VARIABLE, value)
    assert _simd.preferred_target(["baseline", "avx2"]) == expected
    assert _simd.preferred_target(["baseline"]) == "baseline"


def test_a_feature_without_a_build_is_reported_and_ignored(monkeypatch):
    monkeypatch.setenv(_simd.ENVIRONMENT_VARIABLE, "sse4, Avx512f")
    with pytest.warns(RuntimeWarning) as caught:
        chosen = _simd.preferred_target(["baseline", "avx2"])
    assert chosen == "avx2"
    assert str(caught[0].message) == (
        "RMSOPT_DISABLE_CPU_FEATURES names AVX512F, SSE4, which rmsopt does not dispatch on; "
        "accepted: AVX2."
    )


def test_a_process_started_with_avx2_disabled_runs_the_baseline():
    code = "import rmsopt._core.simd as s; print(s.selected_loop())"
    env = {**os.environ, _simd.ENVIRONMENT_VARIABLE: "AVX2"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "baseline"
