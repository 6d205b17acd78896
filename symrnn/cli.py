"""The ``symrnn`` command line: results to stdout (or ``-o``), one-line errors and summaries to stderr.

This module imports only the standard library at load time: SymPy and the engine load inside the
command, where Ctrl-C is already handled (exit 130, one line).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from . import __version__, files, progress
from .errors import SymRNNError

if TYPE_CHECKING:  # pragma: no cover
    from .spec import RNNSpec

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a program stopped by Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (e.g. `| head`)

ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")
VERIFY_Z_MAX_LIMIT = 12  # verify checks z = 1..--z-max; larger z makes the exact evaluation too slow

_COMMON_EXITS = (
    f"  {EXIT_BAD_INPUT:<4d} bad input, unwritable output or a limit of the tool (one line on stderr)\n"
    f"  {EXIT_INTERRUPTED:<4d} interrupted (Ctrl-C)\n"
    f"  {EXIT_BROKEN_PIPE:<4d} standard output closed early (e.g. piped into head); nothing printed\n"
)


def _epilog(ok: str, failed: str | None = None) -> str:
    lines = f"exit codes:\n  {EXIT_OK:<4d} {ok}\n"
    if failed:
        lines += f"  {EXIT_FAILED:<4d} {failed}\n"
    return lines + _COMMON_EXITS


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's layout and appends every option's default to its help."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "%(default)" in text
            or default in (None, False, argparse.SUPPRESS)
            or not action.option_strings
            or isinstance(default, bool)
        ):
            return text
        shown = " ".join(default) if isinstance(default, (list, tuple)) else "%(default)s"
        return f"{text} (default: {shown})"


class _Parser(argparse.ArgumentParser):
    """One-line errors with exit 2, and a close match for a mistyped choice."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # one line, exit 2 (POSIX usage error)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")

    def _check_value(self, action: argparse.Action, value: object) -> None:
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(str, action.choices))
            message = f"invalid choice: {value!r} (choose from {choices})"
            close = difflib.get_close_matches(str(value), [str(c) for c in action.choices], n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
            raise argparse.ArgumentError(action, message)

    def unrecognized(self, extras: list[str]) -> None:
        """Report arguments this (sub)command does not know, suggesting the closest option."""
        known = [option for action in self._actions for option in action.option_strings]
        message = f"unrecognized arguments: {' '.join(extras)}"
        for extra in extras:
            if extra.startswith("-"):
                close = difflib.get_close_matches(extra.split("=", 1)[0], known, n=1, cutoff=0.6)
                if close:
                    message += f" (did you mean {close[0]}?)"
                    break
        self.error(message)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _z_max(text: str) -> int:
    value = _positive(text)
    if value > VERIFY_Z_MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"expected an integer in 1..{VERIFY_Z_MAX_LIMIT}, got {value}")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _add_spec_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model (defaults: the notes' worked example)")
    group.add_argument("--cell", choices=("rnn", "lstm", "gru"), default="rnn", help="cell kind")
    group.add_argument("--z", type=_positive, default=2, help="sequence length")
    group.add_argument("--e", type=_non_negative, default=2, help="input size; 0 is the autonomous system")
    group.add_argument("--n", type=_positive, default=2, help="state size")
    group.add_argument("--m", type=_positive, default=1, help="output size")
    group.add_argument("--activation", choices=ACTIVATIONS, default="tanh", help="activation f of the state")
    group.add_argument(
        "--loss", choices=("sse", "ce"), default="sse", help="sse: ½‖ŷ_t − y_t‖²; ce: softmax cross-entropy"
    )
    group.add_argument("--no-bias", action="store_true", help="drop the biases b and c")
    group.add_argument(
        "--notation",
        choices=("notes", "d2l", "goodfellow"),
        default="notes",
        help="symbols of the lecture notes (s_t, W, U, V) or of a textbook (h_t, W_xh, ...)",
    )


def _add_output_option(
    parser: argparse.ArgumentParser, metavar: str = "FILE", what: str = "the result"
) -> None:
    parser.add_argument(
        "-o", "--output", metavar=metavar, help=f"write {what} to {metavar} ('-': stdout) instead of stdout"
    )


def spec_from_arguments(arguments: argparse.Namespace) -> RNNSpec:
    """The spec named by the command-line options."""
    from .spec import RNNSpec

    return RNNSpec(
        cell=arguments.cell,
        z=arguments.z,
        e=arguments.e,
        n=arguments.n,
        m=arguments.m,
        activation=arguments.activation,
        loss=arguments.loss,
        bias=not arguments.no_bias,
        notation=arguments.notation,
    )


def write_output(text: str, path: str | None) -> str:
    """Write ``text`` to ``path`` (None or ``-``: stdout) with the shared writer; returns its name."""
    return files.write_text(path, text)


def _written(path: str | None) -> str:
    return "" if files.is_stdout(path) else f", written to {path}"


def _check(arguments: argparse.Namespace) -> int:
    from .check import check

    spec = spec_from_arguments(arguments)
    with progress.working("checking every route"):
        report = check(spec)
    errors = report.as_json()["max_rel_error"]
    if arguments.json:
        text = json.dumps(report.as_json())
    else:
        lines = [f"check {report.spec}"]
        lines += [
            f"  {name:26s} {'not run (too large)' if value is None else f'{value:.3e}'}"
            for name, value in errors.items()
        ]
        lines.append("all routes agree" if report.ok else "ROUTES DISAGREE")
        text = "\n".join(lines)
    write_output(text, arguments.output)
    performed = sum(value is not None for value in errors.values())
    verdict = "every route agrees" if report.ok else "the routes DISAGREE"
    progress.summary(f"check: {performed} comparisons, {verdict}{_written(arguments.output)}")
    return EXIT_OK if report.ok else EXIT_FAILED


def _derive(arguments: argparse.Namespace) -> int:
    from .latex.documents import EXPANSION_LIMIT, derive

    spec = spec_from_arguments(arguments)
    if arguments.expand == "all" and spec.z > EXPANSION_LIMIT:
        raise SymRNNError(
            f"--expand all lists every (t, k) term only up to --z {EXPANSION_LIMIT} (got --z "
            f"{spec.z}); use --expand auto or --expand none to keep the sums in Σ form"
        )
    expand = {"auto": None, "all": True, "none": False}[arguments.expand]
    from .latex.output import write_document

    with progress.working("deriving"):
        document = derive(spec, expand=expand)
        write_document(
            document,
            arguments.output,
            format=arguments.format,
            checks=arguments.checks,
            write_text=write_output,
        )
    equations = document.equations
    failed = [equation.label for equation in equations if not equation.check.ok]
    checked = "every one checked" if not failed else f"{len(failed)} checks FAILED: {', '.join(failed)}"
    progress.summary(f"derivation: {len(equations)} equations, {checked}{_written(arguments.output)}")
    return EXIT_OK if not failed else EXIT_FAILED


def _verify(arguments: argparse.Namespace) -> int:
    from .formula.verify import verify

    if arguments.python:
        return _verify_python(arguments)
    if arguments.formula is None:
        raise ValueError(
            "give a FORMULA (or '-' to read it from standard input, or --python FILE.py:FUNCTION)"
        )
    formula = sys.stdin.read() if arguments.formula == "-" else arguments.formula
    z = arguments.z
    pinned = {
        name: getattr(arguments, name) for name in ("e", "n", "m") if getattr(arguments, name) is not None
    }
    for name, default in (("z", 2), ("e", 2), ("n", 2), ("m", 1)):
        if getattr(arguments, name) is None:
            setattr(arguments, name, 2 if name == "m" and arguments.loss == "ce" else default)
    spec = spec_from_arguments(arguments)
    sizes = ((spec.e, spec.n, spec.m),) if pinned else None
    try:
        with progress.working("verifying"):
            verdict = verify(formula, z_max=arguments.z_max, spec=spec, sizes=sizes, z=z)
    except (ValueError, TypeError, SymRNNError):
        raise
    except Exception as error:
        raise SymRNNError(
            f"internal error ({type(error).__name__}: {error}); please report this formula"
        ) from None
    write_output(json.dumps(verdict.as_json()) if arguments.json else verdict.describe(), arguments.output)
    progress.summary(
        f"verify: {verdict.verdict} ({verdict.layout} layout, {verdict.checked} cases checked)"
        f"{_written(arguments.output)}"
    )
    return EXIT_OK if verdict.verdict == "holds" else EXIT_FAILED


def _verify_python(arguments: argparse.Namespace) -> int:
    from .formula.code import load_function, verify_function
    from .spec import RNNSpec

    function = load_function(arguments.python)
    spec = RNNSpec(
        e=arguments.e or 3,
        n=arguments.n or 2,
        m=arguments.m or (2 if arguments.loss == "ce" else 1),
        activation=arguments.activation,
        loss=arguments.loss,
        bias=not arguments.no_bias,
    )
    with progress.working("verifying the function"):
        report = verify_function(function, spec, style=arguments.style, z_max=arguments.z_max)
    write_output(json.dumps(report.as_json()) if arguments.json else report.describe(), arguments.output)
    progress.summary(f"verify --python: {report.verdict}{_written(arguments.output)}")
    return EXIT_OK if report.verdict == "holds" else EXIT_FAILED


def _audit(arguments: argparse.Namespace) -> int:
    from .formula.notes import audit

    with progress.working("auditing the notes"):
        entries = audit()
    if arguments.json:
        text = json.dumps([entry.as_json() for entry in entries], indent=1)
    else:
        text = "\n".join(entry.describe() for entry in entries)
    write_output(text, arguments.output)
    holding = sum(entry.verdict == "holds" for entry in entries)
    progress.summary(
        f"audit: {len(entries)} items of the notes, {holding} hold as written, "
        f"{len(entries) - holding} do not{_written(arguments.output)}"
    )
    return EXIT_OK if holding == len(entries) else EXIT_FAILED


def _codegen(arguments: argparse.Namespace) -> int:
    from .numeric.codegen import generate_module

    spec = spec_from_arguments(arguments)
    with progress.working("generating code"):
        source = generate_module(spec, backend=arguments.backend)
    write_output(source, arguments.output)
    progress.summary(
        f"codegen: NumPy module for z = {spec.z}, n = {spec.n} ({source.count(chr(10)) + 1} lines)"
        f"{_written(arguments.output)}"
    )
    return EXIT_OK


PLOT_SUFFIXES = (".png", ".pdf")


def _plot_paths(paths: list[str] | None) -> list[str]:
    """Check each -o plot file before any work: a .png or .pdf suffix (or '-': PNG on stdout), a writable place."""
    for path in paths or []:
        if files.is_stdout(path):
            continue
        if not path.lower().endswith(PLOT_SUFFIXES):
            raise ValueError(f"-o must name a .png or .pdf file (or '-' for PNG on stdout), got {path}")
        files.check_writable(path)
    return list(paths or [])


def _write_plots(paths: list[str], draw: Callable[[list[str]], object]) -> object:
    """Draw into temporary files, then write each through the shared writer (stdout, symlinks, umask)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="symrnn-plot-") as directory:
        drawn = [
            os.path.join(
                directory, f"plot{k}" + (".png" if files.is_stdout(path) else os.path.splitext(path)[1])
            )
            for k, path in enumerate(paths)
        ]
        result = draw(drawn)
        for path, temporary in zip(paths, drawn):
            with open(temporary, "rb") as stream:
                files.write_bytes(path, stream.read())
    return result


def _gradflow(arguments: argparse.Namespace) -> int:
    import itertools

    from .gradflow import DEFAULT_CONFIGURATIONS, FlowConfiguration, gradflow

    plots = _plot_paths(arguments.output)
    if arguments.activation or arguments.init:
        configurations = [
            FlowConfiguration("rnn", a, i, arguments.scale)
            for a, i in itertools.product(arguments.activation or ["tanh"], arguments.init or ["normal"])
        ]
        configurations += [
            FlowConfiguration(cell, "tanh", "pytorch", forget_bias=arguments.forget_bias)
            for cell in arguments.cell or []
        ]
    elif arguments.cell:
        configurations = [c for c in DEFAULT_CONFIGURATIONS if c.cell in arguments.cell]
    else:
        configurations = list(DEFAULT_CONFIGURATIONS)
    with progress.working("measuring gradient flow"):
        report = _write_plots(
            plots,
            lambda drawn: gradflow(
                configurations,
                n=arguments.n,
                lag=arguments.z,
                samples=arguments.samples,
                seed=arguments.seed,
                truncation=arguments.truncation,
                output=drawn,
            ),
        )
    if arguments.csv is not None:
        write_output(report.csv(), arguments.csv)
    if any(files.is_stdout(path) for path in plots):
        pass  # the plot went to stdout: no table mixed into the image
    elif arguments.json:
        print(json.dumps(report.as_json()))
    else:
        print(report.table())
    written = "".join(f", plot written to {path}" for path in plots if not files.is_stdout(path))
    progress.summary(f"gradflow: {len(configurations)} configurations, n = {arguments.n}{written}")
    return EXIT_OK


def _train(arguments: argparse.Namespace) -> int:
    from .train import DEFAULT_TRAIN_CONFIGURATIONS, train

    configurations = list(DEFAULT_TRAIN_CONFIGURATIONS)
    if arguments.config:
        known = {c.name: c for c in configurations}
        unknown = [name for name in arguments.config if name not in known]
        if unknown:
            raise ValueError(
                f"unknown --config {', '.join(map(repr, unknown))}; choose from {', '.join(map(repr, known))}"
            )
        configurations = [known[name] for name in arguments.config]
    plots = _plot_paths(arguments.output)

    def report_run(run) -> None:
        if not arguments.json:
            print(f"  {run.configuration.name}, T = {run.length}: {run.status}", file=sys.stderr, flush=True)

    report = _write_plots(
        plots,
        lambda drawn: train(
            configurations,
            task=arguments.task,
            lengths=arguments.length,
            steps=arguments.steps,
            batch=arguments.batch,
            hidden=arguments.hidden,
            optimiser=arguments.optimiser,
            learning_rate=arguments.lr,
            seed=arguments.seed,
            quick=arguments.quick,
            output=drawn,
            progress=report_run,
        ),
    )
    if not any(files.is_stdout(path) for path in plots):
        print(json.dumps(report.as_json()) if arguments.json else report.table())
    progress.summary(f"train: {len(configurations)} configurations on the {arguments.task} task")
    return EXIT_OK


COMMANDS = ("check", "derive", "verify", "audit", "codegen", "gradflow")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    version = f"symrnn {__version__}"
    parser = _Parser(
        prog="symrnn",
        description="Machine-checked backpropagation through time for RNNs.",
        epilog=_epilog("success", "a check, verdict or audit item failed (see each command)"),
    )
    parser.add_argument("--version", action="version", version=version)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar and no summary line on stderr (errors are still reported)",
    )
    common.add_argument("--version", action="version", version=version)

    def command(name: str, handler: Callable, help_text: str, epilog: str, spec: bool = True) -> _Parser:
        sub = commands.add_parser(
            name, help=help_text, description=help_text, epilog=epilog, parents=[common]
        )
        sub.set_defaults(handler=handler)
        if spec:
            _add_spec_options(sub)
        return sub

    sub = command(
        "check",
        _check,
        "compare structured vs brute-force vs compiled vs reference vs finite differences",
        _epilog("every route agrees", "some route disagrees"),
    )
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    _add_output_option(sub, what="the report")
    sub = command(
        "derive",
        _derive,
        "write the derivation document of a model",
        _epilog("every equation's check passed", "some equation's check failed (marked in the document)"),
    )
    sub.add_argument(
        "--format",
        choices=("latex", "markdown", "pdf"),
        default="latex",
        help="latex, markdown, or pdf (runs pdflatex; needs -o FILE.pdf)",
    )
    sub.add_argument(
        "--checks",
        choices=("margin", "table", "inline", "none"),
        default="margin",
        help="how each equation's check appears: a margin mark and one table, the table "
        "only, a line under each equation, or not at all",
    )
    sub.add_argument(
        "--expand",
        choices=("auto", "all", "none"),
        default="auto",
        help="list every (t, k) term: auto (when z <= 6), all, or none (keep Σ/Π)",
    )
    _add_output_option(sub, what="the document")
    sub = command(
        "verify",
        _verify,
        "verdict on a hand-written formula",
        _epilog("the formula holds", "the formula fails, or the verdict is undecided"),
    )
    from .formula.reference import LANGUAGE

    sub.epilog = LANGUAGE + "\n\n" + (sub.epilog or "")
    sub.set_defaults(
        z=None, e=None, n=None, m=None
    )  # given sizes are the only ones checked (--n 1: one neuron)
    sub.add_argument("formula", nargs="?", help="the formula in LaTeX; '-' reads standard input")
    sub.add_argument(
        "--z-max", type=_z_max, default=4, help=f"check sequence lengths 1..N (N <= {VERIFY_Z_MAX_LIMIT})"
    )
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_argument(
        "--python",
        metavar="FILE.py:FUNCTION",
        help="verify a hand-written NumPy BPTT function instead (your file is imported and run)",
    )
    sub.add_argument(
        "--style",
        choices=("symrnn", "minchar", "cs231n"),
        default="symrnn",
        help="calling convention of --python's function (see the README)",
    )
    _add_output_option(sub, what="the verdict")
    sub = command(
        "audit",
        _audit,
        "check every equation of the lecture notes as written",
        _epilog(
            "every item holds as written",
            "some item does not hold as written (the normal result: the notes have slips)",
        ),
        spec=False,
    )
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    _add_output_option(sub, what="the audit")
    sub = command(
        "codegen",
        _codegen,
        "write a standalone NumPy module of the loss and its gradients",
        _epilog("the module was written"),
    )
    sub.add_argument("--backend", choices=("numpy",), default="numpy", help="code generator")
    sub.add_argument(
        "-o", "--output", metavar="FILE.py", required=True, help="the module to write ('-': stdout)"
    )
    sub = command(
        "gradflow",
        _gradflow,
        "vanishing/exploding: ‖∂s_t/∂s_k‖ against t − k (table, plots, CSV)",
        _epilog("the analysis ran"),
        spec=False,
    )
    sub.add_argument(
        "--activation",
        nargs="+",
        choices=("tanh", "sigmoid", "relu", "identity"),
        help="vanilla activations to measure (default: a representative set of configurations)",
    )
    sub.add_argument(
        "--init",
        nargs="+",
        choices=("normal", "scaled", "xavier", "orthogonal", "identity"),
        help="how the vanilla U is drawn: N(0, scale²), N(0,1/n), Xavier, orthogonal, identity",
    )
    sub.add_argument(
        "--cell",
        nargs="+",
        choices=("rnn", "lstm", "gru"),
        help="cells to measure (lstm and gru need the engine)",
    )
    sub.add_argument("--scale", type=float, default=1.0, help="std. deviation for --init normal (default 1)")
    sub.add_argument("--forget-bias", type=float, default=1.0, help="LSTM forget-gate bias (default 1)")
    sub.add_argument("--n", type=_positive, default=8, help="state size (default 8)")
    sub.add_argument("--z", type=_positive, default=60, help="largest t − k (default 60)")
    sub.add_argument("--samples", type=_positive, default=16, help="random draws (default 16)")
    sub.add_argument("--seed", type=int, default=0, help="seed of the random draws")
    sub.add_argument(
        "--truncation",
        action="store_true",
        help="also plot the relative truncation error of truncated BPTT against τ (z = 12)",
    )
    sub.add_argument(
        "-o",
        "--output",
        metavar="FILE.png",
        action="append",
        help="also write a plot (.png or .pdf; '-': PNG on stdout); may be repeated",
    )
    sub.add_argument("--csv", metavar="FILE.csv", help="write the medians, quartiles and bounds as CSV")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    sub = command(
        "train",
        _train,
        "train the notes' remedies with the derived gradients on a long task",
        _epilog("the training ran"),
        spec=False,
    )
    sub.add_argument(
        "--task", choices=("adding", "copy"), default="adding", help="the adding problem or copy memory"
    )
    sub.add_argument(
        "--length",
        type=_positive,
        nargs="+",
        metavar="T",
        help="sequence length(s) T (copy: the delay); default 50, --quick 20",
    )
    sub.add_argument("--config", nargs="+", metavar="NAME", help="configurations by name (default: all)")
    sub.add_argument("--steps", type=_positive, help="training steps (default 3000, --quick 60)")
    sub.add_argument("--batch", type=_positive, help="sequences per step (default 32, --quick 16)")
    sub.add_argument("--hidden", type=_positive, help="state size n (default 32, --quick 16)")
    sub.add_argument("--optimiser", choices=("adam", "sgd"), default="adam", help="the update rule")
    sub.add_argument("--lr", type=float, default=3e-3, help="learning rate (default 0.003)")
    sub.add_argument("--seed", type=int, default=0, help="seed of data and initialisation")
    sub.add_argument("--quick", action="store_true", help="a smoke run in seconds")
    sub.add_argument(
        "-o",
        "--output",
        metavar="FILE.png",
        action="append",
        help="write the learning curves (.png or .pdf); may be repeated",
    )
    sub.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    arguments, extras = parser.parse_known_args(argv)
    if extras:
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        subparsers.choices[arguments.command].unrecognized(extras)
    return arguments


def _error_message(error: BaseException) -> str:
    if isinstance(error, OSError) and not isinstance(error, files.OutputError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())  # one line, whatever the message


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, 1, 2, 130 or 141, listed in every ``--help``)."""
    words = [word for word in (sys.argv[1:] if argv is None else argv) if not word.startswith("-")]
    command = f"symrnn {words[0]}" if words and words[0] in COMMANDS else "symrnn"
    try:
        arguments = _parse(build_parser(), argv)
        command = f"symrnn {arguments.command}"
        progress.set_quiet(arguments.quiet)
        outputs = getattr(arguments, "output", None)
        for path in [outputs] if isinstance(outputs, str) else outputs or []:
            files.check_writable(path)  # before any work: an unwritable -o is exit 2 at once
        code = arguments.handler(arguments)
        _flush_stdout()  # a closed pipe shows here, inside the handlers below
        return code
    except SystemExit:  # --help, --version, usage errors: argparse has printed; flush inside the handlers
        try:
            _flush_stdout()
        except BrokenPipeError:
            _silence_stdout()
            raise SystemExit(EXIT_BROKEN_PIPE) from None
        raise
    except KeyboardInterrupt:
        _stderr_line(f"{command}: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except (ValueError, TypeError, SymRNNError, OSError) as error:
        _stderr_line(f"{command}: error: {_error_message(error)}")
        return EXIT_BAD_INPUT
    except Exception as error:  # a bug of ours: still one line and exit 2, never a traceback
        _stderr_line(f"{command}: error: internal error ({type(error).__name__}: {error}); please report it")
        return EXIT_BAD_INPUT


def _flush_stdout() -> None:
    if sys.stdout is not None:
        sys.stdout.flush()


def _stderr_line(line: str) -> None:
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
