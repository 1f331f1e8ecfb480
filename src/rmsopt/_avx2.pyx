"""The methods' chunk loops (``_<name>_step.pxd``) built with ``-mavx2``.

Imported by ``_simd`` only on CPUs with AVX2. ``LOOPS`` maps a method's kernel module to a
capsule with the address of its loop, a ``ChunkTask`` of ``_thread_pool.pxd``.
"""
from cpython.pycapsule cimport PyCapsule_New

from ._adadelta_step cimport adadelta_chunk
from ._adagrad_step cimport adagrad_chunk
from ._adam_step cimport adam_chunk
from ._rmsprop_step cimport rmsprop_chunk
from ._sgd_step cimport sgd_chunk
from ._thread_pool cimport ChunkTask


cdef object capsule(ChunkTask loop):
    return PyCapsule_New(<void*>loop, b"rmsopt chunk loop", NULL)


LOOPS = {
    "_rmsprop_kernel": capsule(rmsprop_chunk),
    "_adagrad_kernel": capsule(adagrad_chunk),
    "_adadelta_kernel": capsule(adadelta_chunk),
    "_adam_kernel": capsule(adam_chunk),
    "_sgd_kernel": capsule(sgd_chunk),
}
