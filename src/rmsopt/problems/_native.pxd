# C-level versions of test problems, exported through __pyx_capi__ so that
# scipy.LowLevelCallable.from_cython can wrap them (Problem.native).
cdef double rosenbrock(int n, const double *x, double *grad, void *user_data) noexcept nogil
cdef double sphere(int n, const double *x, double *grad, void *user_data) noexcept nogil
