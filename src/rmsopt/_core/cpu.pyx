"""What the CPU can run, asked by code built for the baseline before a module built for more
is imported (a module compiled with -mavx2 may use AVX2 anywhere, its import included)."""

cdef extern from *:
    """
    #if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    /* GCC's and Clang's check also asks the OS whether it saves the YMM registers (XGETBV). */
    static int rmsopt_cpu_has_avx2(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    }
    #else
    static int rmsopt_cpu_has_avx2(void) { return 0; }
    #endif
    """
    bint cpu_has_avx2 "rmsopt_cpu_has_avx2"()


def has_avx2():
    """True when the CPU and the operating system support AVX2."""
    return cpu_has_avx2()
