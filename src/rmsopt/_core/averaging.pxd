# Iterate averaging, as torch.optim.swa_utils.AveragedModel.update_parameters takes it after
# each step: the first averaged iterate is copied; after it the average moves towards the
# iterate by lerp(average, x, w), with w = 1 - decay (averaging="ema", torch's
# get_ema_multi_avg_fn(decay)) or w = 1 / (k + 1) after k averaged iterates
# (averaging="uniform", torch's default, the SWA average).
from cython cimport floating
from libc.string cimport memcpy

from rmsopt.kernels.elementwise cimport lerp


cdef enum:  # the averaging option
    AVERAGE_NONE = 0
    AVERAGE_EMA = 1
    AVERAGE_UNIFORM = 2


cdef inline double average_weight(int averaging, double decay,
                                  Py_ssize_t averaged) noexcept nogil:
    # The weight of the next iterate after `averaged` of them (1: a copy).
    if averaged == 0:
        return 1.0
    if averaging == AVERAGE_EMA:
        return 1.0 - decay
    return 1.0 / <double>(averaged + 1)


cdef inline void average_into(Py_ssize_t n,
                              floating* average,       # IN/OUT
                              const floating* x,       # IN
                              double weight,           # 1: copy x
                              ) noexcept nogil:
    cdef Py_ssize_t i
    # torch hands the weight to its lerp kernel as a scalar of the arrays' dtype.
    cdef floating w = <floating>weight
    if weight == 1.0:
        memcpy(average, x, n * sizeof(floating))
        return
    for i in range(n):
        average[i] = lerp(average[i], x[i], w)
