"""RMSprop's vectorised loop (``_rmsprop_loops.pxd``) built with ``-mavx2``.

Imported by ``_rmsprop_kernel`` only on CPUs with AVX2; ``CHUNK_LOOP`` carries the loop's
address, a ``ChunkTask`` of ``_thread_pool.pxd``.
"""
from cpython.pycapsule cimport PyCapsule_New

from ._rmsprop_loops cimport run_chunk_of

CHUNK_LOOP_NAME = b"rmsopt._rmsprop_avx2.CHUNK_LOOP"
CHUNK_LOOP = PyCapsule_New(<void*>run_chunk_of, CHUNK_LOOP_NAME, NULL)
