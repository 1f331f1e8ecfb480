# Per-element arithmetic shared by the steps, in the working precision.
from cython cimport floating
from libc.math cimport fabs, sqrt, sqrtf


cdef inline floating root(floating value) noexcept nogil:
    # sqrtf for float: a double sqrt followed by `+ epsilon` in double would round differently.
    if floating is float:
        return sqrtf(value)
    else:
        return sqrt(value)


cdef inline floating lerp(floating start, floating end, floating weight) noexcept nogil:
    # start + weight * (end - start), computed as torch.lerp computes it: the formula depends on
    # which side of 1/2 the weight is, which keeps the result exact at weight 0 and 1.
    cdef floating difference = end - start
    # A typed one: Cython would write the literal as the double 1.0 and promote float32 math.
    cdef floating one = 1
    if fabs(weight) < 0.5:
        return start + weight * difference
    return end - difference * (one - weight)


cdef inline floating penalized_gradient(floating grad, floating x, bint maximize,
                                        floating weight_decay) noexcept nogil:
    # The gradient the update descends: negated when maximizing, plus the coupled L2 term
    # weight_decay * x (torch's order: negate first, then add the penalty).
    cdef floating g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * x
    return g
