# The C-level objective rmsopt.minimize runs without the GIL: it returns f(x) and writes the
# gradient at x into grad (n elements), with user_data the pointer given to the
# scipy.LowLevelCallable that wraps it. An objective written in Cython against this type is
# accepted by rmsopt.minimize through scipy.LowLevelCallable.from_cython.
ctypedef double (*objective_function)(int n,
                                      const double* x,      # IN
                                      double* grad,         # OUT
                                      void* user_data,
                                      ) noexcept nogil


# The C-level objective of rmsopt.minimize_batch: for every problem i with active[i] nonzero,
# it writes f(X[i]) into values[i] and the gradient at X[i] into grad's row i (X and grad are
# C-contiguous m x n); it returns 0, or nonzero when it failed (the batch then raises). Rows
# of inactive problems are neither read nor to be written.
ctypedef int (*batch_objective_function)(int m,
                                         int n,
                                         const double* X,                  # IN: (m, n)
                                         double* grad,                     # OUT: (m, n)
                                         double* values,                   # OUT: (m,)
                                         const unsigned char* active,      # IN: (m,)
                                         void* user_data,
                                         ) noexcept nogil
