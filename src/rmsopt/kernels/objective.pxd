# The C-level objective rmsopt.minimize runs without the GIL: it returns f(x) and writes the
# gradient at x into grad (n elements), with user_data the pointer given to the
# scipy.LowLevelCallable that wraps it. An objective written in Cython against this type is
# accepted by rmsopt.minimize through scipy.LowLevelCallable.from_cython.
ctypedef double (*objective_function)(int n,
                                      const double* x,      # IN
                                      double* grad,         # OUT
                                      void* user_data,
                                      ) noexcept nogil
