# Averaged SGD's step (Polyak and Juditsky, 1992; the schedule of Bottou, 2012), written once
# for float32 and float64. With g the gradient (negated when maximizing, plus weight_decay * x),
# step t is
#
#     eta_t = lr / (1 + lambd * lr * (t - 1))**alpha
#     mu_t  = 1 / max(1, t - 1 - t0)
#     x     <- x * (1 - lambd * eta_t) - eta_t * g
#     a     <- x  if mu_t == 1,  else  a + (x - a) * mu_t           ax, the averaged iterate
#
# in torch.optim.ASGD's order of operations (torch computes eta and mu at the end of the step
# before, from that step's count and rate: the same numbers at a constant rate).
#
# The conventions every step follows: rmsopt/kernels/__init__.py.
from cython cimport floating
from libc.math cimport pow

from rmsopt.kernels.elementwise cimport penalized_gradient


cdef enum:  # rows of the state block
    AX = 0


ctypedef struct ASGDParams:
    double lambd
    double alpha
    double t0
    double weight_decay
    bint maximize


cdef inline unsigned asgd_rows_written(const ASGDParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return <unsigned>1 << AX


cdef inline double asgd_eta(const ASGDParams* p, Py_ssize_t step,
                            double learning_rate) noexcept nogil:
    # The step size of step `step`.
    return learning_rate / pow(1.0 + p.lambd * learning_rate * <double>(step - 1), p.alpha)


cdef inline void asgd_step(Py_ssize_t n,
                           Py_ssize_t stride,               # distance between state rows
                           const floating* x,               # IN
                           const floating* grad,            # IN
                           const floating* state,           # IN: rows at stride
                           floating* x_out,                 # OUT (may be x)
                           floating* state_out,             # OUT (may be state)
                           const ASGDParams* p,
                           Py_ssize_t step,
                           double learning_rate,
                           ) noexcept nogil:
    cdef:
        Py_ssize_t i
        const floating* ax = state + AX * stride
        floating* ax_out = state_out + AX * stride
        double eta = asgd_eta(p, step, learning_rate)
        double since = <double>(step - 1) - p.t0
        double mu = 1.0 / (since if since > 1.0 else 1.0)
        floating shrink = <floating>(1.0 - p.lambd * eta)
        floating neg_eta = <floating>(-eta)
        floating mu_f = <floating>mu
        floating weight_decay = <floating>p.weight_decay
        bint maximize = p.maximize, copies = mu == 1.0
        floating xi, g, a
    for i in range(n):
        xi = x[i]
        g = penalized_gradient(grad[i], xi, maximize, weight_decay)
        xi = xi * shrink
        xi = xi + neg_eta * g
        x_out[i] = xi
        if copies:
            ax_out[i] = xi
        else:
            a = ax[i]
            ax_out[i] = a + (xi - a) * mu_f


cdef inline void asgd_step_size(Py_ssize_t n,
                                const floating* state,           # IN: (rows, n)
                                const ASGDParams* p,
                                Py_ssize_t step,
                                double learning_rate,
                                double* out,                     # OUT
                                ) noexcept nogil:
    # eta_t, the same for every element.
    cdef:
        Py_ssize_t i
        double eta = asgd_eta(p, step, learning_rate)
    for i in range(n):
        out[i] = eta
