# Muon's step (Jordan et al., 2024), written once for float32 and float64, as torch.optim.Muon
# takes it for a matrix of rows x cols (C order). With g the gradient (negated when
# maximizing), step t is
#
#     B  <- lerp(B, g, 1 - momentum)                        momentum_buffer
#     U   = lerp(g, B, momentum) if nesterov else B
#     X   = U / max(||U||_F, epsilon), transposed when rows > cols
#     X  <- a X + (b A + c A A) X,  A = X X^T               ns_steps times (Newton-Schulz)
#     x  <- x * (1 - lr * weight_decay) - lr * ratio * X    X transposed back
#
# with (a, b, c) the ns_coefficients and ratio sqrt(max(1, rows / cols)) (adjust_lr_fn None or
# "original") or 0.2 * sqrt(max(rows, cols)) ("match_rms_adamw"). torch casts U to bfloat16
# for the Newton-Schulz products; this step computes them in the run's dtype (BLAS's syrk and
# symm).
#
# A whole-array step (kernels/whole.pxd): the scratch holds X, the next X, A and b A + c A A.
# A vector (rows == 0) is read as one row.
from cython cimport floating
from libc.math cimport sqrt
from libc.string cimport memcpy
from scipy.linalg.cython_blas cimport dsymm, dsyrk, ssymm, ssyrk

from rmsopt.kernels.elementwise cimport lerp
from rmsopt.kernels.whole cimport WholeArray


cdef enum:  # rows of the state block
    MOMENTUM_BUFFER = 0

cdef enum:  # adjust_lr_fn
    ADJUST_ORIGINAL = 0
    ADJUST_MATCH_RMS_ADAMW = 1


ctypedef struct MuonParams:
    double momentum
    bint nesterov
    double ns_a
    double ns_b
    double ns_c
    int ns_steps
    double epsilon
    int adjust_lr
    double weight_decay
    bint maximize


cdef inline unsigned muon_rows_written(const MuonParams* p) noexcept nogil:
    # The state rows a step with these parameters writes (bit r for row r).
    return <unsigned>1 << MOMENTUM_BUFFER


cdef inline Py_ssize_t muon_rows(const WholeArray* array) noexcept nogil:
    return array.rows if array.rows else 1


cdef inline Py_ssize_t muon_cols(const WholeArray* array, Py_ssize_t n) noexcept nogil:
    return array.cols if array.rows else n


cdef inline Py_ssize_t muon_scratch_bytes(const MuonParams* p,
                                          const WholeArray* array,
                                          Py_ssize_t n,
                                          Py_ssize_t itemsize,
                                          ) noexcept nogil:
    cdef Py_ssize_t small = min(muon_rows(array), muon_cols(array, n))
    return (2 * n + 2 * small * small) * itemsize


cdef inline double muon_ratio(const MuonParams* p, const WholeArray* array,
                              Py_ssize_t n) noexcept nogil:
    # torch's _adjust_lr: the factor of lr in the update.
    cdef double rows = <double>muon_rows(array), cols = <double>muon_cols(array, n)
    if p.adjust_lr == ADJUST_MATCH_RMS_ADAMW:
        return 0.2 * sqrt(max(rows, cols))
    return sqrt(max(1.0, rows / cols))


cdef inline void syrk(char trans, int n, int k, floating alpha, floating* a, int lda,
                      floating beta, floating* c, int ldc) noexcept nogil:
    # Column-major C <- alpha op(A) op(A)^T + beta C, upper triangle only (BLAS's syrk).
    cdef char upper = c'U'
    if floating is float:
        ssyrk(&upper, &trans, &n, &k, &alpha, a, &lda, &beta, c, &ldc)
    else:
        dsyrk(&upper, &trans, &n, &k, &alpha, a, &lda, &beta, c, &ldc)


cdef inline void symm(char side, int m, int n, floating alpha, floating* a, int lda,
                      floating* b, int ldb, floating beta, floating* c, int ldc) noexcept nogil:
    # Column-major C <- alpha A B + beta C (side L) or alpha B A + beta C (side R), A symmetric
    # and read from its upper triangle (BLAS's symm).
    cdef char upper = c'U'
    if floating is float:
        ssymm(&side, &upper, &m, &n, &alpha, a, &lda, b, &ldb, &beta, c, &ldc)
    else:
        dsymm(&side, &upper, &m, &n, &alpha, a, &lda, b, &ldb, &beta, c, &ldc)


cdef inline void mirror(int n, floating* matrix) noexcept nogil:
    # The lower triangle of a column-major n x n matrix from its upper one.
    cdef int i, j
    for j in range(n):
        for i in range(j):
            matrix[j + i * n] = matrix[i + j * n]


cdef inline floating* newton_schulz(const MuonParams* p,
                                    Py_ssize_t rows,
                                    Py_ssize_t cols,
                                    floating* ortho,        # IN/OUT: U, normalised
                                    floating* spare,        # scratch: rows * cols
                                    floating* gram,         # scratch: small**2
                                    floating* update,       # scratch: small**2
                                    ) noexcept nogil:
    # torch's _zeropower_via_newtonschulz on the rows x cols matrix in `ortho` (C order);
    # returns the buffer (ortho or spare) holding the result, in the same layout.
    # Read column-major, C-order memory is the transpose: for rows <= cols it is Y = X^T
    # (cols x rows), with A = Y^T Y and Y <- a Y + Y (bA + cAA); for rows > cols it is torch's
    # transposed X itself (cols x rows), with A = X X^T and X <- a X + (bA + cAA) X. A and
    # bA + cAA are symmetric: syrk computes their upper triangles (half gemm's work), symm
    # multiplies by them.
    cdef int small = <int>min(rows, cols), large = <int>max(rows, cols), _
    cdef floating a = <floating>p.ns_a, b = <floating>p.ns_b, c = <floating>p.ns_c
    cdef floating one = 1, zero = 0
    cdef bint wide = rows <= cols
    for _ in range(p.ns_steps):
        if wide:
            syrk(c'T', small, large, one, ortho, large, zero, gram, small)
        else:
            syrk(c'N', small, large, one, ortho, small, zero, gram, small)
        mirror(small, gram)  # A A = A A^T reads all of A
        memcpy(update, gram, small * small * sizeof(floating))
        syrk(c'N', small, small, c, gram, small, b, update, small)
        memcpy(spare, ortho, rows * cols * sizeof(floating))
        if wide:
            symm(c'R', large, small, one, update, small, ortho, large, a, spare, large)
        else:
            symm(c'L', small, large, one, update, small, ortho, small, a, spare, small)
        ortho, spare = spare, ortho
    return ortho


cdef inline void muon_step(Py_ssize_t n,
                           Py_ssize_t stride,               # distance between state rows
                           const floating* x,               # IN
                           const floating* grad,            # IN
                           const floating* state,           # IN: rows at stride
                           floating* x_out,                 # OUT (may be x)
                           floating* state_out,             # OUT (may be state)
                           const MuonParams* p,
                           const WholeArray* array,         # x's shape; scratch
                           Py_ssize_t step,
                           double learning_rate,
                           ) noexcept nogil:
    cdef:
        Py_ssize_t i, rows = muon_rows(array), cols = muon_cols(array, n)
        Py_ssize_t small = min(rows, cols)
        const floating* buffer = state + MOMENTUM_BUFFER * stride
        floating* buffer_out = state_out + MOMENTUM_BUFFER * stride
        floating* ortho = <floating*>array.scratch
        floating* spare = ortho + n
        floating* gram = spare + n
        floating* update = gram + small * small
        floating momentum = <floating>p.momentum
        floating weight = <floating>(1.0 - p.momentum)
        floating decay = <floating>(1.0 - learning_rate * p.weight_decay)
        floating scale = <floating>(-(learning_rate * muon_ratio(p, array, n)))
        floating g, m, norm
        double squares = 0.0
        bint maximize = p.maximize, nesterov = p.nesterov
    for i in range(n):
        g = -grad[i] if maximize else grad[i]
        m = lerp(buffer[i], g, weight)
        buffer_out[i] = m
        ortho[i] = lerp(g, m, momentum) if nesterov else m
        squares += <double>ortho[i] * <double>ortho[i]
    norm = <floating>sqrt(squares)
    norm = <floating>p.epsilon if norm < <floating>p.epsilon else norm
    for i in range(n):
        ortho[i] = ortho[i] / norm
    ortho = newton_schulz(p, rows, cols, ortho, spare, gram, update)
    for i in range(n):
        x_out[i] = x[i] * decay + scale * ortho[i]


cdef inline void muon_step_size(Py_ssize_t n,
                                const floating* state,      # IN: (rows, n)
                                const MuonParams* p,
                                const WholeArray* array,
                                Py_ssize_t step,
                                double learning_rate,
                                double* out,                # OUT
                                ) noexcept nogil:
    # lr * ratio: the orthogonalised update's singular values are near 1 whatever the
    # gradient's scale.
    cdef Py_ssize_t i
    cdef double size = learning_rate * muon_ratio(p, array, n)
    for i in range(n):
        out[i] = size
