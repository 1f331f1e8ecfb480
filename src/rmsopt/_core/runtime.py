"""``show_runtime``: what the native core runs with in this process."""

from .._checks.constraints import Flag
from .._checks.errors import argument
from . import simd, thread_pool

__all__ = ["show_runtime"]


def show_runtime(disp=True):
    """Report the build of the kernels' loops in use and the threads steps may use.

    Parameters
    ----------
    disp : bool, optional
        Print the report (default). Otherwise return it.

    Returns
    -------
    report : dict or None
        ``None`` when printed; otherwise a dict with ``loop_build`` (the build steps run:
        ``"baseline"`` or ``"avx2"``), ``loop_builds`` (those this CPU and this package can
        run), ``disabled_features`` (what ``RMSOPT_DISABLE_CPU_FEATURES`` named when rmsopt
        was imported, which chose the build), ``cpus`` (the CPUs the process may use, which
        bound the ``threads`` option) and ``pool_workers`` (the worker threads started so far).

    Examples
    --------
    >>> import rmsopt
    >>> rmsopt.show_runtime(disp=False)["loop_build"] in ("baseline", "avx2")
    True
    """
    disp = Flag().check(disp, argument("disp"))
    report = {
        "loop_build": simd.selected_loop(),
        "loop_builds": simd.loop_targets(),
        "disabled_features": simd.DISABLED_AT_IMPORT,
        "cpus": thread_pool.cpus(),
        "pool_workers": thread_pool.workers(),
    }
    if not disp:
        return report
    width = max(map(len, report))
    for name, value in report.items():
        print(f"{name.ljust(width)}  {value}")
    return None
