"""The public Cython interface: a user's own extension cimports a method's step and the
C objective's type from ``rmsopt.kernels``, and gets rmsopt's iterates bit for bit."""

import importlib.util
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import rmsopt
import rmsopt.kernels

Cython = pytest.importorskip("Cython", reason="the test extra installs Cython")
from Cython.Compiler import Main as cython_compiler  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs" / "native.md"


def documented_loop():
    """The Cython example of docs/native.md's section on rmsopt's steps, as written there."""
    section = DOCS.read_text().split("## rmsopt's steps in your own Cython", 1)[1]
    return section.split("```cython\n", 1)[1].split("```", 1)[0]


# The documented loop, and an objective declared with rmsopt's type.
USER_MODULE = (
    "# cython: language_level=3, boundscheck=False, wraparound=False\n"
    "from cpython.pycapsule cimport PyCapsule_New\n"
    "from rmsopt.kernels.objective cimport objective_function\n"
    + documented_loop()
    + r"""

cdef double sphere(int n, const double* x, double* grad, void* user_data) noexcept nogil:
    cdef double value = 0.0
    cdef int i
    for i in range(n):
        value += x[i] * x[i]
        grad[i] = 2.0 * x[i]
    return value


cdef objective_function sphere_function = sphere  # checked against rmsopt's type


def sphere_capsule():
    return PyCapsule_New(<void*>sphere_function, b"double (int, double *, double *, void *)",
                         NULL)
"""
)


@pytest.fixture(scope="module")
def user_module(tmp_path_factory):
    directory = tmp_path_factory.mktemp("user_extension")
    source = directory / "user_kernels.pyx"
    source.write_text(USER_MODULE)
    options = cython_compiler.CompilationOptions(
        include_path=[rmsopt.kernels.get_include()], language_level=3
    )
    result = cython_compiler.compile(str(source), options)
    assert result.num_errors == 0
    compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
    output = directory / ("user_kernels" + sysconfig.get_config_var("EXT_SUFFIX"))
    # No contraction into fused multiply-adds, as rmsopt is built: the same bits on every CPU.
    command = [
        *compiler,
        "-shared",
        "-fPIC",
        "-O2",
        "-ffp-contract=off",
        f"-I{sysconfig.get_paths()['include']}",
        result.c_file,
        "-o",
        str(output),
    ]
    built = subprocess.run(command, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    spec = importlib.util.spec_from_file_location("user_kernels", output)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.setdefault("user_kernels", module)
    return module


@pytest.mark.parametrize(
    "options",
    [{}, {"centered": True}, {"momentum": 0.9}, {"weight_decay": 0.1, "maximize": True}],
)
def test_a_user_extension_steps_as_rmsopt_does(user_module, options):
    rng = np.random.default_rng(0)
    n, steps, rate = 37, 25, 1e-2
    grads = rng.standard_normal((steps, n))
    x0 = rng.standard_normal(n)

    x = x0.copy()
    opt = rmsopt.RMSprop(x, learning_rate=rate, **options)
    for grad in grads:
        opt.step(grad)

    settings = {**opt.options, "epsilon_in_sqrt": False, "bias_correction": False}
    mine = x0.copy()
    state = np.zeros((3, n))
    user_module.rmsprop_steps(mine, state, grads, rate, settings)
    np.testing.assert_array_equal(mine, x)
    np.testing.assert_array_equal(state[0], opt.state["square_avg"])


def test_a_user_objective_of_rmsopt_type_runs_in_minimize(user_module):
    from scipy import LowLevelCallable

    x0 = np.linspace(-1.0, 1.0, 8)
    options = {"learning_rate": 1e-2, "maxiter": 200, "gtol": 0.0}
    native = rmsopt.minimize(
        LowLevelCallable(user_module.sphere_capsule()), x0, jac=True, options=options
    )
    python = rmsopt.minimize(lambda x: x @ x, x0, jac=lambda x: 2.0 * x, options=options)
    assert native.nit == python.nit == 200
    np.testing.assert_array_equal(native.x, python.x)
