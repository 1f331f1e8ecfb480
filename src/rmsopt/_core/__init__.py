"""The native core: the run loop (``driver``) and its sources of gradients (``sources``), the
kernels of every method generated from one table (``method_kernels.pyx.tp``), the chunked
per-element work and its thread pool, the reductions (``vector.pxd``), the history recorder,
the ask/tell step (``stepper``) and CPU dispatch (``simd``). Imports nothing above
``_checks`` and the ``kernels`` interface."""
