"""Edits of formula trees by path: the raw material of diagnoses (which single change repairs a formula)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields, replace

from . import tree as T

Path = tuple[tuple[str, int | None], ...]


def paths(node: T.Node, prefix: Path = ()) -> Iterator[tuple[Path, T.Node]]:
    """Every node with its path from ``node`` (parents first)."""
    yield prefix, node
    for item in fields(node):
        value = getattr(node, item.name)
        if isinstance(value, T.NODE_TYPES):
            yield from paths(value, prefix + ((item.name, None),))
        elif isinstance(value, tuple):
            for position, child in enumerate(value):
                if isinstance(child, T.NODE_TYPES):
                    yield from paths(child, prefix + ((item.name, position),))


def replace_at(node: T.Node, path: Path, new: T.Node) -> T.Node:
    """A copy of ``node`` with the sub-node at ``path`` replaced by ``new``."""
    if not path:
        return new
    (name, position), rest = path[0], path[1:]
    value = getattr(node, name)
    if position is None:
        return replace(node, **{name: replace_at(value, rest, new)})
    items = list(value)
    items[position] = replace_at(items[position], rest, new)
    return replace(node, **{name: tuple(items)})


def remove_at(node: T.Node, path: Path) -> T.Node | None:
    """A copy with the factor or term at ``path`` dropped (None when it is not in a Mul or Add)."""
    if not path or path[-1][1] is None:
        return None
    parent_path, (name, position) = path[:-1], path[-1]
    parent = node
    for step_name, step_position in parent_path:
        parent = (
            getattr(parent, step_name) if step_position is None else getattr(parent, step_name)[step_position]
        )
    if isinstance(parent, T.Add) and name == "terms":
        terms = parent.terms[:position] + parent.terms[position + 1 :]
        return replace_at(node, parent_path, terms[0] if len(terms) == 1 else replace(parent, terms=terms))
    if isinstance(parent, T.Mul) and name == "factors":
        factors = parent.factors[:position] + parent.factors[position + 1 :]
        operators = (
            parent.operators[: max(position - 1, 0)] + parent.operators[position:]
            if position
            else parent.operators[1:]
        )
        new = factors[0] if len(factors) == 1 else replace(parent, factors=factors, operators=operators)
        return replace_at(node, parent_path, new)
    return None


def transform(node: T.Node, function: Callable[[T.Node], T.Node | None]) -> T.Node:
    """Rebuild bottom-up, replacing each node by ``function(node)`` when that is not None."""
    updates = {}
    for item in fields(node):
        value = getattr(node, item.name)
        if isinstance(value, T.NODE_TYPES):
            updates[item.name] = transform(value, function)
        elif isinstance(value, tuple) and any(isinstance(v, T.NODE_TYPES) for v in value):
            updates[item.name] = tuple(
                transform(v, function) if isinstance(v, T.NODE_TYPES) else v for v in value
            )
    rebuilt = replace(node, **updates) if updates else node
    result = function(rebuilt)
    return rebuilt if result is None else result


def replace_roles(node: T.Node, mapping: dict[str, str]) -> T.Node:
    """Every quantity whose role is a key of ``mapping`` gets the mapped role."""
    return transform(
        node,
        lambda n: (
            replace(n, role=mapping[n.role]) if isinstance(n, T.Quantity) and n.role in mapping else None
        ),
    )
