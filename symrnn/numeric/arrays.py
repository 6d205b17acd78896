"""Validation of user arrays for compiled functions: shapes, dtypes, finiteness, the batch rule."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..spec import RNNSpec


def _as_float_array(name: str, value: Any) -> np.ndarray:
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and other objects NumPy cannot read
        raise TypeError(f"{name} must be an array of real numbers: {error}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf (inputs are checked like SciPy's check_finite=True)")
    return array


def _initial_state(spec: RNNSpec, s0: Any) -> Any:
    """An LSTM's ``(h0, c0)`` pair joined into one state vector (the states' order); anything else as given."""
    states = len(spec.state_names)
    if states > 1 and isinstance(s0, (tuple, list)) and len(s0) == states:
        parts = [_as_float_array(f"s0[{i}]", part) for i, part in enumerate(s0)]
        if all(part.ndim >= 1 and part.shape == parts[0].shape for part in parts):
            return np.concatenate(parts, axis=-1)
    return s0


def validate_call(
    spec: RNNSpec, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None, *, any_length: bool = False
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, bool]:
    """Check one call against ``spec`` and bring data to batched form.

    Args:
        any_length: accept sequences of any length (backends that loop over time), not only ``spec.z``.

    Returns:
        ``(params, xs (B,z,e), ys (B,z,m), s0 (B,S), batched)``; ``batched`` says whether the caller
        gave a leading batch axis (results then keep it); S is the whole state's size (2n for the LSTM).
    """
    if not isinstance(params, Mapping):
        raise TypeError("params must be a mapping such as {'W': ..., 'U': ..., 'V': ..., 'b': ..., 'c': ...}")
    shapes = spec.shapes
    needed = [name for name in spec.parameter_names if name != "s0"]
    missing = [name for name in needed if name not in params]
    if missing:
        raise ValueError(f"params is missing {', '.join(missing)} (needs {', '.join(needed)})")
    extra = [name for name in params if name not in needed]
    if extra:
        raise ValueError(
            f"params has unexpected entries {', '.join(map(str, extra))} (spec needs {', '.join(needed)})"
        )
    arrays = {}
    for name in needed:
        arrays[name] = _as_float_array(f"params[{name!r}]", params[name])
        if arrays[name].shape != shapes[name]:
            raise ValueError(f"params[{name!r}] must have shape {shapes[name]}, got {arrays[name].shape}")
    xs_array, ys_array = _as_float_array("xs", xs), _as_float_array("ys", ys)
    batched = xs_array.ndim == 3
    if any_length:
        if xs_array.ndim not in (2, 3) or xs_array.shape[-1] != spec.e or xs_array.shape[-2] < 1:
            raise ValueError(
                f"xs must have shape (z, {spec.e}) or (B, z, {spec.e}) for any z >= 1, got {xs_array.shape}"
            )
        shapes = {**shapes, "xs": (xs_array.shape[-2], spec.e), "ys": (xs_array.shape[-2], spec.m)}
    if xs_array.shape[-2:] != shapes["xs"] or xs_array.ndim not in (2, 3):
        raise ValueError(f"xs must have shape {shapes['xs']} or (B, *{shapes['xs']}), got {xs_array.shape}")
    expected_ys = (xs_array.shape[0], *shapes["ys"]) if batched else shapes["ys"]
    if ys_array.shape != expected_ys:
        raise ValueError(
            f"ys must have shape {expected_ys} to match xs {xs_array.shape}, got {ys_array.shape}"
        )
    B, S = (xs_array.shape[0] if batched else 1), spec.state_size
    if s0 is None:
        s0_array = np.zeros((B, S))
    else:
        s0_array = _as_float_array("s0", _initial_state(spec, s0))
        if s0_array.shape == (S,):
            s0_array = np.broadcast_to(s0_array, (B, S))
        elif not (batched and s0_array.shape == (B, S)):
            allowed = f"({S},)" + (f" or ({B}, {S})" if batched else "")
            pair = " (or a pair (h0, c0))" if len(spec.state_names) > 1 else ""
            raise ValueError(f"s0 must have shape {allowed}{pair}, got {s0_array.shape}")
    if not batched:
        xs_array, ys_array = xs_array[None], ys_array[None]
    return arrays, xs_array, ys_array, np.asarray(s0_array, dtype=np.float64), batched


def flat_arguments(
    spec: RNNSpec, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None, layout: tuple | None = None
) -> tuple[np.ndarray, bool]:
    """The call as one float64 row per sequence in the fixed argument order (parameters, s0, xs, ys).

    Float64 arrays of the right shapes take a short path with one finiteness check; anything else goes
    through :func:`validate_call`, so every error message is the same as for the NumPy backend.

    Args:
        layout: :func:`argument_layout` of ``spec``, precomputed by the caller (optional).

    Returns:
        ``(rows (B, N), batched)``.
    """
    names, shapes, zeros = layout if layout is not None else argument_layout(spec)
    ndarray, float64 = np.ndarray, np.float64
    try:
        fast = (
            type(xs) is ndarray
            and type(ys) is ndarray
            and xs.dtype == float64
            and ys.dtype == float64
            and xs.shape == shapes[-2]
            and ys.shape == shapes[-1]
            and len(params) == len(names)
            and (s0 is None or (type(s0) is ndarray and s0.dtype == float64 and s0.shape == zeros.shape))
        )
        if fast:
            parts = [params[name] for name in names]
            fast = all(
                type(part) is ndarray and part.dtype == float64 and part.shape == shape
                for part, shape in zip(parts, shapes)
            )
    except (TypeError, KeyError):
        fast = False
    if fast:
        parts += [zeros if s0 is None else s0, xs, ys]
        row = np.concatenate([part.ravel() for part in parts])
        # One sum finds NaN or inf; only an overflowing sum of finite values needs the full check.
        if math.isfinite(row.sum()) or np.isfinite(row).all():
            return row[None], False
    arrays, xs_b, ys_b, s0_b, batched = validate_call(spec, params, xs, ys, s0)
    B = xs_b.shape[0]
    parameters = np.concatenate([arrays[name].ravel() for name in names])
    rows = np.empty((B, parameters.size + spec.state_size + xs_b[0].size + ys_b[0].size))
    p, q = parameters.size, parameters.size + spec.state_size
    rows[:, :p] = parameters
    rows[:, p:q] = s0_b
    rows[:, q : q + xs_b[0].size] = xs_b.reshape(B, -1)
    rows[:, q + xs_b[0].size :] = ys_b.reshape(B, -1)
    return rows, batched


def argument_layout(spec: RNNSpec) -> tuple[tuple[str, ...], tuple[tuple[int, ...], ...], np.ndarray]:
    """``(parameter names, their shapes then the xs and ys shapes, zero s0)`` for :func:`flat_arguments`."""
    names = tuple(name for name in spec.parameter_names if name != "s0")
    shapes = tuple(spec.shapes[name] for name in (*names, "xs", "ys"))
    return names, shapes, np.zeros(spec.state_size)
