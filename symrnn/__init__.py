"""symrnn: machine-checked backpropagation through time."""
from __future__ import annotations

from typing import Any

from .check import CheckReport, check
from .engine.structured import Gradients, backward
from .errors import FormulaError, SymRNNError
from .numeric.compile import CompiledRNN, compile_spec as compile  # noqa: A001 - the DESIGN.md name
from .spec import RNNSpec
from .unroll import Graph, unroll

__version__ = "0.1.0"


def gradients(spec: RNNSpec, *, substitute: bool = False) -> Gradients | dict:
    """Every gradient of J by the structured route: ``{"W": Matrix, "U": ..., "V": ..., "b": ..., "c": ...}``.

    Args:
        spec: the model.
        substitute: if True, return plain matrices in leaf symbols only (nested; small cases only).

    Returns:
        A :class:`Gradients` mapping in named intermediates (u_t, s_t, ŷ_t and the adjoints δ_t,
        whose definitions it carries), or a dict of fully substituted matrices.
    """
    result = backward(unroll(spec))
    return result.substituted() if substitute else result


def __getattr__(name: str) -> Any:
    # derive and verify pull in the LaTeX printer and the lark grammar: load them on first use.
    if name == "derive":
        from .latex.documents import derive

        return derive
    if name == "verify":
        from .formula.verify import verify

        return verify
    if name == "verify_function":
        from .formula.code import verify_function

        return verify_function
    raise AttributeError(f"module 'symrnn' has no attribute {name!r}")


__all__ = ["CheckReport", "CompiledRNN", "FormulaError", "Gradients", "Graph", "RNNSpec", "SymRNNError",
           "check", "compile", "derive", "gradients", "unroll", "verify", "verify_function",
           "__version__"]
