"""rmsopt: adaptive first-order optimizers behind SciPy's ``minimize``.

>>> import rmsopt
>>> res = rmsopt.minimize(fun, x0, method="rmsprop", jac=grad)   # doctest: +SKIP
>>> opt = rmsopt.RMSprop(x, learning_rate=1e-3); opt.step(grad(x))   # doctest: +SKIP
"""

from . import _simd  # noqa: F401  (chooses the CPU build of the kernels' loops at import)
from . import plot, problems, schedules
from ._adadelta import ADADELTA
from ._adagrad import ADAGRAD
from ._adam import ADAM, ADAMW
from ._compare import compare
from ._diagnostics import effective_step_size
from ._minimize import make_method_callable, minimize, show_options
from ._multistart import multistart
from ._optimizers import Optimizer, optimizer_class
from ._runtime import show_runtime
from ._rmsprop import RMSPROP
from ._sgd import SGD as _SGD
from ._status import Status
from ._tune import tune

# SciPy custom-method functions: minimize(fun, x0, method=rmsopt.adam, ...).
rmsprop = make_method_callable(RMSPROP)
adagrad = make_method_callable(ADAGRAD)
adadelta = make_method_callable(ADADELTA)
adam = make_method_callable(ADAM)
adamw = make_method_callable(ADAMW)
sgd = make_method_callable(_SGD)

# Ask/tell optimizer objects: opt = rmsopt.Adam(x); opt.step(grad).
RMSprop = optimizer_class(RMSPROP)
Adagrad = optimizer_class(ADAGRAD)
Adadelta = optimizer_class(ADADELTA)
Adam = optimizer_class(ADAM)
AdamW = optimizer_class(ADAMW)
SGD = optimizer_class(_SGD)

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "Status",
    "adadelta",
    "adagrad",
    "adam",
    "adamw",
    "compare",
    "effective_step_size",
    "minimize",
    "multistart",
    "plot",
    "problems",
    "rmsprop",
    "schedules",
    "sgd",
    "show_options",
    "show_runtime",
    "tune",
]
__version__ = "0.1.0.dev0"
