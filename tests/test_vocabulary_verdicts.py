"""Drive verdicts in the reader's language: every verdict the evaluation can write has Hindi words."""

from __future__ import annotations

import re

import pytest

from roadsafety.models import drive_effect
from roadsafety.models.drive_effect import StudyOptions, verdict
from roadsafety.vocabulary import VERDICT_LABELS, verdict_label

LATIN = re.compile(r"[A-Za-z]")


def _row(**kw: object) -> dict:
    base = {
        "after_days": 365,
        "before_days": 365,
        "ci_low_pct": -10.0,
        "ci_high_pct": 10.0,
        "crashes_after": 50,
        "expected_after_without_drive": 50.0,
    }
    return base | kw


@pytest.mark.parametrize(
    "row",
    [
        _row(ci_low_pct=-50.0, ci_high_pct=-20.0),
        _row(ci_low_pct=20.0, ci_high_pct=50.0),
        _row(),
        _row(crashes_after=1, expected_after_without_drive=1.0),
        _row(after_days=1),
        _row(after_days=40),
        _row(before_days=10),
    ],
)
def test_every_verdict_the_evaluation_writes_reads_in_hindi(row: dict) -> None:
    english = verdict(row, StudyOptions())
    hindi = verdict_label(english, "hi")
    assert hindi and not LATIN.search(hindi), (english, hindi)
    assert verdict_label(english, "en") == english
    assert all(d in hindi for d in re.findall(r"\d+", english))  # the day counts survive


def test_the_fixed_verdicts_are_all_labelled() -> None:
    fixed = {drive_effect.FELL, drive_effect.ROSE, drive_effect.NO_CHANGE, drive_effect.FEW}
    assert fixed == set(VERDICT_LABELS)


def test_unknown_text_is_shown_as_it_is() -> None:
    assert verdict_label("something new", "hi") == "something new"
    assert verdict_label(None, "hi") == ""
