"""LaTeX of the engine's matrix-level program (δ recurrence, gradients as Σ_t of outer products), in a notation."""

from __future__ import annotations

from collections.abc import Callable

from ..cells.expression import Constant, Elementwise, Hadamard, MatVec, Name, Scale, Tensor, TensorSum
from ..engine.vjp import Adjoint, ElementwiseDerivative, LossGradient, Next, Outer, Transposed
from .context import Context

T = r"^{\top}"


def _time(offset: int) -> str:
    return "t" if offset == 0 else f"t{offset:+d}"


class MatrixLatex:
    """Prints matrix-program nodes: ``derivative(t)`` renders ``diag(f'(u_t))`` in the document's own style."""

    def __init__(self, context: Context, derivative: Callable[[str], str]) -> None:
        self.context, self.names, self.derivative = context, context.names, derivative
        self.states = set(context.spec.state_names)

    def __call__(self, node: Tensor, offset: int = 0) -> str:
        N, t = self.names, _time(offset)
        if isinstance(node, Name):
            if node.name == "x":
                return N.q("x", t)
            if node.name.endswith("_prev"):
                return N.q(node.name[: -len("_prev")], _time(offset - 1))
            if node.name in self.context.graph.parameters:
                return N[node.name]
            return N.q(node.name, t)
        if isinstance(node, Adjoint):
            return N.q("delta", t) if node.name == "s" else rf"\bar{{{node.name}}}_{{{t}}}"
        if isinstance(node, LossGradient):
            return f"g_{{{t}}}"
        if isinstance(node, Constant):
            return str(node.value)
        if isinstance(node, Next):
            return self(node.operand, offset + 1)
        if isinstance(node, TensorSum):
            return " + ".join(self(term, offset) for term in node.terms)
        if isinstance(node, Transposed):
            return f"{self(node.matrix, offset)}{T} {self._factor(node.vector, offset)}"
        if isinstance(node, MatVec):
            return f"{self(node.matrix, offset)} {self._factor(node.vector, offset)}"
        if isinstance(node, Outer):
            return rf"{self(node.left, offset)}\, {self._factor(node.right, offset)}{T}"
        if (
            isinstance(node, Hadamard)
            and isinstance(node.left, ElementwiseDerivative)
            and node.left.function == "f"
        ):
            return f"{self.derivative(t)}{self(node.right, offset)}"
        if isinstance(node, Hadamard):
            return rf"{self._factor(node.left, offset)} \odot {self._factor(node.right, offset)}"
        if isinstance(node, ElementwiseDerivative):
            return rf"{node.function}'\bigl({self(node.operand, offset)}\bigr)"
        if isinstance(node, Elementwise):
            return rf"{node.function}\bigl({self(node.operand, offset)}\bigr)"
        if isinstance(node, Scale):
            return rf"{node.factor} {self._factor(node.operand, offset)}"
        raise TypeError(f"no LaTeX form for {type(node).__name__}")

    def _factor(self, node: Tensor, offset: int) -> str:
        text = self(node, offset)
        return (
            rf"\bigl({text}\bigr)"
            if isinstance(node, (TensorSum, Hadamard))
            and " " in text
            and "diag" not in text
            and not isinstance(node, Hadamard)
            else text
        )
