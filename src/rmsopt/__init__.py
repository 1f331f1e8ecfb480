"""rmsopt: adaptive first-order optimizers behind SciPy's ``minimize``.

Every method of the table in ``rmsopt/_methods/registry.py`` is a `minimize` method name, a
SciPy custom-method function (``rmsopt.<name>``) and an ask/tell class
(``rmsopt.<ClassName>``):

>>> import numpy as np, rmsopt
>>> res = rmsopt.minimize(lambda x: x @ x, np.ones(3), jac=lambda x: 2 * x,
...                       method="rmsprop", options={"learning_rate": 0.05})
>>> bool(res.success)
True
>>> x = np.ones(3)
>>> opt = rmsopt.RMSprop(x, learning_rate=1e-3)
>>> _ = opt.step(2 * x)
>>> opt.step_count
1
"""

from . import plot, problems, schedules
from ._core import simd as _simd  # noqa: F401  (chooses the CPU build of the kernels' loops)
from ._core.runtime import show_runtime
from ._front.batch import BatchResult, minimize_batch
from ._front.diagnostics import effective_step_size
from ._front.minimize import make_method_callable, minimize, show_options
from ._front.optimizers import Optimizer, optimizer_class
from ._front.status import Status
from ._methods.registry import METHODS as _METHODS
from ._methods.registry import defaults
from ._search.compare import compare
from ._search.multistart import multistart
from ._search.tune import tune

__all__ = [
    "BatchResult",
    "Optimizer",
    "Status",
    "compare",
    "defaults",
    "effective_step_size",
    "minimize",
    "minimize_batch",
    "multistart",
    "plot",
    "problems",
    "schedules",
    "show_options",
    "show_runtime",
    "tune",
]

# For every method: the SciPy custom-method function, minimize(fun, x0, method=rmsopt.adam),
# and the ask/tell class, opt = rmsopt.Adam(x); opt.step(grad).
for _method in _METHODS.values():
    globals()[_method.name] = make_method_callable(_method)
    globals()[_method.class_name] = optimizer_class(_method)
    __all__ += [_method.name, _method.class_name]
del _method
__all__.sort()

__version__ = "0.1.0.dev0"
