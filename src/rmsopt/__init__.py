"""rmsopt: adaptive first-order optimizers behind SciPy's ``minimize``.

>>> import rmsopt
>>> res = rmsopt.minimize(fun, x0, method="rmsprop", jac=grad)   # doctest: +SKIP
"""

from ._minimize import make_method_callable, minimize, show_options
from ._rmsprop import RMSPROP
from ._status import Status

rmsprop = make_method_callable(RMSPROP)

__all__ = ["Status", "minimize", "rmsprop", "show_options"]
__version__ = "0.1.0.dev0"
