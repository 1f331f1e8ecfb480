"""Records as a table: a pandas DataFrame when pandas is there, else a list
of dicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["as_table"]


def as_table(
    records: list[dict[str, Any]], columns: Sequence[str], as_frame: bool | None, caller: str
) -> Any:
    """``records`` as a DataFrame with ``columns`` (``as_frame`` True, or None
    with pandas installed) or as they are (False, or None without pandas).
    ``caller`` names the function in the error when pandas is missing."""
    if as_frame is False:
        return records
    try:
        import pandas
    except ImportError:
        if as_frame:
            raise ImportError(
                f"{caller}(as_frame=True) needs pandas; install it or pass as_frame=False."
            ) from None
        return records
    return pandas.DataFrame.from_records(records, columns=list(columns))
