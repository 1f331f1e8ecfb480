"""The arrays an optimizer object steps, in the structure the user gave them.

An optimizer takes one array, a list or tuple of arrays, a dict of named arrays, or
torch-style parameter groups: a list of dicts, each with ``"params"`` (an array, a list or
tuple of arrays, or a dict of them) and options of its own. `Parameters` keeps that
structure: its arrays are stepped in place, grouped (one group unless groups were given), and
gradients and state rows are read and written in the same structure.

Within a group, the arrays share one dtype and one state block, array after array, so a
group's step is element by element the step of its arrays' concatenation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from .._checks.errors import invalid, summary

__all__ = ["Group", "Parameters", "parse_parameters"]

ARRAY, SEQUENCE, MAPPING, GROUPS = "array", "sequence", "mapping", "groups"

_ARRAY = "a writable, C-contiguous float32 or float64 numpy array of finite values"
_ACCEPTED = f"{_ARRAY} (stepped in place), a list, tuple or dict of them, or parameter groups"


@dataclass(frozen=True)
class Group:
    """One group: its arrays as given (``structure`` says how: a bare array, a sequence or a
    mapping with ``keys``), their 1-D views, and the options given with the group."""

    structure: str
    keys: tuple[Any, ...]
    arrays: tuple[np.ndarray, ...]
    flat: tuple[np.ndarray, ...]
    options: Mapping[str, Any]
    kind: type  # list or tuple for a sequence, dict for a mapping

    @property
    def size(self) -> int:
        return sum(array.size for array in self.arrays)

    @property
    def dtype(self) -> np.dtype:
        return self.arrays[0].dtype

    def rebuild(self, leaves: Sequence[Any]) -> Any:
        """``leaves`` (one per array) in the group's structure."""
        if self.structure == ARRAY:
            return leaves[0]
        if self.structure == MAPPING:
            return dict(zip(self.keys, leaves, strict=True))
        return self.kind(leaves)

    def leaves(self, value: Any, subject: str) -> list[Any]:
        """The leaves of ``value``, which must have the group's structure."""
        if self.structure == ARRAY:
            return [value]
        if self.structure == MAPPING:
            accepted = f"a dict with the keys {list(self.keys)!r}"
            if not isinstance(value, Mapping) or list(value) != list(self.keys):
                if isinstance(value, Mapping) and set(value) == set(self.keys):
                    return [value[key] for key in self.keys]
                raise invalid(TypeError, subject, accepted, summary(value))
            return list(value.values())
        accepted = f"a list or tuple of {len(self.arrays)} arrays"
        if not isinstance(value, (list, tuple)) or len(value) != len(self.arrays):
            raise invalid(TypeError, subject, accepted, summary(value))
        return list(value)


@dataclass(frozen=True)
class Parameters:
    """What an optimizer steps: ``given`` as the user gave it, ``kind`` (array, sequence,
    mapping or groups) and the groups."""

    given: Any
    kind: str
    groups: tuple[Group, ...]

    def gradients(self, grad: Any, subject: str) -> list[list[Any]]:
        """``grad`` split into the groups' leaves (unchecked arrays)."""
        if self.kind != GROUPS:
            return [self.groups[0].leaves(grad, subject)]
        accepted = f"a list of {len(self.groups)} gradients, one per parameter group"
        if not isinstance(grad, (list, tuple)) or len(grad) != len(self.groups):
            raise invalid(TypeError, subject, accepted, summary(grad))
        return [
            group.leaves(value, f"{subject}, group {index}")
            for index, (group, value) in enumerate(zip(self.groups, grad, strict=True))
        ]

    def rebuild(self, per_group: Sequence[Sequence[Any]]) -> Any:
        """Leaves, one list per group, in the structure of ``given``."""
        if self.kind != GROUPS:
            return self.groups[0].rebuild(per_group[0])
        return [group.rebuild(leaves) for group, leaves in zip(self.groups, per_group, strict=True)]

    def describe(self) -> str:
        count = sum(len(group.arrays) for group in self.groups)
        dtype = self.groups[0].dtype.name
        if self.kind == ARRAY:
            array = self.groups[0].arrays[0]
            return f"<{dtype} array of shape {array.shape}>"
        size = sum(group.size for group in self.groups)
        groups = f" in {len(self.groups)} groups" if self.kind == GROUPS else ""
        return f"<{count} arrays{groups}, {size} elements>"


def parse_parameters(x: Any, subject: str) -> Parameters:
    """Check ``x`` and return its `Parameters`; ``subject`` names it in messages."""
    if isinstance(x, np.ndarray):
        return Parameters(x, ARRAY, (_group(ARRAY, (None,), [x], {}, subject, type(None)),))
    if isinstance(x, Mapping):
        return Parameters(x, MAPPING, (_mapping_group(x, {}, subject),))
    if isinstance(x, (list, tuple)) and x and all(isinstance(item, Mapping) for item in x):
        groups = tuple(_parameter_group(item, f"{subject}, group {i}") for i, item in enumerate(x))
        _distinct([array for group in groups for array in group.arrays], subject)
        return Parameters(x, GROUPS, groups)
    if isinstance(x, (list, tuple)):
        if not x:
            raise invalid(ValueError, subject, "at least one array", "an empty " + type(x).__name__)
        group = _group(SEQUENCE, tuple(range(len(x))), list(x), {}, subject, type(x))
        return Parameters(x, SEQUENCE, (group,))
    raise invalid(TypeError, subject, _ACCEPTED, summary(x))


def _parameter_group(item: Mapping[str, Any], subject: str) -> Group:
    if "params" not in item:
        raise invalid(
            ValueError, subject, "a dict with 'params' and options", f"the keys {list(item)!r}"
        )
    params = item["params"]
    options = {key: value for key, value in item.items() if key != "params"}
    if isinstance(params, np.ndarray):
        return _group(ARRAY, (None,), [params], options, subject, type(None))
    if isinstance(params, Mapping):
        return _mapping_group(params, options, subject)
    if isinstance(params, (list, tuple)) and params:
        return _group(SEQUENCE, tuple(range(len(params))), list(params), options, subject,
                      type(params))  # fmt: skip
    accepted = "an array, a non-empty list or tuple of arrays, or a dict of arrays"
    raise invalid(TypeError, f"{subject}: its 'params'", accepted, summary(params))


def _mapping_group(x: Mapping[Any, Any], options: Mapping[str, Any], subject: str) -> Group:
    if not x:
        raise invalid(ValueError, subject, "at least one array", "an empty dict")
    return _group(MAPPING, tuple(x), list(x.values()), options, subject, dict)


def _group(
    structure: str,
    keys: tuple[Any, ...],
    arrays: list[Any],
    options: Mapping[str, Any],
    subject: str,
    kind: type,
) -> Group:
    checked = []
    for key, array in zip(keys, arrays, strict=True):
        if structure == ARRAY:
            checked.append(_array(array, subject, _ACCEPTED))
        else:
            checked.append(_array(array, f"{subject}, element {key!r},", _ARRAY))
    dtypes = {array.dtype for array in checked}
    if len(dtypes) > 1:
        raise invalid(
            TypeError,
            subject,
            "arrays of one dtype (the run's precision; put others in a group of their own)",
            "the dtypes " + ", ".join(sorted(dtype.name for dtype in dtypes)),
        )
    _distinct(checked, subject)
    flat = tuple(array.reshape(-1) for array in checked)
    return Group(structure, keys, tuple(checked), flat, dict(options), kind)


def _array(x: Any, subject: str, accepted: str) -> np.ndarray:
    if isinstance(x, np.ma.MaskedArray):
        # The kernels would step the masked values too: refused rather than half honoured.
        raise invalid(TypeError, subject, f"{accepted}, not a masked array", "a masked array")
    if not isinstance(x, np.ndarray) or x.dtype not in (np.float32, np.float64):
        raise invalid(TypeError, subject, accepted, describe(x))
    if not x.flags.c_contiguous or not x.flags.writeable:
        raise invalid(ValueError, subject, accepted, describe(x))
    if x.size == 0:
        raise invalid(ValueError, subject, "non-empty", "an empty array")
    if not np.all(np.isfinite(x)):
        raise invalid(ValueError, subject, accepted, "an array with non-finite values")
    return x


def _distinct(arrays: list[np.ndarray], subject: str) -> None:
    """Refuse arrays that overlap in memory: each would be stepped twice. C-contiguous arrays
    span exactly their bytes, so sorting the spans finds any overlap."""
    spans = sorted((array.__array_interface__["data"][0], array.nbytes) for array in arrays)
    for (start, length), (following, _) in pairwise(spans):
        if following < start + length:
            raise invalid(
                ValueError,
                subject,
                "arrays that do not overlap in memory (each is stepped once)",
                "the same memory twice",
            )


def describe(value: Any) -> str:
    """An array described by its flags, dtype and shape (or an object by its type)."""
    if not isinstance(value, np.ndarray):
        return f"an object of type {type(value).__name__}"
    traits = []
    if not value.flags.writeable:
        traits.append("read-only")
    if not value.flags.c_contiguous:
        traits.append("non-contiguous")
    text = f"{' '.join(traits + [value.dtype.name])} array of shape {value.shape}"
    return f"{'an' if text[0] in 'aeiou' else 'a'} {text}"
