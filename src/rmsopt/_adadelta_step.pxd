# Adadelta's step over one contiguous chunk of the arrays, state rows `stride` apart, inline so
# that each module cimporting it compiles its own copy: _adadelta_kernel for the baseline of the
# architecture, _avx2 with -mavx2 (see _simd.py). The copies give the same bits.
from cython cimport floating

from ._chunks cimport Chunk
from ._math cimport penalized_gradient, root


cdef enum:  # rows of the state block
    SQUARE_AVG = 0
    ACC_DELTA = 1


ctypedef struct AdadeltaParams:
    double rho
    double epsilon
    double weight_decay
    bint maximize


cdef inline void adadelta_step(Py_ssize_t n,
                               Py_ssize_t stride,               # distance between state rows
                               const floating* x,               # IN
                               const floating* grad,            # IN
                               const floating* state,           # IN: rows at stride
                               floating* x_out,                 # OUT (may be x)
                               floating* state_out,             # OUT (may be state)
                               const AdadeltaParams* p,
                               Py_ssize_t step,
                               double learning_rate,
                               ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* square_avg = state + SQUARE_AVG * stride
        const floating* acc_delta = state + ACC_DELTA * stride
        floating* square_avg_out = state_out + SQUARE_AVG * stride
        floating* acc_delta_out = state_out + ACC_DELTA * stride
        floating rho = <floating>p.rho
        floating one_minus_rho = <floating>(1.0 - p.rho)
        floating epsilon = <floating>p.epsilon
        floating weight_decay = <floating>p.weight_decay
        floating neg_lr = <floating>(-learning_rate)
        bint maximize = p.maximize
        floating xi, g, v, delta

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, weight_decay)
        v = square_avg[i] * rho + one_minus_rho * g * g
        square_avg_out[i] = v
        delta = root(acc_delta[i] + epsilon) / root(v + epsilon) * g
        acc_delta_out[i] = acc_delta[i] * rho + one_minus_rho * delta * delta
        x_out[i] = xi + neg_lr * delta


cdef inline void adadelta_chunk(void* chunks, int index) noexcept nogil:
    # A ChunkTask (_thread_pool.pxd): chunk `index` of an array of _chunks.Chunk.
    cdef Chunk* c = &(<Chunk*>chunks)[index]
    cdef const AdadeltaParams* p = <const AdadeltaParams*>c.params
    if c.is_float:
        adadelta_step(c.n, c.stride, <const float*>c.x, <const float*>c.grad,
                      <const float*>c.state, <float*>c.x_out, <float*>c.state_out, p, c.step,
                      c.learning_rate)
    else:
        adadelta_step(c.n, c.stride, <const double*>c.x, <const double*>c.grad,
                      <const double*>c.state, <double*>c.x_out, <double*>c.state_out, p,
                      c.step, c.learning_rate)
