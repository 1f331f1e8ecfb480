"""rmsopt.show_runtime reports the build and the threads the native core runs with."""

import ast
import os
import subprocess
import sys

import pytest

import rmsopt
from rmsopt._core import simd as _simd
from rmsopt._core import thread_pool as _thread_pool

from test_errors import argument_message


def test_the_report_names_the_build_in_use_and_the_cpus(monkeypatch):
    # The variable is read once, at import, when it chooses the build: set now, it changes
    # neither the build nor the report.
    monkeypatch.setenv(_simd.ENVIRONMENT_VARIABLE, "avx2")
    report = rmsopt.show_runtime(disp=False)
    assert report["loop_build"] == _simd.selected_loop()
    assert report["loop_build"] in report["loop_builds"]
    assert report["loop_builds"][0] == "baseline"
    assert report["disabled_features"] == _simd.DISABLED_AT_IMPORT
    assert report["loop_build"] == _simd.preferred_target(
        report["loop_builds"], report["disabled_features"]
    )
    assert report["cpus"] == _thread_pool.cpus() >= 1
    assert report["pool_workers"] == _thread_pool.workers()


def test_the_report_is_printed_one_line_per_entry(capsys):
    assert rmsopt.show_runtime() is None
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "loop_build", "loop_builds", "disabled_features", "cpus", "pool_workers",
    ]  # fmt: skip
    assert lines[0].split()[1] == _simd.selected_loop()


def test_a_process_started_with_avx2_disabled_reports_it():
    code = "import rmsopt; print(rmsopt.show_runtime(disp=False))"
    env = {**os.environ, _simd.ENVIRONMENT_VARIABLE: "avx2"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    report = ast.literal_eval(out.stdout)
    assert report["loop_build"] == "baseline"
    assert report["disabled_features"] == ["AVX2"]


def test_disp_is_checked():
    accepted = "a bool (True or False, or 0 or 1)"
    with pytest.raises(ValueError, match=argument_message("disp", accepted, "2")):
        rmsopt.show_runtime(disp=2)
