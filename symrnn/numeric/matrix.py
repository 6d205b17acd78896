"""Matrix-level NumPy source for any cell: the engine's matrix program printed as batched matmuls over time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter

from ..activations import ACTIVATIONS, Activation, activation_rule
from ..cells.expression import Block, Constant, Elementwise, Hadamard, MatVec, Name, Scale, Tensor, TensorSum
from ..engine.vjp import (
    Adjoint,
    ElementwiseDerivative,
    LossGradient,
    MatrixProgram,
    Next,
    Outer,
    Placed,
    Transposed,
    matrix_children,
    matrix_program,
)
from ..losses import loss_rule
from ..notation import symbol_name
from ..spec import RNNSpec
from .arrays import validate_call
from .base import CompiledRNN, overflow_error

INDENT = "    "


class _Printer(NumPyPrinter):
    """NumPy printing with Max/Min as one ``numpy.amax``/``amin`` over the stacked arguments (no functools)."""

    def _print_Max(self, expr: sympy.Max) -> str:
        return f"numpy.amax([{', '.join(map(self._print, expr.args))}], axis=0)"

    def _print_Min(self, expr: sympy.Min) -> str:
        return f"numpy.amin([{', '.join(map(self._print, expr.args))}], axis=0)"


def _printer() -> NumPyPrinter:
    return _Printer({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False})


def _rule(spec: RNNSpec, function: str) -> Activation:
    return activation_rule(spec.activation) if function == "f" else ACTIVATIONS[function]


def _used_functions(program: MatrixProgram) -> list[str]:
    found: list[str] = []

    def walk(node: Tensor) -> None:
        if isinstance(node, (Elementwise, ElementwiseDerivative)) and node.function not in found:
            found.append(node.function)
        for child in matrix_children(node):
            walk(child)

    for _, expression in program.equations:
        walk(expression)
    for equation in program.adjoints:
        walk(equation.expression)
    return found


def functions_source(spec: RNNSpec, program: MatrixProgram | None = None) -> str:
    """Each element-wise function of the cell and its derivatives, printed from the activation rule table.

    ``phi_<name>(u)``, ``phi_<name>_prime(u)`` and, where the table has it, ``phi_<name>_prime_out(y)``
    (the derivative written through the output ``y = φ(u)``). The sigmoid is printed in its tanh form,
    the same function without overflow of ``exp(-u)``.
    """
    program = program or matrix_program(spec)
    printer = _printer()
    u = sympy.Symbol(symbol_name("u"), real=True)
    y = sympy.Symbol(symbol_name("s"), real=True)
    blocks = []
    for function in _used_functions(program):
        rule = _rule(spec, function)
        name = rule.name if function != "f" else f"{spec.activation_name} (f)"
        value = rule.function(u)
        if rule.name == "sigmoid":
            value = sympy.Rational(1, 2) * (1 + sympy.tanh(u / 2))  # σ(u) exactly, no overflow
        blocks.append(
            f'def phi_{function}(u):\n{INDENT}"""{name}, element-wise."""\n'
            f"{INDENT}return {printer.doprint(value)} + 0 * u\n"
        )
        prime = rule.derivative(u)
        if rule.name == "sigmoid":
            prime = value * (1 - value)
        blocks.append(
            f'def phi_{function}_prime(u):\n{INDENT}"""Its derivative, element-wise."""\n'
            f"{INDENT}return {printer.doprint(prime)} + 0 * u\n"
        )
        if rule.derivative_of_output is not None:
            blocks.append(
                f'def phi_{function}_prime_out(s):\n{INDENT}"""Its derivative written through the '
                f'output s."""\n{INDENT}return {printer.doprint(rule.derivative_of_output(y))} + 0 * s\n'
            )
    return "\n\n".join(blocks)


def core_parameters(spec: RNNSpec) -> list[str]:
    """The argument names of the core function: the parameters (spec order), xs, ys, s0."""
    return [name for name in spec.parameter_names if name != "s0"] + ["xs", "ys", "s0"]


class _Coder:
    """Prints matrix-program nodes as NumPy expressions at one time index ``t`` or over all times at once."""

    def __init__(self, spec: RNNSpec, program: MatrixProgram) -> None:
        self.spec, self.program = spec, program
        self.states = set(program.cell.states)
        self.rows = {name: size.value(spec.e, spec.n) for name, size in program.cell.sizes.items()}
        self.rows.update({name: spec.shapes[name][0] for name in program.cell.parameter_names})
        self.rows.update({"x": spec.e, **{f"{state}_prev": spec.n for state in self.states}})

    def array(self, node: Tensor, t: str | None) -> str:
        """Name, adjoint or g_t as an indexed array (whole time axis when ``t`` is None)."""

        def at(name: str, offset: str = "") -> str:
            return name if t is None else f"{name}[{t}{offset}]"

        if isinstance(node, Name):
            name = node.name
            if name in self.program.cell.parameter_names:
                return f"P_{name}"
            if name == "x":
                return at("X")
            if name.endswith("_prev"):
                state = name[: -len("_prev")]
                return f"S_{state}[:-1]" if t is None else f"S_{state}[{t}]"
            if name in self.states:
                return f"S_{name}[1:]" if t is None else f"S_{name}[{t} + 1]"
            if name in self.rows:
                return at(f"F_{name}")
            return f"P_{name}"  # the output layer's V
        if isinstance(node, Adjoint):
            return at(f"A_{node.name}")
        if isinstance(node, LossGradient):
            return at("G")
        raise TypeError(f"{type(node).__name__} is not an array")

    def size(self, node: Tensor) -> int:
        if isinstance(node, (Name, Adjoint)):
            return self.rows[node.name]
        if isinstance(node, LossGradient):
            return self.spec.m
        if isinstance(node, (MatVec, Transposed)):
            rows, columns = self.matrix_shape(node.matrix)
            return rows if isinstance(node, MatVec) else columns
        if isinstance(node, Block):
            return self.size(node.operand) // node.count
        if isinstance(node, Placed):
            return self.size(node.operand) * node.count
        sizes = [self.size(child) for child in matrix_children(node) if not isinstance(child, Constant)]
        return sizes[0]

    def matrix_shape(self, node: Tensor) -> tuple[int, int]:
        if isinstance(node, Name):
            return self.spec.shapes[node.name]
        if isinstance(node, Block):
            rows, columns = self.matrix_shape(node.operand)
            return rows // node.count, columns
        raise TypeError(f"{type(node).__name__} is not a matrix")

    def matrix(self, node: Tensor) -> str:
        if isinstance(node, Name):
            return f"P_{node.name}"
        if isinstance(node, Block):
            rows = self.matrix_shape(node.operand)[0] // node.count
            return f"{self.matrix(node.operand)}[{node.index * rows}:{(node.index + 1) * rows}]"
        raise TypeError(f"{type(node).__name__} is not a matrix")

    def code(self, node: Tensor, t: str | None) -> str:
        if isinstance(node, (Name, Adjoint, LossGradient)):
            return self.array(node, t)
        if isinstance(node, Constant):
            return repr(float(node.value))
        if isinstance(node, Scale):
            return f"{float(node.factor)!r} * {self.code(node.operand, t)}"
        if isinstance(node, TensorSum):
            return "(" + " + ".join(self.code(term, t) for term in node.terms) + ")"
        if isinstance(node, Hadamard):
            return f"({self.code(node.left, t)} * {self.code(node.right, t)})"
        if isinstance(node, MatVec):
            return f"({self.code(node.vector, t)} @ {self.matrix(node.matrix)}.T)"
        if isinstance(node, Transposed):
            return f"({self.code(node.vector, t)} @ {self.matrix(node.matrix)})"
        if isinstance(node, Elementwise):
            return f"phi_{node.function}({self.code(node.operand, t)})"
        if isinstance(node, ElementwiseDerivative):
            rule = _rule(self.spec, node.function)
            if node.output is not None and rule.derivative_of_output is not None:
                return f"phi_{node.function}_prime_out({self.array(Name(node.output), t)})"
            return f"phi_{node.function}_prime({self.code(node.operand, t)})"
        if isinstance(node, Block):
            rows = self.size(node.operand) // node.count
            return f"{self.code(node.operand, t)}[..., {node.index * rows}:{(node.index + 1) * rows}]"
        if isinstance(node, Next):
            if t is None:
                raise TypeError("Next has no whole-time form")
            return self.code(node.operand, f"{t} + 1")
        raise TypeError(f"cannot print {type(node).__name__} as an expression")

    def assign(self, target: str, node: Tensor, t: str | None, *, add: bool = False) -> list[str]:
        """Statements ``target (+)= node``; placed blocks become slice updates, ``Next`` a guarded update."""
        terms = node.terms if isinstance(node, TensorSum) else (node,)
        plain = [term for term in terms if not isinstance(term, (Placed, Next))]
        lines = []
        if plain:
            operator = "+=" if add else "="
            lines.append(f"{target} {operator} " + " + ".join(self.code(term, t) for term in plain))
        elif not add:
            lines.append(f"{target} = 0.0")
        for term in terms:
            if isinstance(term, Placed):
                rows = self.size(term.operand)
                where = f"{target}[..., {term.index * rows}:{(term.index + 1) * rows}]"
                lines += self.assign(where, term.operand, t, add=True)
            elif isinstance(term, Next):
                lines.append(f"if {t} + 1 < z:")
                lines += [INDENT + line for line in self.assign(target, term.operand, f"{t} + 1", add=True)]
        return lines

    def is_static(self, node: Tensor, forward: bool) -> bool:
        """Computable for all times at once: no adjoint or next step, and (forward) no state-dependent value."""
        if isinstance(node, (Adjoint, Next)):
            return False
        if forward and isinstance(node, Name):
            return node.name == "x" or node.name in self.program.cell.parameter_names
        if forward and isinstance(node, LossGradient):
            return False
        return all(self.is_static(child, forward) for child in matrix_children(node))


def core_source(spec: RNNSpec, program: MatrixProgram | None = None) -> str:
    """``forward_backward(<parameters>, xs, ys, s0)`` on batched arrays, printed from the engine's matrix program.

    Forward: each equation per step (input projections hoisted over all steps); backward: each
    adjoint per step in the program's order; each gradient the sum over t of its step contributions.
    """
    program = program or matrix_program(spec)
    coder = _Coder(spec, program)
    cell, n = program.cell, spec.n
    arguments = ", ".join(
        f"P_{name}" if name not in ("xs", "ys", "s0") else name for name in core_parameters(spec)
    )
    lines = [
        f"def forward_backward({arguments}):",
        f'{INDENT}"""Loss and per-sequence gradients: xs (B, z, e), ys (B, z, m), s0 (B, {spec.state_size}) '
        f'-> (J (B,), gradients)."""',
        f"{INDENT}B, z = xs.shape[0], xs.shape[1]",
        f"{INDENT}X = xs.transpose(1, 0, 2)",
    ]
    for k, state in enumerate(cell.states):
        lines += [
            f"{INDENT}S_{state} = numpy.empty((z + 1, B, {n}))",
            f"{INDENT}S_{state}[0] = s0[:, {k * n}:{(k + 1) * n}]",
        ]
    loop: list[str] = []
    for name, expression in program.equations:
        target = f"S_{name}[t + 1]" if name in coder.states else f"F_{name}[t]"
        terms = expression.terms if isinstance(expression, TensorSum) else (expression,)
        static = [term for term in terms if coder.is_static(term, forward=True)]
        dynamic = [term for term in terms if not coder.is_static(term, forward=True)]
        if name not in coder.states:
            lines.append(f"{INDENT}F_{name} = numpy.empty((z, B, {coder.rows[name]}))")
        if static and dynamic:
            lines.append(
                f"{INDENT}H_{name} = numpy.zeros((z, B, {coder.rows[name]})) + "
                + " + ".join(coder.code(term, None) for term in static)
            )
            loop.append(f"{target} = H_{name}[t] + " + " + ".join(coder.code(term, "t") for term in dynamic))
        elif static and name not in coder.states:
            lines.append(f"{INDENT}F_{name}[:] = " + " + ".join(coder.code(term, None) for term in static))
        else:
            loop += coder.assign(target, expression, "t")
    if loop:
        lines.append(f"{INDENT}for t in range(z):")
        lines += [2 * INDENT + line for line in loop]
    output = coder.array(Name(cell.output), None)
    plus_c = " + P_c" if spec.bias else ""
    lines += [
        f"{INDENT}yhat = {output} @ P_V.T{plus_c}",
        f"{INDENT}J_t, G = loss_terms(yhat, ys.transpose(1, 0, 2))",
    ]
    for equation in program.adjoints:
        lines.append(f"{INDENT}A_{equation.name} = numpy.zeros((z, B, {coder.rows[equation.name]}))")
    back: list[str] = []
    for equation in program.adjoints:
        back += coder.assign(f"A_{equation.name}[t]", equation.expression, "t")
    lines.append(f"{INDENT}for t in range(z - 1, -1, -1):")
    lines += [2 * INDENT + line for line in back]
    lines.append(f"{INDENT}gradients = {{}}")
    for name, contribution in program.parameters.items():
        lines += _gradient_lines(coder, name, contribution)
    if spec.initial_state_parameter:
        parts = []
        for state in cell.states:
            node = program.initial[state]
            parts.append(
                f"numpy.zeros((B, {n})) + " + ("0.0" if isinstance(node, Constant) else coder.code(node, "0"))
            )
        lines.append(f"{INDENT}gradients['s0'] = numpy.concatenate([{', '.join(parts)}], axis=-1)")
    lines.append(f"{INDENT}return J_t.sum(axis=0), gradients")
    return "\n".join(lines) + "\n"


def _gradient_lines(coder: _Coder, name: str, contribution: Tensor) -> list[str]:
    """``gradients[name] = Σ_t contribution_t`` per sequence: outer products as one einsum over t and the batch."""
    shape = coder.spec.shapes[name]
    target = f"gradients[{name!r}]"
    lines = [f"{INDENT}{target} = numpy.zeros((B, {', '.join(map(str, shape))}))"]
    terms = contribution.terms if isinstance(contribution, TensorSum) else (contribution,)
    for term in terms:
        where, inner = target, term
        if isinstance(term, Placed):
            rows = shape[0] // term.count
            where, inner = f"{target}[:, {term.index * rows}:{(term.index + 1) * rows}]", term.operand
        if isinstance(inner, Outer):
            left, right = (coder.code(inner.left, None), coder.code(inner.right, None))
            lines.append(f"{INDENT}{where} += numpy.einsum('tbi,tbj->bij', {left}, {right})")
        else:
            lines.append(f"{INDENT}{where} += ({coder.code(inner, None)}).sum(axis=0)")
    return lines


def module_body(spec: RNNSpec) -> str:
    """The computational part of a generated module (needs only ``import numpy``)."""
    program = matrix_program(spec)
    return "\n\n".join([functions_source(spec, program), loss_source(spec), core_source(spec, program)])


class MatrixCompiled(CompiledRNN):
    """Matrix-level NumPy code: matmuls over the batch, the adjoint recurrence, outer products over t."""

    def evaluate(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict, bool]:
        arrays, xs_b, ys_b, s0_b, batched = validate_call(self.spec, params, xs, ys, s0, any_length=True)
        with np.errstate(over="raise", invalid="raise"):
            try:
                J, grads = self.function(*arrays.values(), xs_b, ys_b, s0_b)
            except FloatingPointError as error:
                raise overflow_error(str(error)) from None
        if not batched:
            return float(J[0]), {name: value[0] for name, value in grads.items()}, False
        return J, grads, True


def compile_matrix_backend(spec: RNNSpec, *, reduce: str = "none") -> MatrixCompiled:
    """The matrix-level backend of ``spec``, printed from the engine's matrix program (any z)."""
    function, source = compile_matrix(spec)
    return MatrixCompiled(spec, function, source, "matrix", reduce)


def compile_matrix(spec: RNNSpec) -> tuple[Callable, str]:
    """``(forward_backward, source)``: the matrix-level code of ``spec`` executed in a fresh namespace."""
    import numpy

    source = "import numpy\n\n\n" + module_body(spec)
    namespace: dict = {"numpy": numpy, "__name__": f"symrnn_matrix_{spec.cell_name}_{spec.activation_name}"}
    exec(compile(source, "<symrnn matrix backend>", "exec"), namespace)
    return namespace["forward_backward"], source


# Beyond this many outputs, printing the loss component by component costs O(m) NumPy calls per
# step (155 of 240 µs at m = 32, B = 1); the whole-vector forms below are the same functions
# (tests/test_backends.py compares them with the printed rule-table form).
VECTOR_LOSS_ABOVE = 4
VECTOR_LOSSES = {
    "sse": '''def loss_terms(yhat, y):
    """J_t = ½‖ŷ_t − y_t‖² and g_t = ŷ_t − y_t over the last axis."""
    g = yhat - y
    return 0.5 * numpy.einsum("...i,...i->...", g, g), g
''',
    "ce": '''def loss_terms(yhat, y):
    """J_t = −Σ_i y_i log softmax(ŷ_t)_i and g_t = softmax(ŷ_t) Σ_i y_i − y_t, shifted by max ŷ_t."""
    shifted = yhat - yhat.max(axis=-1, keepdims=True)
    exponentials = numpy.exp(shifted)
    normaliser = exponentials.sum(axis=-1, keepdims=True)
    total = y.sum(axis=-1, keepdims=True)
    J_t = -(y * (shifted - numpy.log(normaliser))).sum(axis=-1)
    return J_t, exponentials / normaliser * total - y
''',
}


def loss_source(spec: RNNSpec, *, vectorised: bool | None = None) -> str:
    """``loss_terms(yhat, y) -> (J_t, g_t)`` over the last axis.

    Printed from the loss rule table (with CSE) for small m; for m > VECTOR_LOSS_ABOVE (or
    ``vectorised=True``) the whole-vector NumPy form of the same loss.
    """
    if vectorised is None:
        vectorised = spec.m > VECTOR_LOSS_ABOVE
    if vectorised:
        return VECTOR_LOSSES[spec.loss]
    rule, printer, m = loss_rule(spec.loss, numeric=True), _printer(), spec.m
    yhat = [sympy.Symbol(symbol_name("yhat", i), real=True) for i in range(m)]
    y = [sympy.Symbol(symbol_name("y", i), real=True) for i in range(m)]
    outputs = [rule.value(yhat, y), *rule.gradient(yhat, y)]
    replacements, reduced = sympy.cse(outputs, symbols=sympy.numbered_symbols("common_"), order="none")
    lines = [
        "def loss_terms(yhat, y):",
        f'{INDENT}"""J_t = {spec.loss} loss and g_t = ∂J_t/∂ŷ_t, acting on the last axis (size m = {m})."""',
        f"{INDENT}{', '.join(map(str, yhat))}, = numpy.moveaxis(yhat, -1, 0)",
        f"{INDENT}{', '.join(map(str, y))}, = numpy.moveaxis(y, -1, 0)",
    ]
    lines += [f"{INDENT}{symbol} = {printer.doprint(expression)}" for symbol, expression in replacements]

    def array(entry: sympy.Expr) -> str:  # a constant entry still needs the batch shape
        return printer.doprint(entry) + (" + 0 * yhat_0" if entry.is_number else "")

    components = ", ".join(array(entry) for entry in reduced[1:])
    lines.append(f"{INDENT}J_t = {array(reduced[0])}")
    lines.append(f"{INDENT}return J_t, numpy.stack([{components}], axis=-1)")
    return "\n".join(lines) + "\n"
