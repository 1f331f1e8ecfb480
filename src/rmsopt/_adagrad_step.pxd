# Adagrad's step over one contiguous chunk of the arrays, state rows `stride` apart, inline so
# that each module cimporting it compiles its own copy: _adagrad_kernel for the baseline of the
# architecture, _avx2 with -mavx2 (see _simd.py). The copies give the same bits.
from cython cimport floating

from ._chunks cimport Chunk
from ._math cimport penalized_gradient, root


cdef enum:  # rows of the state block
    SQUARE_SUM = 0


ctypedef struct AdagradParams:
    double lr_decay
    double epsilon
    double weight_decay
    bint maximize


cdef inline void adagrad_step(Py_ssize_t n,
                              Py_ssize_t stride,               # distance between state rows
                              const floating* x,               # IN
                              const floating* grad,            # IN
                              const floating* state,           # IN: rows at stride
                              floating* x_out,                 # OUT (may be x)
                              floating* state_out,             # OUT (may be state)
                              const AdagradParams* p,
                              Py_ssize_t step,
                              double learning_rate,
                              ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* square_sum = state + SQUARE_SUM * stride
        floating* square_sum_out = state_out + SQUARE_SUM * stride
        floating epsilon = <floating>p.epsilon
        floating weight_decay = <floating>p.weight_decay
        floating neg_lr = <floating>(-(learning_rate / (1.0 + (step - 1) * p.lr_decay)))
        bint maximize = p.maximize
        floating xi, g, s

    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, weight_decay)
        s = square_sum[i] + g * g
        square_sum_out[i] = s
        x_out[i] = xi + neg_lr * g / (root(s) + epsilon)


cdef inline void adagrad_chunk(void* chunks, int index) noexcept nogil:
    # A ChunkTask (_thread_pool.pxd): chunk `index` of an array of _chunks.Chunk.
    cdef Chunk* c = &(<Chunk*>chunks)[index]
    cdef const AdagradParams* p = <const AdagradParams*>c.params
    if c.is_float:
        adagrad_step(c.n, c.stride, <const float*>c.x, <const float*>c.grad,
                     <const float*>c.state, <float*>c.x_out, <float*>c.state_out, p, c.step,
                     c.learning_rate)
    else:
        adagrad_step(c.n, c.stride, <const double*>c.x, <const double*>c.grad,
                     <const double*>c.state, <double*>c.x_out, <double*>c.state_out, p,
                     c.step, c.learning_rate)
