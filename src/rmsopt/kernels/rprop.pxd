# Rprop's step (Riedmiller and Braun, 1993; torch's variant without weight backtracking),
# written once for float32 and float64. With g the gradient (negated when maximizing) and p the
# gradient kept from the step before, step t is
#
#     s  <- lr at t = 1                                 step_size
#     f  =  etaplus if g * p > 0, etaminus if g * p < 0, else 1
#     s  <- clip(s * f, step_size_min, step_size_max)
#     g  <- 0 where f == etaminus (the sign flipped: no move, and no flip next time)
#     x  <- x - sign(g) * s
#     p  <- g                                           prev
#
# in torch.optim.Rprop's order of operations. The learning rate only sets the first step size.
#
# The conventions every step follows: rmsopt/kernels/__init__.py.
from cython cimport floating


cdef enum:  # rows of the state block
    PREV = 0
    STEP_SIZE = 1


ctypedef struct RpropParams:
    double etaminus
    double etaplus
    double step_size_min
    double step_size_max
    bint maximize


cdef inline unsigned rprop_rows_written(const RpropParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return (<unsigned>1 << PREV) | (<unsigned>1 << STEP_SIZE)


cdef inline void rprop_step(Py_ssize_t n,
                            Py_ssize_t stride,               # distance between state rows
                            const floating* x,               # IN
                            const floating* grad,            # IN
                            const floating* state,           # IN: rows at stride
                            floating* x_out,                 # OUT (may be x)
                            floating* state_out,             # OUT (may be state)
                            const RpropParams* p,
                            Py_ssize_t step,
                            double learning_rate,
                            ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* prev = state + PREV * stride
        const floating* step_size = state + STEP_SIZE * stride
        floating* prev_out = state_out + PREV * stride
        floating* step_size_out = state_out + STEP_SIZE * stride
        floating etaminus = <floating>p.etaminus, etaplus = <floating>p.etaplus
        floating low = <floating>p.step_size_min, high = <floating>p.step_size_max
        floating first = <floating>learning_rate
        bint maximize = p.maximize, starts = step == 1
        floating g, product, factor, s
    for i in range(n):
        g = -grad[i] if maximize else grad[i]
        product = g * prev[i]
        factor = etaplus if product > 0 else (etaminus if product < 0 else 1)
        s = (first if starts else step_size[i]) * factor
        # torch's clamp_(min, max): the bounds in that order, NaN kept.
        if s < low:
            s = low
        if s > high:
            s = high
        step_size_out[i] = s
        if factor == etaminus:
            g = 0
        prev_out[i] = g
        if g > 0:
            x_out[i] = x[i] - s
        elif g < 0:
            x_out[i] = x[i] + s
        else:
            x_out[i] = x[i]


cdef inline void rprop_step_size(Py_ssize_t n,
                                 const floating* state,           # IN: (rows, n)
                                 const RpropParams* p,
                                 Py_ssize_t step,
                                 double learning_rate,
                                 double* out,                     # OUT
                                 ) noexcept nogil:
    # The step size row: each element moves by it, whatever the gradient's size.
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = <double>state[STEP_SIZE * n + i]
