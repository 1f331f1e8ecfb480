"""The benchmarks' own helpers build what the library builds: a benchmark that times a kernel
made by hand would time something users never run, or fail once the kernel gains a field."""

import pathlib
import sys

import numpy as np
import pytest

import rmsopt

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))


@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.9, True)])
def test_the_benchmark_kernel_steps_as_the_rmsprop_class(momentum, centered):
    from benchmarks.benchmarks import EPSILON, RHO, make_kernel

    x0 = np.linspace(-1.0, 1.0, 7)
    grad = np.cos(x0)
    kernel = make_kernel(momentum, centered)
    x, state = x0.copy(), np.zeros((3, 7))
    kernel.step(x, grad, state, 1, 1e-3)
    opt = rmsopt.RMSprop(x0.copy(), learning_rate=1e-3, rho=RHO, epsilon=EPSILON,
                         momentum=momentum, centered=centered)  # fmt: skip
    np.testing.assert_array_equal(opt.step(grad), x)
