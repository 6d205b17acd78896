"""derive(spec): the notes' derivation for one spec, every equation numbered and checked."""

from __future__ import annotations

from ..errors import SymRNNError
from ..spec import RNNSpec
from ..unroll import unroll
from .blocks import Derivation, Equation, Line, Paragraph, Section
from .context import Context
from .sections.activation import activation_section
from .sections.bptt import gradients_section, state_total_section
from .sections.closing import closing_section
from .sections.jacobians import jacobian_section, single_neuron_section
from .sections.matrix_form import matrix_section
from .sections.model import model_section

# Listing every (t, k) term makes a document quadratic in z; above this length the sums stay in Σ/Π
# notation (expand=None), or derive refuses (expand=True).
EXPANSION_LIMIT = 6

__all__ = ["EXPANSION_LIMIT", "Derivation", "Equation", "Line", "Paragraph", "Section", "derive"]


def _expand(spec: RNNSpec, expand: bool | None) -> bool:
    if expand is None:
        return spec.z <= EXPANSION_LIMIT
    if not isinstance(expand, bool):
        raise TypeError(f"expand must be True, False or None, got {expand!r}")
    if expand and spec.z > EXPANSION_LIMIT:
        raise SymRNNError(
            f"expanding every (t, k) term is limited to z <= {EXPANSION_LIMIT} (got z = {spec.z}); "
            "use expand=None or expand=False to keep the sums in Σ notation"
        )
    return expand


def derive(
    spec: RNNSpec, *, expand: bool | None = None, appendix: bool = True, title: str | None = None
) -> Derivation:
    """The derivation document of ``spec``, following the lecture notes' numbering.

    Args:
        spec: the model (its notation profile chooses the symbols).
        expand: list every (t, k) term and every time step (True), keep Σ/Π notation (False), or
            expand only when ``spec.z <= EXPANSION_LIMIT`` (None, the default).
        appendix: add the latexify-rendered reference functions.
        title: the document's title.

    Returns:
        A :class:`Derivation`; ``.ok`` tells whether every equation's check passed.

    Raises:
        TypeError: ``spec`` is not an RNNSpec.
        ValueError: cross-entropy with ``spec.m == 1`` (the loss is identically 0).
        SymRNNError: ``expand=True`` with ``spec.z > EXPANSION_LIMIT``.
    """
    if not isinstance(spec, RNNSpec):
        raise TypeError(f"derive expects an RNNSpec, got {type(spec).__name__}")
    cell = getattr(spec, "cell_name", getattr(spec, "cell", "rnn"))
    if cell != "rnn":
        raise SymRNNError(
            f"derivation documents are written for the notes' cell (rnn) only, not {cell!r}; use --cell rnn"
        )
    if spec.loss == "ce" and spec.m == 1:
        raise ValueError(
            "cross-entropy over m = 1 output is identically 0 (softmax of one number is 1), so every "
            "gradient would be 0; use --m 2 or more with --loss ce, or --loss sse"
        )
    context = Context(spec, unroll(spec), _expand(spec, expand))
    sections = (
        model_section(context),
        activation_section(context),
        state_total_section(context),
        gradients_section(context),
        jacobian_section(context),
        single_neuron_section(context),
        matrix_section(context),
        closing_section(context),
    )
    extra = ()
    if appendix:
        from .appendix import appendix_section

        extra = (appendix_section(spec),)
    return Derivation(spec, title or default_title(spec), sections, extra)


def default_title(spec: RNNSpec) -> str:
    """A title naming the model, e.g. 'Backpropagation through time: tanh RNN, sse loss, z = 2'."""
    activation = spec.activation_name
    return (
        f"Backpropagation through time: {activation} RNN, {spec.loss} loss, "
        f"$z = {spec.z}$, $e = {spec.e}$, $n = {spec.n}$, $m = {spec.m}$"
    )
