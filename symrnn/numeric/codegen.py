"""Standalone code generation: a readable Python module of the loss and its gradients that imports only NumPy."""

from __future__ import annotations

from ..spec import RNNSpec
from .matrix import core_parameters, functions_source, module_body

CODEGEN_BACKENDS = ("numpy",)

_VALIDATION = '''

def _array(name, value, shape=None):
    """value as a finite float64 array (optionally of ``shape``), or a clear ValueError/TypeError."""
    try:
        array = numpy.asarray(value)
    except Exception as error:
        raise TypeError(f"{name} must be an array of real numbers: {error}") from None
    if array.dtype == object or not (numpy.issubdtype(array.dtype, numpy.number) or array.dtype == bool):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {array.dtype}")
    if numpy.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got dtype {array.dtype}")
    array = array.astype(numpy.float64)
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    if not numpy.all(numpy.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf (inputs are checked like SciPy's check_finite=True)")
    return array
'''


def _safe_docstring_text(text: str) -> str:
    """Text that cannot end or escape the module docstring."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _describe(spec: RNNSpec) -> str:
    activation = spec.activation_name
    if activation == "custom":  # show the function as printed code, never the user's own text
        body = functions_source(spec).splitlines()[2].strip().removeprefix("return ").removesuffix(" + 0 * u")
        activation = f"custom, f(u) = {body}"
    return (
        f"RNNSpec(cell={spec.cell_name}, z={spec.z}, e={spec.e}, n={spec.n}, m={spec.m}, "
        f"activation={activation}, loss={spec.loss}, bias={spec.bias}, "
        f"initial_state_parameter={spec.initial_state_parameter})"
    )


def _entry_point(spec: RNNSpec) -> str:
    names = [name for name in core_parameters(spec) if name not in ("xs", "ys", "s0")]
    arguments = ", ".join(names)
    gradient_keys = ", ".join(spec.parameter_names)
    checks = "\n".join(
        f'    {name} = _array("{name}", params["{name}"], {spec.shapes[name]})' for name in names
    )
    return f'''

def loss_and_grad(params, xs, ys, s0=None):
    """The loss J = Σ_t J_t and its gradients with respect to {gradient_keys}.

    Args:
        params: a mapping with {arguments}, shaped as in the module docstring (the mapping that symrnn's compile takes).
        xs: inputs (z, e) with e = {spec.e}, any z, or (B, z, e) for a batch of B sequences.
        ys: targets (z, m) with m = {spec.m}, or (B, z, m).
        s0: initial state (S,) (shared by a batch) or (B, S), S = {spec.state_size}; zeros when None.

    Returns:
        (J, gradients): J a float ((B,) for a batch) and {{name: gradient}} shaped like each parameter
        (with a leading B for a batch: one gradient per sequence).

    Raises:
        ValueError: a wrong shape, NaN or inf, or floating-point overflow.
        TypeError: non-numeric input.
    """
    if not hasattr(params, "keys"):
        raise TypeError("params must be a mapping such as {{{", ".join(repr(n) + ": ..." for n in names)}}}")
    missing = [name for name in {tuple(names)!r} if name not in params]
    extra = [name for name in params if name not in {tuple(names)!r}]
    if missing or extra:
        raise ValueError(f"params must have exactly the keys {", ".join(names)}; missing {{missing}}, unexpected {{extra}}")
{checks}
    xs, ys = _array("xs", xs), _array("ys", ys)
    batched = xs.ndim == 3
    if xs.ndim not in (2, 3) or xs.shape[-1] != E or xs.shape[-2] < 1:
        raise ValueError(f"xs must have shape (z, {{E}}) or (B, z, {{E}}), got {{xs.shape}}")
    Z_M = (xs.shape[-2], M)
    expected = (xs.shape[0], *Z_M) if batched else Z_M
    if ys.shape != expected:
        raise ValueError(f"ys must have shape {{expected}} to match xs {{xs.shape}}, got {{ys.shape}}")
    if not batched:
        xs, ys = xs[None], ys[None]
    B = xs.shape[0]
    if s0 is None:
        s0 = numpy.zeros((B, N))
    else:
        s0 = _array("s0", s0)
        if s0.shape == (N,):
            s0 = numpy.broadcast_to(s0, (B, N))
        elif not (batched and s0.shape == (B, N)):
            raise ValueError(f"s0 must have shape ({{N}},)" + (f" or ({{B}}, {{N}})" if batched else "") + f", got {{s0.shape}}")
    with numpy.errstate(over="raise", invalid="raise"):
        try:
            J, gradients = forward_backward({arguments}, xs, ys, s0)
        except FloatingPointError as error:
            raise ValueError(f"floating-point overflow ({{error}}); scale the inputs or parameters down") from None
    if not batched:
        return float(J[0]), {{name: value[0] for name, value in gradients.items()}}
    return J, gradients
'''


def generate_module(spec: RNNSpec, *, backend: str = "numpy") -> str:
    """A standalone, readable module computing the loss and every gradient of ``spec`` with NumPy only.

    Args:
        spec: the model.
        backend: ``"numpy"`` (matrix-level NumPy code; the only one so far).

    Returns:
        The module's source. It defines ``loss_and_grad(W, U, V, b, c, xs, ys, s0=None)`` (without
        ``b, c`` when the spec has no bias) with the shapes and batch rule of ``symrnn.compile``.
    """
    from .. import __version__

    if not isinstance(spec, RNNSpec):
        raise TypeError(f"generate_module expects an RNNSpec, got {type(spec).__name__}")
    if backend not in CODEGEN_BACKENDS:
        raise ValueError(f"unknown codegen backend {backend!r}; choose one of {', '.join(CODEGEN_BACKENDS)}")
    shapes = ", ".join(f"{name} {spec.shapes[name]}" for name in spec.parameter_names if name != "s0")
    docstring = _safe_docstring_text(
        f"Loss and BPTT gradients of one RNN, generated by symrnn {__version__} (do not edit; regenerate).\n\n"
        f"Spec: {_describe(spec)}\n"
        f"Model: {spec.cell_definition.description}; ŷ_t = V h_t{' + c' if spec.bias else ''}, "
        f"J = Σ_t J_t ({spec.loss}), t = 1..z for any z.\n"
        f"Shapes: {shapes}; xs (z, e), ys (z, m), s0 (n,); a leading batch axis B on xs, ys (and s0)\n"
        f"gives per-sequence results: J (B,), each gradient (B, *shape). Imports only NumPy.\n"
    )
    constants = f"N = {spec.state_size}\nE = {spec.e}\nM = {spec.m}\n"
    return (
        f'"""{docstring}"""\nimport numpy\n\n{constants}\n\n'
        + module_body(spec)
        + _VALIDATION
        + _entry_point(spec)
    )
