"""Single edits of a wrong formula, each with the words that explain it: the raw material of diagnoses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction

from ..notation import NOTATIONS
from . import tree as T
from .rewrite import Path, paths, remove_at, replace_at, replace_roles, transform

WEIGHTS = ("W", "U", "V")
PARAMETERS = ("W", "U", "V", "b", "c")
# Priorities: lower is tried first. Local edits of the right side explain a slip best; dropping a part,
# making a partial total, or editing the left side come later (they repair more formulas, more vaguely).
LOCAL, TOTAL, TERM, REMOVE, LEFT = 0, 1, 2, 3, 4
Candidate = tuple[int, T.Equation, str]


class Namer:
    """Names quantities as the user wrote them (their raw text) or as their notation spells them."""

    def __init__(self, equation: T.Equation, source: str, notation: str) -> None:
        self.source, self.latex = source, NOTATIONS.get(notation, NOTATIONS["notes"]).latex
        quantities = [n for n in T.walk(equation) if isinstance(n, T.Quantity) and n.raw]
        self.raw = {n.role: n.raw for n in quantities if n.time is None}
        self.base = {n.role: re.split(r"_|\^\{\(", n.raw)[0] for n in quantities if n.time is not None}

    def role(self, role: str) -> str:
        return self.raw.get(role) or self.latex.get(role, role)

    def text(self, node: T.Node) -> str:
        start, end = getattr(node, "span", (0, 0))
        return self.source[start:end].strip() if self.source and end > start else self.plain(node)

    def plain(self, node: T.Node) -> str:
        if isinstance(node, T.Quantity):
            name = (
                self.base.get(node.role) or self.latex.get(node.role, node.role)
                if node.time is not None
                else self.role(node.role)
            )
            return name if node.time is None else f"{name}_{{{node.time}}}"
        if isinstance(node, T.Derivative):
            d = "d" if node.kind == "total" else "\\partial^+ " if node.kind == "immediate" else "\\partial "
            if node.kind == "nabla":
                return f"\\nabla_{{{self.plain(node.wrt)}}} {self.plain(node.of)}"
            return f"\\frac{{{d}{self.plain(node.of)}}}{{{d}{self.plain(node.wrt)}}}"
        if isinstance(node, T.Transpose):
            return f"{self.plain(node.operand)}^T"
        if isinstance(node, T.Mul):
            return " \\cdot ".join(self.plain(f) for f in node.factors)
        if isinstance(node, T.Diag):
            return f"\\operatorname{{diag}}({self.plain(node.operand)})"
        if isinstance(node, T.Apply):
            name = "f'" if node.function == "f_prime" else node.function
            return f"{name}({', '.join(self.plain(a) for a in node.arguments)})"
        return type(node).__name__


def shift(index: T.Index, delta: int) -> T.Index:
    return replace(index, constant=index.constant + delta)


def substitute(index: T.Index, variable: str, by: T.Index) -> T.Index:
    """``index`` with ``variable`` replaced by the index ``by``."""
    coefficient = dict(index.terms).get(variable, 0)
    terms = {name: c for name, c in index.terms if name != variable}
    for name, c in by.terms:
        terms[name] = terms.get(name, 0) + coefficient * c
    return T.Index.combine(terms, index.constant + coefficient * by.constant)


def _bound(root: T.Node, path: Path) -> list[T.Sum | T.Product]:
    """The sums and products enclosing the node at ``path``."""
    found, node = [], root
    for name, position in path:
        if isinstance(node, (T.Sum, T.Product)):
            found.append(node)
        node = getattr(node, name) if position is None else getattr(node, name)[position]
    return found


def _at(equation: T.Equation, side: str, path: Path, new: T.Node) -> T.Equation:
    return replace(equation, **{side: replace_at(getattr(equation, side), path, new)})


def _terms(node: T.Node) -> tuple[T.Node, ...]:
    return node.terms if isinstance(node, T.Add) else (node,)


def _with_term(equation: T.Equation, term: T.Node) -> T.Equation:
    return replace(equation, rhs=T.Add(_terms(equation.rhs) + (term,)))


def _chain(term: T.Node) -> tuple[T.Derivative, ...] | None:
    factors = term.factors if isinstance(term, T.Mul) and term.op in ("cdot", "juxtapose") else (term,)
    ok = all(
        isinstance(f, T.Derivative) and isinstance(f.of, T.Quantity) and f.kind != "nabla" for f in factors
    )
    return factors if ok else None


def _local(equation: T.Equation, side: str, name: Namer) -> Iterator[Candidate]:
    """Edits of one part of one side: limits, weights, indices, transposes, diag(f'), signs."""
    root = getattr(equation, side)
    times = sorted(
        {
            str(q.time): q.time
            for q in T.walk(equation)
            if isinstance(q, T.Quantity) and q.time is not None and q.role != "J"
        }.values(),
        key=str,
    )
    bound = sorted({n.variable for n in T.walk(root) if isinstance(n, T.Product)})
    times += [T.Index.of(v) for v in bound if T.Index.of(v) not in times]
    times += [shift(i, -1) for i in list(times) if shift(i, -1) not in times and (i.terms or i.constant >= 2)]
    for path, node in paths(root):
        where = name.text(node)
        if isinstance(node, T.Mul):
            for position in range(len(node.factors) - 1):
                a, b = node.factors[position], node.factors[position + 1]
                if node.operators[position] in ("juxtapose", "cdot") and a != b:
                    factors = node.factors[:position] + (b, a) + node.factors[position + 2 :]
                    yield (
                        LOCAL,
                        _at(equation, side, path, replace(node, factors=factors)),
                        (
                            f"wrong order: {name.text(a)} {name.text(b)} should be {name.text(b)} {name.text(a)}"
                        ),
                    )
        if isinstance(node, T.Add) and side == "rhs" and path:
            for position, term in enumerate(node.terms):
                flipped = term.operand if isinstance(term, T.Neg) else T.Neg(term)
                terms = node.terms[:position] + (flipped,) + node.terms[position + 1 :]
                yield (
                    LOCAL,
                    _at(equation, side, path, replace(node, terms=terms)),
                    (f"wrong sign of {name.text(term)} in {where}"),
                )
        if isinstance(node, T.Power) and node.exponent.variables:
            for delta in (-1, 1):
                exponent = shift(node.exponent, delta)
                yield (
                    LOCAL,
                    _at(equation, side, path, replace(node, exponent=exponent)),
                    (f"wrong exponent: {where} should have the power {exponent} (an index off by one)"),
                )
        if isinstance(node, (T.Sum, T.Product)):
            kind = "sum" if isinstance(node, T.Sum) else "product"
            if node.upper is not None:
                up, down = shift(node.upper, 1), shift(node.upper, -1)
                yield (
                    LOCAL,
                    _at(equation, side, path, replace(node, upper=up)),
                    (
                        f"the {kind} over {node.variable} stops too early: the {node.variable} = {up} term is missing "
                        f"(upper limit {node.upper} should be {up})"
                    ),
                )
                yield (
                    LOCAL,
                    _at(equation, side, path, replace(node, upper=down)),
                    (
                        f"the {kind} over {node.variable} has an extra {node.variable} = {node.upper} term "
                        f"(upper limit should be {down})"
                    ),
                )
            if node.lower is not None:
                for delta, words in ((1, "an extra"), (-1, "a missing")):
                    low = shift(node.lower, delta)
                    term = node.lower if delta == 1 else low
                    yield (
                        LOCAL,
                        _at(equation, side, path, replace(node, lower=low)),
                        (
                            f"the {kind} over {node.variable} has {words} {node.variable} = {term} term "
                            f"(lower limit {node.lower} should be {low})"
                        ),
                    )
        if isinstance(node, T.Quantity):
            yield from _quantity_edits(equation, side, root, path, node, where, name)
        if isinstance(node, T.Transpose):
            yield (
                LOCAL,
                _at(equation, side, path, node.operand),
                f"extra transpose: {where} should not be transposed",
            )
        wraps = (
            isinstance(node, T.Mul)
            or (isinstance(node, T.Quantity) and node.role in WEIGHTS)
            or (isinstance(node, T.Derivative) and node.of == T.Quantity("J") and node.wrt.role == "s")
        )
        if wraps and side == "rhs" and not (path and path[-1][0] in ("of", "wrt")):
            positions = range(len(node.factors) + 1) if isinstance(node, T.Mul) else (0,)
            for position in positions:
                for time in times:
                    diag = T.Diag(T.Apply("f_prime", (T.Quantity("u", time),)))
                    if isinstance(node, T.Mul):
                        factors = node.factors[:position] + (diag,) + node.factors[position:]
                        new = T.Mul(factors, ("juxtapose",) * (len(factors) - 1))
                        yield (
                            LOCAL,
                            _at(equation, side, path, new),
                            f"missing diag(f'({name.plain(T.Quantity('u', time))})) factor in {where}",
                        )
                    else:
                        for new in (T.Mul((diag, node), ("juxtapose",)), T.Mul((node, diag), ("juxtapose",))):
                            yield (
                                LOCAL,
                                _at(equation, side, path, new),
                                (
                                    f"missing diag(f'({name.plain(T.Quantity('u', time))})) factor next to {where}"
                                ),
                            )


def _quantity_edits(
    equation: T.Equation, side: str, root: T.Node, path: Path, node: T.Quantity, where: str, name: Namer
) -> Iterator[Candidate]:
    if node.role in WEIGHTS:
        for other in WEIGHTS:
            if other != node.role:
                yield (
                    LOCAL,
                    _at(equation, side, path, replace(node, role=other)),
                    (f"wrong weight matrix: {where} where {name.role(other)} belongs"),
                )
    inside_derivative = path and path[-1][0] in ("of", "wrt")
    if not inside_derivative and node.role == "yhat" and side == "rhs":
        yield (
            LOCAL,
            _at(equation, side, path, T.Apply("softmax", (node,))),
            (
                f"missing softmax: {where} are the logits; cross-entropy's gradient needs the probabilities "
                f"softmax({where})"
            ),
        )
    if not inside_derivative and node.role != "J" and side == "rhs":
        yield (
            LOCAL,
            _at(equation, side, path, T.Transpose(node, span=node.span)),
            (f"missing transpose: {where} should be {where}^T"),
        )
    if node.time is None:
        return
    for delta in (-1, 1):
        shifted = replace(node, time=shift(node.time, delta))
        yield (
            LOCAL,
            _at(equation, side, path, shifted),
            (f"wrong index: {where} should be {name.plain(shifted)} (time index {shifted.time})"),
        )
    for big in _bound(root, path):
        variable = big.variable
        if variable not in node.time.variables:
            for delta in (-1, 0):
                shifted = replace(node, time=T.Index.of(variable, delta))
                yield (
                    LOCAL,
                    _at(equation, side, path, shifted),
                    (
                        f"wrong index: {where} should be {name.plain(shifted)} (it must follow the {variable} of the "
                        f"{'sum' if isinstance(big, T.Sum) else 'product'})"
                    ),
                )
        elif big.lower is not None and big.upper is not None and abs(dict(node.time.terms)[variable]) == 1:
            mirror = substitute(node.time, variable, _reflection(big.lower, big.upper, variable))
            shifted = replace(node, time=mirror)
            yield (
                LOCAL,
                _at(equation, side, path, shifted),
                (
                    f"wrong index: {where} runs the wrong way through the sum: it should be {name.plain(shifted)}"
                ),
            )


def _reflection(lower: T.Index, upper: T.Index, variable: str) -> T.Index:
    """lower + upper - variable: the same range run backwards."""
    terms: dict[str, int] = {}
    for v, c in lower.terms + upper.terms + ((variable, -1),):
        terms[v] = terms.get(v, 0) + c
    return T.Index.combine(terms, lower.constant + upper.constant)


def _structural(equation: T.Equation, name: Namer) -> Iterator[Candidate]:
    """Whole-equation edits: signs, a factor 2, two weights swapped, a lost sum, a missing factor or term."""
    rhs = equation.rhs
    yield LOCAL, replace(equation, rhs=T.Neg(rhs)), "wrong sign: the right side should be negated"
    for position, term in enumerate(_terms(rhs)):
        if isinstance(rhs, T.Add):
            terms = rhs.terms[:position] + (T.Neg(term),) + rhs.terms[position + 1 :]
            yield LOCAL, replace(equation, rhs=T.Add(terms)), f"wrong sign of the term {name.text(term)}"
    for factor, words in ((Fraction(1, 2), "multiply it by 1/2"), (2, "multiply it by 2")):
        yield (
            LOCAL,
            replace(equation, rhs=T.Mul((T.Number(factor), rhs), ("juxtapose",))),
            (f"wrong factor: the right side is off by a factor of 2 ({words})"),
        )
    for a, b in (("W", "U"), ("U", "V"), ("W", "V")):
        yield (
            LOCAL,
            replace(equation, rhs=replace_roles(rhs, {a: b, b: a})),
            (f"wrong weight matrices: {name.role(a)} and {name.role(b)} are swapped"),
        )
    yield from _lost_sum(equation, name)
    yield from _missing_factors(equation, name)


def _lost_sum(equation: T.Equation, name: Namer) -> Iterator[Candidate]:
    used = {
        v
        for n in T.walk(equation)
        for i in (getattr(n, "time", None),)
        if isinstance(i, T.Index)
        for v in i.variables
    }
    variable = next(v for v in ("t", "i", "k", "m") if v not in used)
    for length in sorted(T.LENGTH_VARIABLES & used):
        body = _retime(equation.rhs, length, variable)
        total = T.Sum(variable, T.Index.of(None, 1), T.Index.of(length), body)
        yield (
            LOCAL,
            replace(equation, rhs=total),
            (
                f"missing terms: only the {variable} = {length} term is written; the sum over "
                f"{variable} = 1..{length} is missing"
            ),
        )


def _retime(node: T.Node, length: str, variable: str) -> T.Node:
    def edit(n: T.Node) -> T.Node | None:
        if isinstance(n, T.Quantity) and n.time is not None and length in n.time.variables:
            return replace(n, time=substitute(n.time, length, T.Index.of(variable)))
        return None

    return transform(node, edit)


def _missing_factors(equation: T.Equation, name: Namer) -> Iterator[Candidate]:
    lhs = equation.lhs
    if not isinstance(lhs, T.Derivative) or not isinstance(lhs.of, T.Quantity):
        return
    for position, term in enumerate(_terms(equation.rhs)):
        chain = _chain(term)
        if chain is None:
            continue
        terms = list(_terms(equation.rhs))
        if chain[-1].wrt != lhs.wrt:
            extra = T.Derivative("partial", chain[-1].wrt, lhs.wrt)
            terms[position] = T.Mul(chain + (extra,), ("cdot",) * len(chain))
            yield (
                LOCAL,
                replace(equation, rhs=terms[0] if len(terms) == 1 else T.Add(tuple(terms))),
                (f"missing factor {name.plain(extra)}: the chain stops at {name.plain(chain[-1].wrt)}"),
            )
        elif chain[0].of != lhs.of:
            extra = T.Derivative("partial", lhs.of, chain[0].of)
            terms[position] = T.Mul((extra,) + chain, ("cdot",) * len(chain))
            yield (
                LOCAL,
                replace(equation, rhs=terms[0] if len(terms) == 1 else T.Add(tuple(terms))),
                (f"missing factor {name.plain(extra)}: the chain starts at {name.plain(chain[0].of)}"),
            )


def _missing_terms(equation: T.Equation, name: Namer) -> Iterator[Candidate]:
    """A term like an existing one through a neighbouring quantity (s_1 for s_0, o_t for h_{t+1})."""
    existing = set(_terms(equation.rhs))
    for term in existing:
        quantities = {
            q
            for q in T.walk(term)
            if isinstance(q, T.Quantity) and q.role in ("s", "yhat") and q.time is not None
        }
        for q in quantities:
            for other in (
                replace(q, time=shift(q.time, -1)),
                replace(q, time=shift(q.time, 1)),
                T.Quantity("yhat", shift(q.time, -1)) if q.role == "s" else None,
            ):
                if other is None:
                    continue
                new = transform(term, lambda n, q=q, other=other: other if n == q else None)
                if new not in existing:
                    yield (
                        LOCAL,
                        _with_term(equation, new),
                        (
                            f"missing term: the path through {name.plain(other)} ({name.plain(new)}) is left out"
                        ),
                    )
    lhs = equation.lhs
    if (
        isinstance(lhs, T.Derivative)
        and lhs.kind == "total"
        and isinstance(lhs.of, T.Quantity)
        and lhs.of.time
    ):
        previous = replace(lhs.of, time=shift(lhs.of.time, -1))
        new = T.Mul(
            (T.Derivative("partial", lhs.of, previous), T.Derivative("total", previous, lhs.wrt)), ("cdot",)
        )
        yield (
            LOCAL,
            _with_term(equation, new),
            (f"missing term: the path through {name.plain(previous)} ({name.plain(new)}) is left out"),
        )


_PRIMES = ("f_prime", "tanh_prime", "sigma_prime", "relu_prime")
_PRIME_WORDS = {"f_prime": "f'", "tanh_prime": "\\tanh'", "sigma_prime": "\\sigma'", "relu_prime": "relu'"}


def _is_one_minus_square(node: T.Node) -> T.Node | None:
    """``1 - X^2`` -> X (the tanh derivative written through the state), else None."""
    if (
        isinstance(node, T.Add)
        and len(node.terms) == 2
        and node.terms[0] == T.Number(1)
        and isinstance(node.terms[1], T.Neg)
        and isinstance(node.terms[1].operand, T.Power)
        and node.terms[1].operand.exponent == T.Index.of(None, 2)
    ):
        return node.terms[1].operand.base
    return None


def _activation_edits(equation: T.Equation, name: Namer) -> Iterator[Candidate]:
    """f' at the wrong argument or of the wrong function; tanh' and sigmoid' confused; f^2 for 1 - f^2."""
    for side in ("rhs",):
        root = getattr(equation, side)
        for path, node in paths(root):
            where = name.text(node)
            if isinstance(node, T.Apply) and node.function in _PRIMES:
                argument = node.arguments[0]
                if isinstance(argument, T.Quantity) and argument.role == "s":
                    moved = replace(node, arguments=(replace(argument, role="u"),))
                    yield (
                        LOCAL,
                        _at(equation, side, path, moved),
                        (
                            f"wrong argument: {where} takes f' at the state {name.text(argument)}; the derivative "
                            f"belongs at the pre-activation, f'({name.plain(replace(argument, role='u'))})"
                        ),
                    )
                for other in _PRIMES:
                    if other != node.function:
                        yield (
                            LOCAL,
                            _at(equation, side, path, replace(node, function=other)),
                            (
                                f"wrong activation derivative: {where} is {_PRIME_WORDS[node.function]}, but the model "
                                f"needs {_PRIME_WORDS[other]} (tanh' = 1 - tanh^2, sigma' = sigma (1 - sigma))"
                            ),
                        )
            base = _is_one_minus_square(node)
            if base is not None:
                sigmoid = T.Mul((base, T.Add((T.Number(1), T.Neg(base)))), ("odot",))
                yield (
                    LOCAL,
                    _at(equation, side, path, sigmoid),
                    (
                        f"wrong activation derivative: {where} is tanh' written through the state; for the sigmoid "
                        f"f' = s (1 - s)"
                    ),
                )
            if (
                isinstance(node, T.Mul)
                and len(node.factors) == 2
                and isinstance(node.factors[1], T.Add)
                and node.operators[0] == "odot"
                and node.factors[1] == T.Add((T.Number(1), T.Neg(node.factors[0])))
            ):
                tanh = T.Add((T.Number(1), T.Neg(T.Power(node.factors[0], T.Index.of(None, 2)))))
                yield (
                    LOCAL,
                    _at(equation, side, path, tanh),
                    (
                        f"wrong activation derivative: {where} is the sigmoid's s (1 - s); for tanh f' = 1 - s^2"
                    ),
                )
            if (
                isinstance(node, T.Power)
                and isinstance(node.base, T.Apply)
                and node.base.function == "f"
                and node.exponent == T.Index.of(None, 2)
            ):
                yield (
                    LOCAL,
                    _at(equation, side, path, T.Add((T.Number(1), T.Neg(node)))),
                    (f"wrong derivative: {where} should be 1 - {where} (f' = 1 - f^2 for tanh)"),
                )
            if isinstance(node, T.Power) and isinstance(node.base, T.Quantity) and node.base.role in WEIGHTS:
                terms = dict(node.exponent.terms)
                ups, downs = [v for v, c in terms.items() if c == 1], [v for v, c in terms.items() if c == -1]
                used = {
                    v
                    for n in T.walk(equation)
                    for i in (getattr(n, "time", None), getattr(n, "exponent", None))
                    if isinstance(i, T.Index)
                    for v in i.variables
                }
                used |= {n.variable for n in T.walk(equation) if isinstance(n, (T.Sum, T.Product))}
                variable = next((v for v in ("m", "i", "j", "n") if v not in used), None)
                if len(ups) == 1 and len(downs) == 1 and node.exponent.constant == 0 and variable:
                    body = T.Mul(
                        (T.Diag(T.Apply("f_prime", (T.Quantity("u", T.Index.of(variable)),))), node.base),
                        ("juxtapose",),
                    )
                    product = T.Product(variable, T.Index.of(downs[0], 1), T.Index.of(ups[0]), body)
                    yield (
                        LOCAL,
                        _at(equation, side, path, product),
                        (
                            f"missing diag(f'): {where} leaves out the factors "
                            f"diag(f'({name.plain(T.Quantity('u', T.Index.of(variable)))})) of each step "
                            f"(U^{{t-k}} holds only for the identity activation; ReLU's f' is 0 or 1, tanh's below 1)"
                        ),
                    )


def _loss_edits(equation: T.Equation, name: Namer) -> Iterator[Candidate]:
    """J where J_t belongs and back; a bias left out of a pre-activation."""
    variables = sorted(
        (
            T.free_variables(equation)
            | {n.variable for n in T.walk(equation) if isinstance(n, (T.Sum, T.Product))}
        )
        - T.LENGTH_VARIABLES
    )
    for side in ("lhs", "rhs"):
        root = getattr(equation, side)
        for path, node in paths(root):
            if isinstance(node, T.Quantity) and node.role == "J":
                if node.time is None:
                    for variable in variables:
                        timed = replace(node, time=T.Index.of(variable))
                        yield (
                            LOCAL,
                            _at(equation, side, path, timed),
                            (
                                f"wrong loss: {name.text(node)} (the total loss) where the step's loss "
                                f"{name.plain(timed)} belongs"
                            ),
                        )
                else:
                    yield (
                        LOCAL,
                        _at(equation, side, path, replace(node, time=None)),
                        (
                            f"wrong loss: {name.text(node)} (one step's loss) where the total loss "
                            f"{name.role('J')} belongs"
                        ),
                    )
            if side == "rhs" and isinstance(node, T.Add):
                roles = {q.role for q in T.walk(node) if isinstance(q, T.Quantity)}
                for weight, bias in (("U", "b"), ("V", "c")):
                    if weight in roles and bias not in roles:
                        added = T.Add(node.terms + (T.Quantity(bias),))
                        yield (
                            LOCAL,
                            _at(equation, side, path, added),
                            (
                                f"missing bias: the model has biases, so {name.text(node)} needs + "
                                f"{name.role(bias)} (or check the model without biases: --no-bias)"
                            ),
                        )


def _weight_factors(equation: T.Equation, name: Namer) -> Iterator[Candidate]:
    """A weight matrix missing as a whole factor of the right side (the single neuron's W_hh)."""
    if equation.rhs is None:
        return
    for role in WEIGHTS:
        for new in (
            T.Mul((equation.rhs, T.Quantity(role)), ("juxtapose",)),
            T.Mul((T.Quantity(role), equation.rhs), ("juxtapose",)),
        ):
            yield LOCAL, replace(equation, rhs=new), f"missing factor {name.role(role)}"


def candidates(equation: T.Equation, source: str, notation: str) -> list[Candidate]:
    """Every single edit, in the order in which they are tried."""
    name = Namer(equation, source, notation)
    found = (
        list(_activation_edits(equation, name))
        + list(_local(equation, "rhs", name))
        + list(_structural(equation, name))
        + list(_loss_edits(equation, name))
    )
    if not isinstance(equation.lhs, (T.Derivative, T.Quantity)):
        found += list(_local(equation, "lhs", name))
    for path, node in paths(equation.rhs):
        if path and path[-1][1] is not None:
            removed = remove_at(equation.rhs, path)
            if removed is not None:
                found.append(
                    (
                        REMOVE,
                        replace(equation, rhs=removed),
                        f"extra factor or term: {name.text(node)} does not belong",
                    )
                )
        if isinstance(node, T.Derivative) and node.kind in ("partial", "immediate"):
            found.append(
                (
                    TOTAL,
                    _at(equation, "rhs", path, replace(node, kind="total")),
                    f"{name.text(node)} must be the total derivative (through every path)",
                )
            )
    found += [(TERM, c, words) for _, c, words in _missing_terms(equation, name)]
    found += [(TERM, c, words) for _, c, words in _weight_factors(equation, name)]
    found += [(LEFT, c, words) for c, words in left_candidates(equation, name)]
    return sorted(found, key=lambda item: item[0])


def left_candidates(equation: T.Equation, name: Namer) -> Iterator[tuple[T.Equation, str]]:
    """Edits of the left side: another parameter, or the loss instead of a state on top."""
    lhs = equation.lhs
    if not isinstance(lhs, T.Derivative) or not isinstance(lhs.of, T.Quantity):
        return
    if lhs.wrt.role in PARAMETERS:
        for other in PARAMETERS:
            if other != lhs.wrt.role:
                yield (
                    replace_roles(equation, {lhs.wrt.role: other}),
                    (
                        f"this is the formula for {name.role(other)}, not {name.role(lhs.wrt.role)} (with "
                        f"{name.role(other)} in place of {name.role(lhs.wrt.role)} throughout it holds)"
                    ),
                )
    if lhs.of.role in ("s", "yhat") and lhs.of.time is not None:
        new = replace(lhs, of=T.Quantity("J", lhs.of.time))
        yield (
            replace(equation, lhs=new),
            (f"the left side should be the derivative of J_{{{lhs.of.time}}}, not of {name.text(lhs.of)}"),
        )
