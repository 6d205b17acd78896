"""The ``symrnn`` command line: results to stdout, one-line errors to stderr, exit codes 0/1/2."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Callable, Sequence

from .errors import SymRNNError
from .spec import RNNSpec

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (POSIX usage error)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _add_spec_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model (defaults: the notes' worked example)")
    group.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="rnn", help="cell kind (default rnn)")
    group.add_argument("--z", type=_positive, default=2, help="sequence length (default 2)")
    group.add_argument("--e", type=_positive, default=2, help="input size (default 2)")
    group.add_argument("--n", type=_positive, default=2, help="state size (default 2)")
    group.add_argument("--m", type=_positive, default=1, help="output size (default 1)")
    group.add_argument("--activation", choices=("tanh", "sigmoid", "relu", "identity"), default="tanh")
    group.add_argument("--loss", choices=("sse", "ce"), default="sse")
    group.add_argument("--no-bias", action="store_true", help="drop the biases b and c")
    group.add_argument("--notation", choices=("notes", "d2l", "goodfellow"), default="notes")


def spec_from_arguments(arguments: argparse.Namespace) -> RNNSpec:
    """The spec named by the command-line options."""
    if arguments.cell != "rnn":
        raise SymRNNError(f"cell {arguments.cell!r} is not implemented yet; only --cell rnn is available")
    return RNNSpec(z=arguments.z, e=arguments.e, n=arguments.n, m=arguments.m, activation=arguments.activation,
                   loss=arguments.loss, bias=not arguments.no_bias, notation=arguments.notation)


def write_output(text: str, path: str | None) -> None:
    """Write to stdout, or atomically to ``path`` (a temporary file renamed: no partial file on error)."""
    if path is None or path == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError(f"cannot write {path}: directory {directory} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".symrnn-", suffix=".tmp")
    except OSError as error:
        raise ValueError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as error:
        os.unlink(temporary)
        raise ValueError(f"cannot write {path}: {error.strerror}") from None


def _check(arguments: argparse.Namespace) -> int:
    from .check import check

    report = check(spec_from_arguments(arguments))
    if arguments.json:
        print(json.dumps(report.as_json()))
    else:
        errors = report.as_json()["max_rel_error"]
        print(f"check {report.spec}")
        for name, value in errors.items():
            print(f"  {name:26s} {'not run (too large)' if value is None else f'{value:.3e}'}")
        print("all routes agree" if report.ok else "ROUTES DISAGREE")
    return EXIT_OK if report.ok else EXIT_FAILED


def _derive(arguments: argparse.Namespace) -> int:
    from .latex.documents import derive

    expand = {"auto": None, "all": True, "none": False}[arguments.expand]
    document = derive(spec_from_arguments(arguments), expand=expand)
    text = document.markdown() if arguments.format == "markdown" else document.latex()
    write_output(text, arguments.output)
    return EXIT_OK if document.ok else EXIT_FAILED


def _emit(text: str) -> None:
    """Print to stdout; a reader that stops early (``| head``) ends the output quietly, without a traceback."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail either


def _verify(arguments: argparse.Namespace) -> int:
    from .formula.verify import verify

    if arguments.python:
        return _verify_python(arguments)
    if arguments.formula is None:
        raise ValueError("give a FORMULA (or '-' to read it from standard input, or --python FILE.py:FUNCTION)")
    formula = sys.stdin.read() if arguments.formula == "-" else arguments.formula
    z = arguments.z
    pinned = {name: getattr(arguments, name) for name in ("e", "n", "m") if getattr(arguments, name) is not None}
    for name, default in (("z", 2), ("e", 2), ("n", 2), ("m", 1)):
        if getattr(arguments, name) is None:
            setattr(arguments, name, 2 if name == "m" and arguments.loss == "ce" else default)
    spec = spec_from_arguments(arguments)
    sizes = ((spec.e, spec.n, spec.m),) if pinned else None
    try:
        verdict = verify(formula, z_max=arguments.z_max, spec=spec, sizes=sizes, z=z)
    except (ValueError, TypeError, SymRNNError):
        raise
    except Exception as error:  # noqa: BLE001 - a bug of ours: still one line and exit 2, never a traceback
        raise SymRNNError(f"internal error ({type(error).__name__}: {error}); please report this formula") from None
    _emit(json.dumps(verdict.as_json()) if arguments.json else verdict.describe())
    return EXIT_OK if verdict.verdict == "holds" else EXIT_FAILED


def _verify_python(arguments: argparse.Namespace) -> int:
    from .formula.code import load_function, verify_function

    function = load_function(arguments.python)
    spec = RNNSpec(e=arguments.e or 3, n=arguments.n or 2, m=arguments.m or (2 if arguments.loss == "ce" else 1),
                   activation=arguments.activation, loss=arguments.loss, bias=not arguments.no_bias)
    report = verify_function(function, spec, style=arguments.style, z_max=arguments.z_max)
    _emit(json.dumps(report.as_json()) if arguments.json else report.describe())
    return EXIT_OK if report.verdict == "holds" else EXIT_FAILED


def _audit(arguments: argparse.Namespace) -> int:
    from .formula.notes import audit

    entries = audit()
    if arguments.json:
        _emit(json.dumps([entry.as_json() for entry in entries], indent=1))
    else:
        _emit("\n".join(entry.describe() for entry in entries))
    return EXIT_OK if all(entry.verdict == "holds" for entry in entries) else EXIT_FAILED


def _codegen(arguments: argparse.Namespace) -> int:
    from .numeric.codegen import generate_module

    write_output(generate_module(spec_from_arguments(arguments), backend=arguments.backend), arguments.output)
    return EXIT_OK


def _gradflow(arguments: argparse.Namespace) -> int:
    import itertools

    from .gradflow import DEFAULT_CONFIGURATIONS, gradient_flow, plot

    if arguments.activation or arguments.init:
        pairs = list(itertools.product(arguments.activation or ["tanh"], arguments.init or ["normal"]))
    else:
        pairs = list(DEFAULT_CONFIGURATIONS)
    flows = [gradient_flow(activation=a, initialisation=i, n=arguments.n, z=arguments.z, samples=arguments.samples,
                           seed=arguments.seed) for a, i in pairs]
    if arguments.output:
        if not arguments.output.lower().endswith((".png", ".pdf")):
            raise ValueError(f"-o must name a .png or .pdf file, got {arguments.output}")
        directory = os.path.dirname(os.path.abspath(arguments.output))
        if not os.path.isdir(directory):
            raise ValueError(f"cannot write {arguments.output}: directory {directory} does not exist")
        plot(flows, arguments.output)
    if arguments.json:
        print(json.dumps([flow.as_json() for flow in flows]))
        return EXIT_OK
    columns = sorted({1, min(10, arguments.z), min(20, arguments.z), arguments.z})
    print(f"median ‖∂s_t/∂s_0‖₂ over {arguments.samples} draws, n = {arguments.n}")
    print(f"{'configuration':28s}" + "".join(f"{'t = ' + str(t):>12s}" for t in columns))
    for flow in flows:
        print(f"{flow.label:28s}" + "".join(f"{flow.median[t - 1]:12.3e}" for t in columns))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="symrnn", description="Machine-checked backpropagation through time for RNNs.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    def command(name: str, handler: Callable, help_text: str, spec: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        if spec:
            _add_spec_options(sub)
        return sub

    sub = command("check", _check, "compare structured vs brute-force vs compiled vs reference vs finite differences")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub = command("derive", _derive, "write the derivation document of a model")
    sub.add_argument("--format", choices=("latex", "markdown"), default="latex")
    sub.add_argument("--expand", choices=("auto", "all", "none"), default="auto",
                     help="list every (t, k) term: auto (when z <= 6), all, or none (keep Σ/Π)")
    sub.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    sub = command("verify", _verify, "verdict on a hand-written formula (exit 0 holds, 1 fails or undecided)")
    from .formula.reference import LANGUAGE

    sub.formatter_class, sub.epilog = argparse.RawDescriptionHelpFormatter, LANGUAGE
    sub.set_defaults(z=None, e=None, n=None, m=None)  # given sizes are the only ones checked (--n 1: one neuron)
    sub.add_argument("formula", nargs="?", help="the formula in LaTeX; '-' reads standard input")
    sub.add_argument("--z-max", type=_positive, default=4, help="check sequence lengths 1..N (default 4)")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_argument("--python", metavar="FILE.py:FUNCTION",
                     help="verify a hand-written NumPy BPTT function instead (your file is imported and run)")
    sub.add_argument("--style", choices=("symrnn", "minchar", "cs231n"), default="symrnn",
                     help="calling convention of --python's function (see the README)")
    sub = command("audit", _audit, "check every equation of the lecture notes as written (exit 0 all hold, "
                  "1 some fail or are undecided)", spec=False)
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub = command("codegen", _codegen, "write a standalone NumPy module of the loss and its gradients")
    sub.add_argument("--backend", choices=("numpy",), default="numpy")
    sub.add_argument("-o", "--output", metavar="FILE.py", required=True, help="the module to write")
    sub = command("gradflow", _gradflow, "vanishing/exploding analysis of ∂s_t/∂s_0 (table, optional plot)", spec=False)
    sub.add_argument("--activation", nargs="+", choices=("tanh", "sigmoid", "relu", "identity"))
    sub.add_argument("--init", nargs="+", choices=("normal", "scaled", "identity", "orthogonal"),
                     help="how U is drawn: N(0,1), N(0,1/n), identity, orthogonal")
    sub.add_argument("--n", type=_positive, default=8, help="state size (default 8)")
    sub.add_argument("--z", type=_positive, default=40, help="sequence length (default 40)")
    sub.add_argument("--samples", type=_positive, default=16, help="random draws (default 16)")
    sub.add_argument("--seed", type=int, default=0)
    sub.add_argument("-o", "--output", metavar="FILE.png", help="also write a plot (.png or .pdf)")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except (ValueError, TypeError, SymRNNError) as error:
        print(f"symrnn {arguments.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
