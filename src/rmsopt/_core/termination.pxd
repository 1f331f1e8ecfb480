# The statuses a run ends with (the codes of rmsopt.Status) and the termination tests the loop
# applies before each step of a full-data run, in SciPy's order of precedence. CONTINUE means
# the run goes on; EXCEPTION that the user's code raised and the run re-raises it.
from libc.math cimport fabs, fmax

cdef enum:
    EXCEPTION = -2
    CONTINUE = -1
    GTOL = 0
    FTOL = 1
    XTOL = 2
    MAXITER = 3
    MAXFEV = 4
    NONFINITE = 5
    EPOCHS = 6
    EARLY_STOP = 7
    BATCHES_EXHAUSTED = 8
    CALLBACK_STOP = 99


cdef inline int budget(Py_ssize_t nit,
                       Py_ssize_t maxiter,
                       Py_ssize_t nfev,
                       Py_ssize_t maxfev,          # PY_SSIZE_T_MAX: no limit
                       ) noexcept nogil:
    if nit >= maxiter:
        return MAXITER
    if nfev >= maxfev:
        return MAXFEV
    return CONTINUE


cdef inline int termination(double gradient_norm,      # projected gradient's max-norm at x
                            double gtol,
                            Py_ssize_t nit,            # iterations taken
                            double value,              # fun at x (NaN unless ftol > 0)
                            double previous_value,     # fun at the previous iterate
                            double ftol,
                            double step_norm,          # max-norm of the last step
                            double xtol,
                            double rate,               # the last step's learning rate
                            Py_ssize_t maxiter,
                            Py_ssize_t nfev,
                            Py_ssize_t maxfev,         # PY_SSIZE_T_MAX: no limit
                            ) noexcept nogil:
    if gradient_norm <= gtol:
        return GTOL
    # A step at rate 0 (a warmup's first) does not move x: ftol and xtol cannot judge it.
    if nit > 0 and ftol > 0 and rate > 0:
        if fabs(previous_value - value) <= ftol * fmax(
            fmax(fabs(previous_value), fabs(value)), 1.0
        ):
            return FTOL
    if nit > 0 and xtol > 0 and rate > 0 and step_norm <= xtol:
        return XTOL
    return budget(nit, maxiter, nfev, maxfev)
