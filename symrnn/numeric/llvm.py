"""The ``llvm`` backend: the engine's program, built in SymEngine, compiled to machine code by LLVM."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine.fast import backward_fast, require_symengine
from ..spec import RNNSpec
from .arrays import argument_layout, flat_arguments
from .base import CompiledRNN, output_layout, unpack


@dataclass(frozen=True, eq=False, repr=False)
class LLVMCompiled(CompiledRNN):
    """The unrolled straight-line program compiled by SymEngine's LLVM ``Lambdify``."""

    layout: list = field(default_factory=list)
    arguments: tuple = ()

    def evaluate(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict, bool]:
        rows, batched = flat_arguments(self.spec, params, xs, ys, s0, self.arguments)
        if rows.shape[0] == 1:
            out = np.empty(self.layout[-1][2])
            self.function.unsafe_real(rows[0], out)  # shapes and dtype were checked just above
        else:
            out = self.function(rows)
        J, grads = unpack(self.spec, self.layout, out, batched)
        return J, grads, batched


def compile_llvm(spec: RNNSpec, *, reduce: str = "none") -> LLVMCompiled:
    """Derive with the SymEngine route and compile the whole program with LLVM (``cse=True``).

    Raises:
        SymRNNError: symengine is not installed (the message says ``pip install symrnn[fast]``).
    """
    se = require_symengine()
    gradients = backward_fast(spec, numeric=True)
    J, entries = gradients.nested()
    function = se.Lambdify(list(gradients.inputs), [J, *entries], backend="llvm", cse=True)
    return LLVMCompiled(spec, function, "", "llvm", reduce, output_layout(spec), argument_layout(spec))
