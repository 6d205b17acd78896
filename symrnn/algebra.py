"""Matrix products on SymPy matrices built entry by entry (SymPy's generic matmul is slow on symbols)."""

from __future__ import annotations

import sympy


def matvec(M: sympy.Matrix, v: sympy.Matrix) -> sympy.Matrix:
    """``M v`` for a column ``v``: one flat Add per entry, no domain conversion."""
    rows, columns = M.shape
    if v.shape != (columns, 1):
        raise ValueError(f"cannot multiply {M.shape} by {v.shape}")
    return sympy.Matrix([sympy.Add(*[sympy.Mul(M[i, j], v[j]) for j in range(columns)]) for i in range(rows)])


def matvec_transposed(M: sympy.Matrix, v: sympy.Matrix) -> sympy.Matrix:
    """``Mᵀ v`` without forming the transpose."""
    rows, columns = M.shape
    if v.shape != (rows, 1):
        raise ValueError(f"cannot multiply the transpose of {M.shape} by {v.shape}")
    return sympy.Matrix([sympy.Add(*[sympy.Mul(M[i, j], v[i]) for i in range(rows)]) for j in range(columns)])


def sum_of_outers(pairs: list[tuple[sympy.Matrix, sympy.Matrix]]) -> sympy.Matrix:
    """``Σ a bᵀ`` over column pairs, one flat Add per entry."""
    a0, b0 = pairs[0]
    return sympy.Matrix(a0.rows, b0.rows, lambda i, j: sympy.Add(*[sympy.Mul(a[i], b[j]) for a, b in pairs]))
