"""``backend="loop"``: the whole time loop (forward over t, reverse over t, and the batch) as compiled code.

Two code generators, both emitting a small Python module that Numba compiles (``njit``, explicit
signatures, ``cache=True``; :mod:`symrnn.numeric.cache` keeps it on disk):

- **scalar** (any cell): the step program's forward outputs ``state_t`` and backward outputs
  ``[J_t, adjoint_{t-1}, per-parameter contributions]`` printed as straight-line scalar code (SymPy
  ``cse``), inside compiled loops over the batch and t. The parameter contributions are accumulated
  straight into one gradient row (``reduce="sum"|"mean"``) or one row per sequence (``reduce="none"``),
  so the summed case allocates nothing of size B·z·n². Code size grows like n² per step, so it is used
  for narrow cells (:data:`SCALAR_MAX_N`).
- **matrix** (the vanilla cell only): a hand-written kernel, not yet printed from the engine's matrix
  program (the one backward pass outside the engine and the oracle; tests hold it to the oracle at
  1e-12; replacing it by code printed from ``symrnn.engine.vjp`` is open work): matrix-level loops for wide n: BLAS for the matmuls (one GEMM over all
  t for W x_t, V s_t, Vᵀ g_t and for the summed outer products), the recurrent matvecs per t, and the
  element-wise parts (activation, its derivative, the Hadamard product, the loss) fused in one loop.

The step program is the engine's (:func:`symrnn.engine.step.step_program`), so the scalar generator
serves every cell; the matrix generator is written for the notes' cell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from sympy.printing.pycode import PythonCodePrinter

from ..activations import activation_rule
from ..engine.step import StepProgram
from ..engine.step import step_program as engine_step_program
from ..losses import loss_rule
from ..notation import symbol_name
from ..spec import RNNSpec
from .arrays import validate_call
from .base import CompiledRNN, overflow_error

GENERATOR_VERSION = "loop-5"  # part of every cache key: bump when the generated code changes meaning
REDUCTIONS = ("none", "sum", "mean")
# The scalar generator for n up to this; beyond it the matrix generator, for cells that have one. Its
# straight-line code grows like n² per step and Numba's compile time faster than that: measured cold,
# n = 2: 6 s, n = 8: 127 s (683 lines; 2 cores under load, about 4× slower than idle), while the matrix
# generator's one kernel per activation × loss serves every n.
SCALAR_MAX_N = 4
INDENT = "    "


# The engine's step program of any cell (forward step and its VJP, contributions in parameter order).
step_program = engine_step_program


def differentiated_parameters(spec: RNNSpec) -> list[str]:
    """The parameters whose gradients the step program's contributions cover (``s0`` comes from a_0)."""
    return [name for name in spec.parameter_names if name != "s0"]


# ------------------------------------------------------------------------------------------------ printing
class _KernelPrinter(PythonCodePrinter):
    """Python printing for Numba: ``math`` functions, ``max``/``min`` builtins, ternaries for Piecewise."""

    def _print_Max(self, expr: sympy.Max) -> str:
        return f"max({', '.join(map(self._print, expr.args))})"

    def _print_Min(self, expr: sympy.Min) -> str:
        return f"min({', '.join(map(self._print, expr.args))})"

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"({float(expr)!r})"

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return f"{float(expr)!r}"

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent.is_Integer and 1 < int(exponent) <= 4:  # x*x*... keeps exact float64 products
            text = self.parenthesize(base, 100)
            return "(" + "*".join([text] * int(exponent)) + ")"
        if exponent == -1:
            return f"(1.0/{self.parenthesize(base, 100)})"
        return super()._print_Pow(expr, rational)


def _printer() -> _KernelPrinter:
    return _KernelPrinter({"fully_qualified_modules": True, "standard": "python3", "strict": False})


def _straight_line(
    outputs: Sequence[sympy.Expr],
    loads: Mapping[sympy.Symbol, str],
    targets: Sequence[str],
    prefix: str = "t",
) -> list[str]:
    """Lines computing ``targets[k] = outputs[k]`` (``+=`` allowed in targets) with CSE temporaries,
    loading only the symbols the outputs use (``loads`` maps a symbol to its array element)."""
    replacements, reduced = sympy.cse(
        list(outputs), symbols=sympy.numbered_symbols(f"{prefix}_"), order="none"
    )
    printer, lines = _printer(), []
    expressions = [*reduced, *(v for _, v in replacements)]
    used = (
        set().union(*(sympy.sympify(e, strict=True).free_symbols for e in expressions)) if outputs else set()
    )
    names: dict[sympy.Symbol, sympy.Symbol] = {}
    for position, (symbol, element) in enumerate(loads.items()):
        if symbol in used:
            local = sympy.Symbol(f"v_{position}", real=True)
            names[symbol] = local
            lines.append(f"{local} = {element}")
    for symbol, expression in replacements:
        lines.append(f"{symbol} = {printer.doprint(expression.xreplace(names))}")
    for target, expression in zip(targets, reduced):
        lines.append(f"{target} {printer.doprint(sympy.sympify(expression, strict=True).xreplace(names))}")
    return lines


def _function(header: str, doc: str, body: list[str]) -> str:
    return "\n".join([header, f'{INDENT}"""{doc}"""', *(INDENT + line for line in body)]) + "\n"


SIGNATURES = {
    "run": "void(float64[::1], float64[:, :, ::1], float64[:, :, ::1], float64[:, ::1], float64[::1], "
    "float64[:, ::1], float64[:, ::1], boolean)",
}

_SCALAR_RUN = '''
@njit(SIGNATURES["run"], cache=True, nogil=True)
def run(p, xs, ys, s0, J, G, A0, per_sequence):
    """Forward over t, then reverse over t, with the batch innermost (its sequences are independent, so
    the CPU overlaps their latency chains); J[b], gradients into G (one row per sequence, or row 0 for
    the sum), the final adjoint (dJ/ds_0) into A0[b]. The step kernels are pasted in as straight-line
    code (no calls, no array views)."""
    B, z = xs.shape[0], xs.shape[1]
    S = s0.shape[1]
    states = np.empty((z + 1, B, S))
    a = np.zeros((B, S))
    a_prev = np.empty((B, S))
    for b in range(B):
        J[b] = 0.0
        for k in range(S):
            states[0, b, k] = s0[b, k]
PARAMETERS
    for t in range(z):
        for b in range(B):
FORWARD
    for t in range(z - 1, -1, -1):
        for b in range(B):
            row = b if per_sequence else 0
BACKWARD
            J[b] += J_t
        for b in range(B):
            for k in range(S):
                a[b, k] = a_prev[b, k]
    for b in range(B):
        for k in range(S):
            A0[b, k] = a[b, k]
'''


def scalar_source(program: StepProgram) -> str:
    """The generated module of the scalar generator: one ``run`` with the step kernels inlined."""
    P, S = len(program.parameters), len(program.state_prev)
    parameters = {symbol: sympy.Symbol(f"p_{k}", real=True) for k, symbol in enumerate(program.parameters)}
    loads = {symbol: f"states[t, b, {k}]" for k, symbol in enumerate(program.state_prev)}
    loads |= {symbol: f"xs[b, t, {k}]" for k, symbol in enumerate(program.x)}
    forward_outputs = [sympy.sympify(e, strict=True).xreplace(parameters) for e in program.forward_outputs]
    forward = _straight_line(forward_outputs, loads, [f"states[t + 1, b, {k}] =" for k in range(S)])
    loads |= {symbol: f"ys[b, t, {k}]" for k, symbol in enumerate(program.y)}
    loads |= {symbol: f"a[b, {k}]" for k, symbol in enumerate(program.adjoint)}
    outputs = [sympy.sympify(e, strict=True).xreplace(parameters) for e in program.backward_outputs]
    Q = len(outputs) - 1 - S
    targets = ["J_t =", *(f"a_prev[b, {k}] =" for k in range(S)), *(f"G[row, {k}] +=" for k in range(Q))]
    backward = _straight_line(outputs, loads, targets)
    hoisted = [f"{local} = p[{k}]" for k, local in enumerate(parameters.values())]  # loaded once
    body = _SCALAR_RUN.replace("PARAMETERS\n", "".join(INDENT + line + "\n" for line in hoisted))
    body = body.replace("FORWARD\n", "".join(3 * INDENT + line + "\n" for line in forward))
    body = body.replace("BACKWARD\n", "".join(3 * INDENT + line + "\n" for line in backward))
    header = (
        f"# generated by symrnn ({GENERATOR_VERSION}): scalar step kernels in the compiled time loop\n"
        f"# parameters {P}, state {S}, gradient entries {Q}\n"
        "import math\n\nimport numpy as np\nfrom numba import njit\n\n"
        f"SIGNATURES = {SIGNATURES!r}\n\n"
    )
    return header + body


# -------------------------------------------------------------------------------- matrix (vanilla, wide n)
VECTOR_LOSS_ABOVE = 8  # m: beyond this the loss is a loop over the output (its printed form grows like m)
_VECTOR_LOSSES = {
    "sse": '''
@njit(cache=True, nogil=True)
def loss_row(yhat, y, g):
    """J_t = ½‖ŷ_t − y_t‖²; g = ŷ_t − y_t (whole-vector form of the rule table's sse)."""
    total = 0.0
    for k in range(yhat.shape[0]):
        d = yhat[k] - y[k]
        g[k] = d
        total += d * d
    return 0.5 * total
''',
    "ce": '''
@njit(cache=True, nogil=True)
def loss_row(yhat, y, g):
    """J_t = −Σ y_k log softmax(ŷ_t)_k, g = softmax(ŷ_t) Σ y − y_t, shifted by max ŷ_t (the table's ce)."""
    M = yhat[0]
    for k in range(1, yhat.shape[0]):
        M = max(M, yhat[k])
    normaliser = 0.0
    total = 0.0
    for k in range(yhat.shape[0]):
        normaliser += math.exp(yhat[k] - M)
        total += y[k]
    log_normaliser = math.log(normaliser)
    J_t = 0.0
    for k in range(yhat.shape[0]):
        shifted = yhat[k] - M
        J_t -= y[k] * (shifted - log_normaliser)
        g[k] = math.exp(shifted) / normaliser * total - y[k]
    return J_t
''',
}


def _elementwise_source(spec: RNNSpec) -> str:
    """``f(u)`` and ``f_prime(u, s)`` printed from the activation rule table, and ``loss_row``."""
    rule, printer = activation_rule(spec.activation), _printer()
    u, s = sympy.Symbol("u", real=True), sympy.Symbol("s", real=True)
    prime = rule.derivative_of_output(s) if rule.derivative_of_output is not None else rule.derivative(u)
    text = (
        f"@njit(cache=True, nogil=True)\ndef f(u):\n{INDENT}return "
        f"{printer.doprint(sympy.sympify(rule.function(u), strict=True))}\n\n\n"
        f"@njit(cache=True, nogil=True)\ndef f_prime(u, s):\n{INDENT}return "
        f"{printer.doprint(sympy.sympify(prime, strict=True))}\n\n"
    )
    if spec.m > VECTOR_LOSS_ABOVE:
        return text + _VECTOR_LOSSES[spec.loss]
    loss = loss_rule(spec.loss, numeric=True)
    yhat = [sympy.Symbol(symbol_name("yhat", k), real=True) for k in range(spec.m)]
    y = [sympy.Symbol(symbol_name("y", k), real=True) for k in range(spec.m)]
    loads = {symbol: f"yhat[{k}]" for k, symbol in enumerate(yhat)}
    loads |= {symbol: f"y[{k}]" for k, symbol in enumerate(y)}
    lines = _straight_line(
        [loss.value(yhat, y), *loss.gradient(yhat, y)],
        loads,
        ["J_t =", *(f"g[{k}] =" for k in range(spec.m))],
    ) + ["return J_t"]
    return (
        text
        + "\n@njit(cache=True, nogil=True)\n"
        + _function(
            "def loss_row(yhat, y, g):",
            f"J_t ({spec.loss}) and g = dJ_t/dyhat_t, printed from the rule table.",
            lines,
        )
    )


MATRIX_SIGNATURE = (
    "void(float64[:, ::1], float64[:, ::1], float64[:, ::1], float64[::1], float64[::1], "
    "float64[:, :, ::1], float64[:, :, ::1], float64[:, ::1], float64[::1], "
    "float64[:, :, ::1], float64[:, :, ::1], float64[:, :, ::1], float64[:, :, ::1])"
)

_MATRIX_RUN = '''

SMALL_PRODUCT = 1024  # k·c of a product (k, c) at most this: explicit loops instead of a BLAS call


@njit(cache=True, nogil=True)
def mm(A, B, out):
    """out = A @ B (C-contiguous): explicit loops for small right factors (no BLAS call, no BLAS threads),
    BLAS otherwise."""
    if B.shape[0] * B.shape[1] > SMALL_PRODUCT:
        np.dot(A, B, out)
        return
    for i in range(A.shape[0]):
        for q in range(B.shape[1]):
            out[i, q] = 0.0
        for j in range(A.shape[1]):
            a = A[i, j]
            for q in range(B.shape[1]):
                out[i, q] += a * B[j, q]


@njit(cache=True, nogil=True)
def mtm(A, B, out):
    """out = Aᵀ @ B summed over the rows of A (r, a) and B (r, c): outer products row by row when small."""
    if A.shape[1] * B.shape[1] > SMALL_PRODUCT:
        np.dot(np.ascontiguousarray(A.T), B, out)
        return
    out[:, :] = 0.0
    for row in range(A.shape[0]):
        for i in range(A.shape[1]):
            a = A[row, i]
            for q in range(B.shape[1]):
                out[i, q] += a * B[row, q]

@njit(MATRIX_SIGNATURE, cache=True, nogil=True)
def forward_backward(W, U, V, b, c, X, Y, s0, J, u, S, G, R):
    """The batch at once, t outermost (X (z, B, e), Y (z, B, m)): u_t = W x_t + U s_(t-1) + b, s_t = f(u_t),
    ŷ_t = V s_t + c, g_t = ∂J_t/∂ŷ_t into G; r_t = f'(u_t) ⊙ (Vᵀ g_t + Uᵀ r_(t+1)) into R."""
    z, B, e = X.shape[0], X.shape[1], X.shape[2]
    n, m = U.shape[0], V.shape[0]
    UT = np.ascontiguousarray(U.T)
    mm(X.reshape(z * B, e), np.ascontiguousarray(W.T), u.reshape(z * B, n))
    S[0] = s0
    work = np.empty((B, n))
    for t in range(z):
        mm(S[t], UT, work)
        ut = u[t]
        st = S[t + 1]
        for i in range(B):
            for k in range(n):
                v = ut[i, k] + work[i, k] + b[k]
                ut[i, k] = v
                st[i, k] = f(v)
    G2 = G.reshape(z * B, m)
    mm(S[1:].reshape(z * B, n), np.ascontiguousarray(V.T), G2)
    Y2 = Y.reshape(z * B, m)
    for row in range(z * B):
        for k in range(m):
            G2[row, k] += c[k]
        J[row % B] += loss_row(G2[row], Y2[row], G2[row])
    mm(G2, V, R.reshape(z * B, n))
    work[:, :] = 0.0
    for t in range(z - 1, -1, -1):
        if t < z - 1:
            mm(R[t + 1], U, work)
        rt = R[t]
        ut = u[t]
        st = S[t + 1]
        for i in range(B):
            for k in range(n):
                rt[i, k] = f_prime(ut[i, k], st[i, k]) * (rt[i, k] + work[i, k])


@njit(cache=True, nogil=True)
def summed(X, S, G, R, GW, GU, GV, Gb, Gc):
    """Gradients summed over the batch and t: one GEMM each over all z·B rows (nothing of size B·n²)."""
    z, B, e = X.shape[0], X.shape[1], X.shape[2]
    n, m = R.shape[2], G.shape[2]
    R2 = R.reshape(z * B, n)
    G2 = G.reshape(z * B, m)
    mtm(R2, X.reshape(z * B, e), GW)
    mtm(R2, S[:z].reshape(z * B, n), GU)
    mtm(G2, S[1:].reshape(z * B, n), GV)
    Gb[:] = 0.0
    Gc[:] = 0.0
    for row in range(z * B):
        for k in range(n):
            Gb[k] += R2[row, k]
        for k in range(m):
            Gc[k] += G2[row, k]


@njit(cache=True, nogil=True)
def per_sequence(X, S, G, R, GW, GU, GV, Gb, Gc):
    """One gradient per sequence: GW[i] = Σ_t r_t x_tᵀ etc. as small products per sequence."""
    z, B, e = X.shape[0], X.shape[1], X.shape[2]
    n, m = R.shape[2], G.shape[2]
    Ri = np.empty((z, n))
    Gi = np.empty((z, m))
    Xi = np.empty((z, e))
    Sp = np.empty((z, n))
    Sn = np.empty((z, n))
    for i in range(B):
        for t in range(z):
            Ri[t] = R[t, i]
            Gi[t] = G[t, i]
            Xi[t] = X[t, i]
            Sp[t] = S[t, i]
            Sn[t] = S[t + 1, i]
        mtm(Ri, Xi, GW[i])
        mtm(Ri, Sp, GU[i])
        mtm(Gi, Sn, GV[i])
        for k in range(n):
            Gb[i, k] = Ri[:, k].sum()
        for k in range(m):
            Gc[i, k] = Gi[:, k].sum()
'''


def matrix_source(spec: RNNSpec) -> str:
    """The generated module of the matrix generator (vanilla cell)."""
    if getattr(spec, "cell", "rnn") != "rnn":
        raise ValueError(f"the matrix generator knows the rnn cell only, not {spec.cell!r}")
    return (
        f"# generated by symrnn ({GENERATOR_VERSION}): matrix-level time loop of the vanilla cell\n"
        "import math\n\nimport numpy as np\nfrom numba import njit\n\n"
        f"MATRIX_SIGNATURE = {MATRIX_SIGNATURE!r}\n\n\n" + _elementwise_source(spec) + "\n" + _MATRIX_RUN
    )


# ------------------------------------------------------------------------------------------------ backend
def _spec_key(spec: RNNSpec, generator: str) -> str:
    activation = spec.activation if isinstance(spec.activation, str) else sympy.srepr(spec.activation)
    import numba

    if generator == "matrix":  # the matrix code reads its sizes from the arrays: one kernel for all e, n
        sizes: tuple = (spec.m if spec.m <= VECTOR_LOSS_ABOVE else "vector",)
    else:
        sizes = (spec.e, spec.n, spec.m, spec.bias)
    fields = (
        GENERATOR_VERSION,
        generator,
        repr(spec.cell),
        *sizes,
        activation,
        spec.loss,
        numba.__version__,
        np.__version__,
    )  # not z: the kernels serve any z
    return repr(fields)


def choose_generator(spec: RNNSpec) -> str:
    """``"scalar"`` for narrow cells (and cells without a matrix generator), ``"matrix"`` for wide ones."""
    if spec.cell_name != "rnn":
        return "scalar"
    return "scalar" if spec.n <= SCALAR_MAX_N else "matrix"


def generate(spec: RNNSpec, generator: str) -> str:
    """The module source of ``generator`` for ``spec`` (no caching)."""
    if generator == "scalar":
        return scalar_source(step_program(spec))
    if generator == "matrix":
        return matrix_source(spec)
    raise ValueError(f"unknown generator {generator!r}; choose scalar or matrix")


def kernel_module(spec: RNNSpec, generator: str, *, use_cache: bool = True) -> tuple[Any, bool]:
    """``(module, hit)``: the compiled module, from the disk cache when present (``hit``)."""
    from . import cache

    key = _spec_key(spec, generator)
    source = cache.lookup_source(key) if use_cache else None
    hit = source is not None
    if source is None:
        source = generate(spec, generator)
    return cache.load_module(source, key), hit


@dataclass(frozen=True, eq=False)
class LoopCompiled(CompiledRNN):
    """``J, grads = fn(params, xs, ys, s0=None)`` with the forward and backward time loops compiled.

    ``reduce``: ``"none"`` (DESIGN.md: per-sequence results for a batch), ``"sum"`` or ``"mean"`` (one
    loss and one gradient per parameter, summed or averaged over the batch, without per-sequence
    gradients). A call without a batch axis returns a float and parameter-shaped gradients in every mode.
    """

    reduce: str = "none"
    generator: str = "scalar"
    module: Any = None
    cache_hit: bool = False
    layout: tuple = ()  # (name, shape) of the differentiated parameters, in order
    layout_data: tuple = ()  # the xs and ys shapes (z, e), (z, m)

    def _fast_inputs(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any):
        """The common call (float64 arrays of the right shapes, finite) checked in a few µs, else None;
        anything unusual goes through :func:`validate_call` and gets its error messages."""
        spec, ndarray, float64 = self.spec, np.ndarray, np.float64
        if not (
            type(xs) is ndarray
            and type(ys) is ndarray
            and xs.dtype == float64
            and ys.dtype == float64
            and xs.ndim in (2, 3)
            and ys.ndim == xs.ndim
            and isinstance(params, dict)
            and len(params) == len(self.layout)
        ):
            return None
        z_e, z_m = self.layout_data
        if xs.shape[-2:] != z_e or ys.shape[-2:] != z_m or (xs.ndim == 3 and ys.shape[0] != xs.shape[0]):
            return None
        B = xs.shape[0] if xs.ndim == 3 else 1
        S = getattr(spec, "state_size", spec.n)  # the engine's specs: n per state (the LSTM has h and c)
        if s0 is not None and not (
            type(s0) is ndarray and s0.dtype == float64 and s0.shape in ((B, S), (S,))
        ):
            return None
        arrays = {}
        for name, shape in self.layout:
            value = params.get(name)
            if type(value) is not ndarray or value.dtype != float64 or value.shape != shape:
                return None
            arrays[name] = value
        flat = np.concatenate([value.ravel() for value in arrays.values()]) if arrays else np.empty(0)
        total = xs.sum() + ys.sum() + flat.sum()
        if s0 is not None:
            total += s0.sum()
        if not math.isfinite(total):
            return None  # validate_call names the array holding NaN or inf
        if s0 is None:
            s0_b = np.zeros((B, S))
        else:
            s0_b = np.array(np.broadcast_to(s0, (B, S)), dtype=float64)  # a fresh writable copy
        xs_b, ys_b = (xs, ys) if xs.ndim == 3 else (xs[None], ys[None])
        return arrays, np.ascontiguousarray(xs_b), np.ascontiguousarray(ys_b), s0_b, xs.ndim == 3, flat

    def __call__(
        self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None
    ) -> tuple[Any, dict[str, np.ndarray]]:
        fast = self._fast_inputs(params, xs, ys, s0)
        if fast is None:
            arrays, xs_b, ys_b, s0_b, batched = validate_call(self.spec, params, xs, ys, s0)
            flat = None
            xs_b, ys_b = np.ascontiguousarray(xs_b), np.ascontiguousarray(ys_b)
            s0_b = np.require(s0_b, np.float64, ["C", "W"])  # a broadcast s0 is read-only
        else:
            arrays, xs_b, ys_b, s0_b, batched, flat = fast
        per_sequence = batched and self.reduce == "none"
        if self.generator == "scalar":
            J, grads, a0, total = self._scalar(arrays, xs_b, ys_b, s0_b, per_sequence, flat)
        else:
            J, grads, a0, total = self._matrix(arrays, xs_b, ys_b, s0_b, per_sequence)
        if self.spec.initial_state_parameter:
            grads["s0"] = a0 if per_sequence else a0.sum(axis=0)
            total += a0.sum()
        if not math.isfinite(total):  # one sum over everything finds NaN or inf
            raise overflow_error("a non-finite result")
        if not batched:
            return float(J[0]), {name: value[0] if per_sequence else value for name, value in grads.items()}
        if self.reduce == "none":
            return J, grads
        B = J.shape[0]
        scale = 1.0 / B if self.reduce == "mean" else 1.0
        return float(J.sum()) * scale, {
            name: value * scale if scale != 1.0 else value for name, value in grads.items()
        }

    def _scalar(
        self,
        arrays: dict,
        xs: np.ndarray,
        ys: np.ndarray,
        s0: np.ndarray,
        per_sequence: bool,
        p: np.ndarray | None,
    ):
        if p is None:
            parts = [arrays[name].ravel() for name, _ in self.layout]
            p = np.concatenate(parts) if parts else np.empty(0)
        B = xs.shape[0]
        G = np.zeros((B if per_sequence else 1, p.size))
        J, A0 = np.empty(B), np.empty((B, s0.shape[1]))
        self.module.run(p, xs, ys, s0, J, G, A0, per_sequence)
        grads, position = {}, 0
        for name, shape in self.layout:
            size = math.prod(shape)
            block = G[:, position : position + size]
            grads[name] = block.reshape((B, *shape)) if per_sequence else block[0].reshape(shape)
            position += size
        return J, grads, A0, J.sum() + G.sum()

    def _matrix(self, arrays: dict, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray, per_sequence: bool):
        spec, (B, z, e) = self.spec, xs.shape
        n, m = spec.n, spec.m
        X, Y = np.ascontiguousarray(xs.transpose(1, 0, 2)), np.ascontiguousarray(ys.transpose(1, 0, 2))
        b = arrays["b"] if spec.bias else np.zeros(n)
        c = arrays["c"] if spec.bias else np.zeros(m)
        W, U, V = (np.ascontiguousarray(arrays[k]) for k in ("W", "U", "V"))
        J, u, S = np.zeros(B), np.empty((z, B, n)), np.empty((z + 1, B, n))
        G, R = np.empty((z, B, m)), np.empty((z, B, n))
        module = self.module
        b, c = np.ascontiguousarray(b), np.ascontiguousarray(c)
        module.forward_backward(W, U, V, b, c, X, Y, s0, J, u, S, G, R)
        lead = (B,) if per_sequence else ()
        GW, GU, GV = np.empty((*lead, n, e)), np.empty((*lead, n, n)), np.empty((*lead, m, n))
        Gb, Gc = np.empty((*lead, n)), np.empty((*lead, m))
        (module.per_sequence if per_sequence else module.summed)(X, S, G, R, GW, GU, GV, Gb, Gc)
        grads = {"W": GW, "U": GU, "V": GV}
        if spec.bias:
            grads |= {"b": Gb, "c": Gc}
        A0 = R[0] @ U if spec.initial_state_parameter else None  # ∂J/∂s_0 = Uᵀ r_1
        return J, grads, A0, J.sum() + sum(value.sum() for value in grads.values())


def compile_loop(
    spec: RNNSpec, *, reduce: str = "none", generator: str | None = None, use_cache: bool = True
) -> LoopCompiled:
    """Compile ``spec``'s loss and gradients with the time loop in machine code (Numba).

    Args:
        spec: the model (any z: the kernels are per step; the cache key does not contain z).
        reduce: ``"none"`` | ``"sum"`` | ``"mean"`` over the batch.
        generator: ``"scalar"`` or ``"matrix"``; default :func:`choose_generator`.
        use_cache: read the on-disk kernel cache (:mod:`symrnn.numeric.cache`); it is always written.

    Raises:
        SymRNNError: numba is not installed.
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f"unknown reduce {reduce!r}; choose one of {', '.join(REDUCTIONS)}")
    try:
        import numba  # noqa: F401
    except ImportError:
        from ..errors import SymRNNError

        raise SymRNNError("the loop backend needs numba: pip install numba") from None
    generator = generator or choose_generator(spec)
    if generator == "scalar" and spec.n > SCALAR_MAX_N:
        from ..errors import SymRNNError

        raise SymRNNError(
            f"the loop backend compiles straight-line step code up to n = {SCALAR_MAX_N} "
            f"(Numba's compile time explodes beyond it) and has a matrix kernel for the notes' cell "
            f"only; for --cell {spec.cell_name} with n = {spec.n} use backend 'matrix' or 'scan'"
        )
    module, hit = kernel_module(spec, generator, use_cache=use_cache)
    entry = module.run if generator == "scalar" else module.forward_backward
    layout = tuple((name, spec.shapes[name]) for name in differentiated_parameters(spec))
    return LoopCompiled(
        spec,
        entry,
        "",
        "loop",
        reduce,
        generator,
        module,
        hit,
        layout,
        (spec.shapes["xs"], spec.shapes["ys"]),
    )
