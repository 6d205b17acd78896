"""symrnn: machine-checked backpropagation through time.

The public names load on first use, so ``import symrnn`` (and the command line's start, where Ctrl-C
must already be handled) does not wait for SymPy. A public function is never shadowed by the module of
the same name (``symrnn.unroll``, ``symrnn.check``).
"""

from __future__ import annotations

import importlib
import sys
import types

from .errors import FormulaError, SymRNNError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: the package must load fast

__version__ = "0.1.0"

# public name -> (module, attribute): where each lazily loaded name lives.
_LAZY: dict[str, tuple[str, str]] = {
    "CheckReport": (".check", "CheckReport"),
    "check": (".check", "check"),
    "Gradients": (".engine.adjoint", "Gradients"),
    "Cell": (".cells", "Cell"),
    "make_cell": (".cells", "make_cell"),
    "CompiledRNN": (".numeric.compile", "CompiledRNN"),
    "compile": (".numeric.compile", "compile_spec"),
    "RNNSpec": (".spec", "RNNSpec"),
    "Graph": (".unroll", "Graph"),
    "unroll": (".unroll", "unroll"),
    "derive": (".latex.documents", "derive"),
    "gradflow": (".gradflow", "gradflow"),
    "train": (".train", "train"),
    "verify": (".formula.verify", "verify"),
    "verify_function": (".formula.code", "verify_function"),
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .cells import Cell, make_cell
    from .check import CheckReport, check
    from .engine.adjoint import Gradients
    from .formula.verify import verify
    from .latex.documents import derive
    from .numeric.compile import CompiledRNN
    from .numeric.compile import compile_spec as compile
    from .spec import RNNSpec
    from .unroll import Graph, unroll


def gradients(spec: RNNSpec, *, substitute: bool = False) -> Gradients | dict:
    """Every gradient of J by the structured route: ``{"W": Matrix, "U": ..., "V": ..., "b": ..., "c": ...}``.

    Args:
        spec: the model.
        substitute: if True, return plain matrices in leaf symbols only (nested; small cases only).

    Returns:
        A :class:`Gradients` mapping in named intermediates (u_t, s_t, ŷ_t and the adjoints δ_t,
        whose definitions it carries), or a dict of fully substituted matrices.
    """
    from .engine.adjoint import backward
    from .unroll import unroll as build

    if spec.truncation is not None and spec.truncation < spec.z:
        from .truncation import truncated_gradients

        result = truncated_gradients(spec).as_gradients("kept")
    else:
        result = backward(build(spec))
    return result.substituted() if substitute else result


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'symrnn' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module_name, __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """The package object: importing ``symrnn.unroll`` must not replace the function ``symrnn.unroll``."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return  # the import system binding a submodule over a public name: keep the public name
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "Cell",
    "CheckReport",
    "CompiledRNN",
    "FormulaError",
    "Gradients",
    "Graph",
    "RNNSpec",
    "SymRNNError",
    "__version__",
    "check",
    "compile",
    "derive",
    "gradflow",
    "gradients",
    "make_cell",
    "train",
    "unroll",
    "verify",
    "verify_function",
]
