"""The examples people copy run as shipped: both scripts and the notebook, top to bottom."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PROCESS_TIMEOUT = 300.0  # seconds: a hang guard only
LOSS_REDUCTION = 2.0  # the toy task's held-out loss must drop at least this many times


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")])
    return environment


def _run(script: str, *arguments: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_environment(),
        timeout=PROCESS_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_verify_formulas_script(tmp_path: Path) -> None:
    lines = _run("verify_formulas.py", cwd=tmp_path).splitlines()
    assert lines[0] == "dJ/dV as a sum over time: holds"
    assert lines[1] == "dJ_t/dW with k up to t-1: fails"
    assert "the k = t term is missing" in lines[2]


def test_train_toy_script_reduces_the_loss(tmp_path: Path) -> None:
    words = _run("train_toy.py", "--steps", "100", cwd=tmp_path).split()
    before, after = float(words[2].rstrip(",")), float(words[4])
    assert after * LOSS_REDUCTION < before


def test_the_notebook_runs_top_to_bottom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", _environment()["PYTHONPATH"])
    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "commit the notebook without outputs"
    )
    nbclient.NotebookClient(
        notebook,
        timeout=int(PROCESS_TIMEOUT),
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    rich = [output["data"] for output in outputs if output.output_type == "execute_result"]
    assert any("text/markdown" in data and "**holds**" in data["text/markdown"] for data in rich)
    assert any("<CheckReport ok=True" in data.get("text/plain", "") for data in rich)
