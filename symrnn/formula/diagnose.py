"""Diagnoses: the single edit (sum range, index, weight, transpose, diag(f'), factor) that repairs a formula."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from ..spec import RNNSpec
from . import tree as T
from .candidates import Namer, candidates, left_candidates
from .evaluate import LOSS_SCALE, LayoutMismatch, Undefined, Unevaluable

MAX_CANDIDATES = 400
"""Most single edits tried before the search gives up (each costs one check over z and sizes)."""
DIAGNOSE_CPU_SECONDS = 4.0
"""Processor time a diagnosis may take; the search stops there (a verdict is never delayed by more)."""


# The verifier's check_equation and layouts for the current diagnosis (set by diagnose()).
_CHECKER: ContextVar[tuple[Callable[..., Any], tuple[str, ...]]] = ContextVar("symrnn_diagnose_checker")


class _Budget:
    def __init__(self) -> None:
        self.start = time.process_time()

    @property
    def spent(self) -> bool:
        return time.process_time() - self.start > DIAGNOSE_CPU_SECONDS


def _holds(
    candidate: T.Equation,
    definitions: dict,
    spec: RNNSpec,
    sizes: tuple,
    lengths: tuple,
    models: dict,
    notation: str = "notes",
) -> bool:
    check_equation, layouts = _CHECKER.get()
    for layout in layouts:
        try:
            outcome = check_equation(
                candidate,
                definitions,
                spec=spec,
                lengths=lengths,
                sizes=sizes,
                layout=layout,
                models=models,
                notation=notation,
            )
        except (LayoutMismatch, Unevaluable, Undefined, ValueError):
            continue
        if outcome.held:
            return True
    return False


def _repairs(
    candidate: T.Equation,
    definitions: dict,
    spec: RNNSpec,
    sizes: tuple,
    lengths: tuple,
    models: dict,
    notation: str = "notes",
) -> bool:
    """The candidate holds and is neither the empty claim 0 = 0 nor A = A + (vanishing terms)."""
    if candidate.lhs in (candidate.rhs.terms if isinstance(candidate.rhs, T.Add) else (candidate.rhs,)):
        return False  # A = A (+ terms that vanish): says nothing
    if not _holds(candidate, definitions, spec, sizes, lengths, models, notation):
        return False
    return not _holds(
        replace(candidate, rhs=T.Number(0)), definitions, spec, sizes, lengths, models, notation
    )


def diagnose(
    equation: T.Equation,
    definitions: dict,
    *,
    spec: RNNSpec,
    sizes: tuple,
    lengths: tuple[int, ...],
    check: Callable[..., Any],
    layouts: tuple[str, ...],
    source: str = "",
    notation: str = "notes",
    models: dict | None = None,
) -> str | None:
    """The first single edit (or left-side edit plus one more) after which the equation holds, in words.

    ``check`` and ``layouts`` are the verifier's own (passed in, so this module does not import it).
    """
    token = _CHECKER.set((check, layouts))
    try:
        return _diagnose(
            equation,
            definitions,
            spec=spec,
            sizes=sizes,
            lengths=lengths,
            source=source,
            notation=notation,
            models=models,
        )
    finally:
        _CHECKER.reset(token)


def _diagnose(
    equation: T.Equation,
    definitions: dict,
    *,
    spec: RNNSpec,
    sizes: tuple,
    lengths: tuple[int, ...],
    source: str,
    notation: str,
    models: dict | None,
) -> str | None:
    models = {} if models is None else models
    if equation.rhs is None:
        return None
    budget = _Budget()
    zero = None
    if _holds(replace(equation, lhs=T.Number(0)), definitions, spec, sizes, lengths, models, notation):
        zero = "the right side is identically 0 (no state depends on this parameter: every ∂s_k/∂P factor vanishes)"
    for _, candidate, description in candidates(equation, source, notation)[:MAX_CANDIDATES]:
        if budget.spent:
            return zero
        if _repairs(candidate, definitions, spec, sizes, lengths, models, notation):
            return "; ".join(filter(None, [zero, description]))
    # A mistake inside a definition the claim uses (δ_t = ...): edit each definition in turn.
    for role, equations in definitions.items():
        if role == LOSS_SCALE:
            continue
        for position, definition in enumerate(equations):
            if definition.rhs is None or not isinstance(definition.lhs, T.Quantity):
                continue
            for _, edited, words in candidates(definition, source, notation)[: MAX_CANDIDATES // 2]:
                if budget.spent:
                    return zero
                changed = dict(definitions)
                changed[role] = equations[:position] + (edited,) + equations[position + 1 :]
                if _holds(equation, changed, spec, sizes, lengths, models, notation):
                    where = Namer(definition, source, notation).text(definition)
                    return "; ".join(filter(None, [zero, f"in the definition {where}: {words}"]))
    # Two mistakes at once: a wrong left side together with one wrong part of the right side.
    for left, left_words in left_candidates(equation, Namer(equation, source, notation)):
        for _, candidate, words in candidates(left, source, notation)[: MAX_CANDIDATES // 4]:
            if budget.spent:
                return zero
            if _repairs(candidate, definitions, spec, sizes, lengths, models, notation):
                return "; ".join(filter(None, [zero, left_words, words]))
    return zero
