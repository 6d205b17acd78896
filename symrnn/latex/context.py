"""What every section builder needs: the spec, its graph, the evaluation point and the printer."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..spec import RNNSpec
from ..unroll import Graph
from .checks import Point
from .printer import Names, notation_profile, scalar_roles_of, to_latex


@dataclass(frozen=True, eq=False)
class Context:
    """One document's shared state.

    Attributes:
        spec: the model.
        graph: its unrolled program.
        expand: whether sections list every (t, k) term and every step t (else Σ/Π notation).
    """

    spec: RNNSpec
    graph: Graph
    expand: bool

    @cached_property
    def point(self) -> Point:
        """The rational evaluation point of the checks."""
        return Point(self.graph)

    @cached_property
    def names(self) -> Names:
        """LaTeX names of the quantities of general forms."""
        return Names(notation_profile(self.spec.notation))

    def tex(self, expression: Any, *, as_built: bool = False) -> str:
        """LaTeX of a SymPy expression in the document's notation (1-based element indices); ``as_built``
        keeps the factor order of unevaluated products."""
        return to_latex(
            expression,
            notation=self.spec.notation,
            scalar_roles=scalar_roles_of(self.spec),
            as_built=as_built,
        )

    @property
    def z(self) -> int:
        return self.spec.z

    def steps(self) -> list[int]:
        """The time steps whose instances are written out: all when expanding, else the first and last."""
        return list(range(1, self.z + 1)) if self.expand else sorted({1, self.z})
