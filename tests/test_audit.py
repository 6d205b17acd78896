"""Tests of the notes audit: wrong equations flagged with explanations and corrected forms that hold."""

from __future__ import annotations

import json

import pytest

from symrnn import cli
from symrnn.formula import notes
from symrnn.formula.notes import NOTES, AuditEntry, audit

WRONG = (
    "IX",
    "[SIGMOID FORM]",
    "J(theta)",
    "(3)",
    "(8)",
    "(12) (i)",
    "(13)",
    "(16)",
    "[23]",
    "[26] (ii)",
    "ReLU",
)
RIGHT = (
    "(A)",
    "(B)",
    "f' = 1 - f^2",
    "update s(t)",
    "update y(t)",
    "(1)",
    "(2)",
    "(5)",
    "(6)",
    "(7)",
    "(7), k = 2",
    "(9)",
    "(10)",
    "(11)",
    "(12) (ii)",
    "(12)",
    "(14)",
    "(15)",
    "(17)",
    "[18]",
    "[19]",
    "[20]",
    "[22]",
    "u (i)",
    "[24]",
    "[25]",
    "[26]",
    "[27]",
    "[26] (i)",
    "[28]",
    "[29]",
)
NOT_CLAIMS = ("[17]", "[21]")


@pytest.fixture(scope="module")
def entries() -> dict[str, AuditEntry]:
    found = audit()
    return {entry.number: entry for entry in found}


def test_every_item_is_classified() -> None:
    numbers = [item.number for item in NOTES]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == set(WRONG) | set(RIGHT) | set(NOT_CLAIMS)


@pytest.mark.parametrize("number", WRONG)
def test_wrong_items_are_flagged_explained_and_corrected(entries, number: str) -> None:
    entry = entries[number]
    assert entry.verdict == "fails", entry.describe()
    assert entry.diagnosis and len(entry.diagnosis) > 20
    assert entry.corrected and entry.corrected_verdict == "holds", entry.describe()


@pytest.mark.parametrize("number", RIGHT)
def test_right_items_hold(entries, number: str) -> None:
    entry = entries[number]
    assert entry.verdict == "holds", entry.describe()
    if entry.corrected:
        assert entry.corrected_verdict == "holds"


@pytest.mark.parametrize("number", NOT_CLAIMS)
def test_bare_terms_are_undecided_with_a_reason(entries, number: str) -> None:
    assert entries[number].verdict == "undecided" and "not a claim" in entries[number].diagnosis


@pytest.mark.parametrize(
    "number, words",
    [
        ("(8)", ("J_2", "k = 2", "three slips")),
        ("[26] (ii)", ("0.6827", "erf")),
        ("[26] (i)", ("(0, 1]",)),
        ("[29]", ("PyTorch", "0 and 1")),
        ("ReLU", ("0.5^10",)),
        ("J(theta)", ("J_0",)),
        ("(12) (i)", ("|ds_t/dV| = 0",)),
        ("[22]", ("convention",)),
    ],
)
def test_diagnoses_give_the_reason_with_numbers(entries, number: str, words: tuple[str, ...]) -> None:
    for word in words:
        assert word in entries[number].diagnosis, entries[number].diagnosis


def test_labels_are_as_printed(entries) -> None:
    for number in ("(A)", "(8)", "[27]", "(17)", "[17]"):
        assert number in entries


def test_audit_json_shape(entries, monkeypatch, capsys) -> None:
    monkeypatch.setattr(notes, "audit", lambda: list(entries.values()))
    code = cli.main(["audit", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 1
    assert len(payload) == len(entries)
    for row in payload:
        assert {"number", "as_written", "verdict", "diagnosis", "corrected"} <= set(row)
        assert row["verdict"] in ("holds", "fails", "undecided")


def test_audit_text_has_one_line_per_item(entries, monkeypatch, capsys) -> None:
    monkeypatch.setattr(notes, "audit", lambda: list(entries.values()))
    cli.main(["audit"])
    text = capsys.readouterr().out
    for number in entries:
        assert any(line.startswith(number) for line in text.splitlines())


def test_claim_verdicts_are_computed_not_written() -> None:
    import inspect

    from symrnn.formula import claims

    source = inspect.getsource(claims)
    assert 'ClaimResult("fails"' not in source and 'ClaimResult("holds"' not in source


def test_audit_text_shows_each_equation_as_written(entries, monkeypatch, capsys) -> None:
    monkeypatch.setattr(notes, "audit", lambda: list(entries.values()))
    cli.main(["audit"])
    text = capsys.readouterr().out
    assert sum(line.strip().startswith("as written:") for line in text.splitlines()) == len(entries)
    assert "corrected (holds):" in text
