"""Diagnoses: the single edit (sum range, index, weight, transpose, diag(f'), factor) that repairs a formula."""
from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from ..spec import RNNSpec
from . import tree as T
from .evaluate import LayoutMismatch, Undefined, Unevaluable
from .rewrite import paths, remove_at, replace_at, replace_roles

MAX_CANDIDATES = 400
WEIGHTS = ("W", "U", "V")
PARAMETERS = ("W", "U", "V", "b", "c")


def _text(node: T.Node, source: str) -> str:
    start, end = getattr(node, "span", (0, 0))
    return source[start:end].strip() if source and end > start else _plain(node)


def _plain(node: T.Node) -> str:
    if isinstance(node, T.Quantity):
        return f"{node.role}_{node.time}" if node.time is not None else node.role
    if isinstance(node, T.Transpose):
        return f"{_plain(node.operand)}^T"
    return type(node).__name__


def _shift(index: T.Index, delta: int) -> T.Index:
    return replace(index, constant=index.constant + delta)


def _left_candidates(equation: T.Equation, source: str) -> Iterator[tuple[T.Equation, str]]:
    """Edits of the left side: another parameter, or the loss instead of a state on top."""
    lhs = equation.lhs
    if not isinstance(lhs, T.Derivative) or not isinstance(lhs.of, T.Quantity):
        return
    if lhs.wrt.role in PARAMETERS:
        for other in PARAMETERS:
            if other != lhs.wrt.role:
                renamed = replace_roles(equation, {lhs.wrt.role: other})
                yield renamed, (f"this is the formula for {other}, not {lhs.wrt.role} "
                                f"(with {lhs.wrt.role} in place of {other} throughout it holds)")
    if lhs.of.role in ("s", "yhat") and lhs.of.time is not None:
        new = replace(lhs, of=T.Quantity("J", lhs.of.time))
        yield replace(equation, lhs=new), f"the left side should be the derivative of J_{lhs.of.time}, not of {_text(lhs.of, source)}"


def _candidates(equation: T.Equation, source: str) -> Iterator[tuple[T.Equation, str]]:
    rhs = equation.rhs
    for path, node in paths(rhs, (("rhs", None),)):
        path = path[1:]
        where = _text(node, source)
        if isinstance(node, (T.Sum, T.Product)):
            kind = "sum" if isinstance(node, T.Sum) else "product"
            if node.upper is not None:
                up = _shift(node.upper, 1)
                yield _at(equation, path, replace(node, upper=up)), (
                    f"the {kind} over {node.variable} stops too early: the {node.variable} = {up} term is missing "
                    f"(upper limit {node.upper} should be {up})")
                down = _shift(node.upper, -1)
                yield _at(equation, path, replace(node, upper=down)), (
                    f"the {kind} over {node.variable} has an extra {node.variable} = {node.upper} term (upper limit should be {down})")
            if node.lower is not None:
                for delta, words in ((1, "extra"), (-1, "missing")):
                    low = _shift(node.lower, delta)
                    term = node.lower if delta == 1 else low
                    yield _at(equation, path, replace(node, lower=low)), (
                        f"the {kind} over {node.variable} has a {words} {node.variable} = {term} term "
                        f"(lower limit {node.lower} should be {low})")
        if isinstance(node, T.Quantity):
            if node.role in WEIGHTS:
                for other in WEIGHTS:
                    if other != node.role:
                        yield _at(equation, path, replace(node, role=other)), f"wrong weight matrix: {where} where {other} belongs"
            if path and path[-1][0] not in ("of", "wrt") and node.role != "J":
                yield _at(equation, path, T.Transpose(node, span=node.span)), f"missing transpose: {where} should be {where}^T"
            if node.time is not None:
                for delta in (-1, 1):
                    shifted = replace(node, time=_shift(node.time, delta))
                    yield _at(equation, path, shifted), f"wrong index: {where} should have time index {shifted.time}"
        if isinstance(node, T.Transpose):
            yield _at(equation, path, node.operand), f"extra transpose: {where} should not be transposed"
        if isinstance(node, T.Derivative) and node.kind in ("partial", "immediate"):
            yield _at(equation, path, replace(node, kind="total")), f"{where} must be the total derivative (through every path)"
        if isinstance(node, T.Mul):
            times = sorted({str(q.time): q.time for q in T.walk(node) if isinstance(q, T.Quantity) and q.role == "s"
                            and q.time is not None}.values(), key=str)
            for position in range(len(node.factors) + 1):
                for time in times:
                    diag = T.Diag(T.Apply("f_prime", (T.Quantity("u", time),)))
                    factors = node.factors[:position] + (diag,) + node.factors[position:]
                    operators = node.operators[:position] + ("juxtapose",) + node.operators[position:]
                    yield _at(equation, path, replace(node, factors=factors, operators=operators[:len(factors) - 1])), (
                        f"missing diag(f'(u_{time})) factor in {where}")
        if path and path[-1][1] is not None:
            removed = remove_at(equation.rhs, path)
            if removed is not None:
                yield replace(equation, rhs=removed), f"extra factor or term: {where} does not belong"
    yield from _left_candidates(equation, source)


def _at(equation: T.Equation, path: tuple, new: T.Node) -> T.Equation:
    return replace(equation, rhs=replace_at(equation.rhs, path, new))


def _holds(candidate: T.Equation, definitions: dict, spec: RNNSpec, sizes: tuple, z_max: int, models: dict) -> bool:
    from .verify import LAYOUTS, check_equation

    for layout in LAYOUTS:
        try:
            outcome = check_equation(candidate, definitions, spec=spec, z_max=z_max, sizes=sizes, layout=layout,
                                     models=models)
        except (LayoutMismatch, Unevaluable, Undefined, ValueError):
            continue
        return outcome.failure is None and outcome.checked > 0
    return False


def _repairs(candidate: T.Equation, definitions: dict, spec: RNNSpec, sizes: tuple, z_max: int, models: dict) -> bool:
    """The candidate holds and is not the empty claim 0 = 0."""
    if not _holds(candidate, definitions, spec, sizes, z_max, models):
        return False
    return not _holds(replace(candidate, rhs=T.Number(0)), definitions, spec, sizes, z_max, models)


def diagnose(equation: T.Equation, definitions: dict, *, spec: RNNSpec, sizes: tuple, z_max: int,
             source: str = "", models: dict | None = None) -> str | None:
    """The first single edit (or left-side edit plus one more) after which the equation holds, in words."""
    models = {} if models is None else models
    zero = None
    if equation.rhs is not None and _holds(replace(equation, lhs=T.Number(0)), definitions, spec, sizes, z_max, models):
        zero = "the right side is identically 0 (no state depends on this parameter: every ∂s_k/∂P factor vanishes)"
    for count, (candidate, description) in enumerate(_candidates(equation, source)):
        if count >= MAX_CANDIDATES:
            break
        if _repairs(candidate, definitions, spec, sizes, z_max, models):
            return "; ".join(filter(None, [zero, description]))
    # Two mistakes at once: a wrong left side together with one wrong part of the right side.
    for left, left_words in _left_candidates(equation, source):
        for count, (candidate, words) in enumerate(_candidates(left, source)):
            if count >= MAX_CANDIDATES // 4:
                break
            if _repairs(candidate, definitions, spec, sizes, z_max, models):
                return "; ".join(filter(None, [zero, left_words, words]))
    return zero
