"""Standalone code generation: a readable Python module of the loss and its gradients that imports only NumPy."""
from __future__ import annotations

from ..spec import RNNSpec
from .matrix import activation_source, core_parameters, module_body

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
        body = activation_source(spec).splitlines()[2].strip().removeprefix("return ")
        activation = f"custom, f(u) = {body}"
    return (f"RNNSpec(z={spec.z}, e={spec.e}, n={spec.n}, m={spec.m}, activation={activation}, "
            f"loss={spec.loss}, bias={spec.bias}, initial_state_parameter={spec.initial_state_parameter})")


def _entry_point(spec: RNNSpec) -> str:
    names = [name for name in core_parameters(spec) if name not in ("xs", "ys", "s0")]
    arguments = ", ".join(names)
    gradient_keys = ", ".join(spec.parameter_names)
    checks = "\n".join(f'    {name} = _array("{name}", {name}, {spec.shapes[name]})' for name in names)
    return f'''

def loss_and_grad({arguments}, xs, ys, s0=None):
    """The loss J = Σ_t J_t and its gradients with respect to {gradient_keys}.

    Args:
        {arguments}: the parameters, shaped as in the module docstring.
        xs: inputs (z, e) = {spec.shapes["xs"]}, or (B, z, e) for a batch of B sequences.
        ys: targets (z, m) = {spec.shapes["ys"]}, or (B, z, m).
        s0: initial state (n,) (shared by a batch) or (B, n); zeros when None.

    Returns:
        (J, gradients): J a float ((B,) for a batch) and {{name: gradient}} shaped like each parameter
        (with a leading B for a batch: one gradient per sequence).

    Raises:
        ValueError: a wrong shape, NaN or inf, or floating-point overflow.
        TypeError: non-numeric input.
    """
{checks}
    xs, ys = _array("xs", xs), _array("ys", ys)
    batched = xs.ndim == 3
    if xs.ndim not in (2, 3) or xs.shape[-2:] != Z_E:
        raise ValueError(f"xs must have shape {{Z_E}} or (B, *{{Z_E}}), got {{xs.shape}}")
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
        f"Model: u_t = W x_t + U s_(t-1){' + b' if spec.bias else ''}, s_t = f(u_t), "
        f"ŷ_t = V s_t{' + c' if spec.bias else ''}, J = Σ_t J_t ({spec.loss}), t = 1..{spec.z}.\n"
        f"Shapes: {shapes}; xs (z, e), ys (z, m), s0 (n,); a leading batch axis B on xs, ys (and s0)\n"
        f"gives per-sequence results: J (B,), each gradient (B, *shape). Imports only NumPy.\n")
    constants = f"N = {spec.n}\nZ_E = {spec.shapes['xs']}\nZ_M = {spec.shapes['ys']}\n"
    return (f'"""{docstring}"""\nimport numpy\n\n{constants}\n\n' + module_body(spec) + _VALIDATION
            + _entry_point(spec))
