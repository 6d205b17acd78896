"""The import graph of symrnn: no cycles, layers point down, and the package loads without SymPy."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "symrnn"

KNOWN_CYCLES: list[frozenset[str]] = []  # none: a new cycle fails the test

# Lower layers never import these (imports point down: cli -> everything; check, formula, latex,
# numeric, gradflow -> engine -> unroll -> cells -> rule tables).
UPPER = ("symrnn.cli", "symrnn.check", "symrnn.formula", "symrnn.latex", "symrnn.gradflow", "symrnn.train")
LOWER = (
    "symrnn.engine",
    "symrnn.unroll",
    "symrnn.cells",
    "symrnn.spec",
    "symrnn.activations",
    "symrnn.losses",
    "symrnn.notation",
    "symrnn.errors",
    "symrnn.files",
    "symrnn.progress",
    "symrnn.display",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every symrnn module ``name`` imports, at module level or inside functions (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from .x import y`: y may be a submodule of x, or a name defined in x.
            targets = [
                f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in known else stem for alias in node.names
            ]
        found |= {target for target in targets if target in known and target != name}
    return found


@functools.lru_cache(maxsize=1)
def import_graph() -> dict[str, set[str]]:
    table = modules()
    known = set(table)
    return {name: imports_of(name, path, known) for name, path in table.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Tarjan's algorithm: the components with more than one module (the import cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_walker_sees_relative_absolute_and_function_level_imports() -> None:
    graph = import_graph()
    assert "symrnn.errors" in graph["symrnn"]  # `from .errors import ...` in the package
    assert "symrnn.files" in graph["symrnn.cli"]  # `from . import files` names a submodule
    assert "symrnn.check" in graph["symrnn.cli"]  # inside a function
    assert "symrnn.formula.diagnose" in graph["symrnn.formula.verify"]  # inside a function


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [frozenset({"a", "b", "c"})]


def test_no_import_cycles() -> None:
    cycles = strongly_connected(import_graph())
    unexpected = [sorted(cycle) for cycle in cycles if cycle not in KNOWN_CYCLES]
    assert unexpected == [], f"import cycles: {unexpected}"
    stale = [sorted(cycle) for cycle in KNOWN_CYCLES if cycle not in cycles]
    assert stale == [], f"these known cycles are gone: remove them from KNOWN_CYCLES: {stale}"


def test_lower_layers_never_import_upper_ones() -> None:
    violations = sorted(
        (name, target)
        for name, targets in import_graph().items()
        if name.startswith(LOWER)
        for target in targets
        if target.startswith(UPPER)
    )
    assert violations == []


def test_the_package_and_the_command_line_load_without_sympy() -> None:
    # Ctrl-C must be handled from the start of the command line: nothing slow may load before main().
    code = (
        "import sys, symrnn, symrnn.cli; "
        "print(sorted(m for m in ('sympy', 'numpy', 'symrnn.spec', 'symrnn.check') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_public_functions_are_not_shadowed_by_their_modules() -> None:
    code = (
        "import symrnn, symrnn.unroll, symrnn.check, importlib; importlib.import_module('symrnn.unroll'); "
        "print(callable(symrnn.unroll), callable(symrnn.check), callable(symrnn.derive), "
        "callable(symrnn.compile), callable(symrnn.verify))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True"] * 5, result.stderr
