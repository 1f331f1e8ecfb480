"""rmsopt's native interface for Cython code: each method's step and the C-level objective.

Every method's step is declared in ``rmsopt/kernels/<method>.pxd`` as an inline, ``nogil``
function over contiguous arrays, fused over float32 and float64, that Cython code can
``cimport`` into its own loops, as rmsopt's own driver does::

    from rmsopt.kernels.rmsprop cimport RMSpropParams, rmsprop_step

    cdef RMSpropParams params = {"rho": 0.9, "epsilon": 1e-8, "momentum": 0.0,
                                 "weight_decay": 0.0, "centered": False, "maximize": False,
                                 "epsilon_in_sqrt": False, "bias_correction": False,
                                 "nesterov": False, "decoupled_weight_decay": False,
                                 "learning_rate_in_momentum": False}
    with nogil:
        rmsprop_step(n, n, &x[0], &grad[0], &state[0, 0], &x[0], &state[0, 0],
                     &params, t, learning_rate)

A step ``<method>_step(n, stride, x, grad, state, x_out, state_out, params, step,
learning_rate)`` reads ``x``, the gradient at ``x`` and the state after step ``step - 1``
(one row per state array, rows ``stride`` elements apart, in the order the method's
``state_dict()`` lists them) and writes the iterate and the state after step ``step`` (1 for
the first) into ``x_out`` and ``state_out``: either separate buffers or exactly the inputs,
never partly overlapping. ``<method>_step_size`` writes the effective step size after a step
(see `rmsopt.effective_step_size`). A method that keeps a scalar of the whole run (NAdam's
product of momentum factors) declares ``<method>_prepare(&params, step)``, to be called once
before each step; its step recomputes the scalar when it was not. Every function is inline and
``nogil``: a module that cimports it compiles its own copy with its own flags (rmsopt compiles
one for the architecture's baseline and one for AVX2 and chooses at import), and every copy
gives the same bits. ``rmsopt/kernels/objective.pxd`` declares the signature of
C-level objectives. `get_include` gives the directory to add to Cython's include path.
"""

import os

__all__ = ["get_include"]


def get_include():
    """The directory that holds the ``rmsopt`` package, for Cython's include path
    (``cythonize(..., include_path=[rmsopt.kernels.get_include()])``)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
