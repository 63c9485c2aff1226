"""The app section of the vocabulary: every text in English and Hindi, the same fields in both,
Hindi written in Devanagari (issue 16, the English/हिन्दी switch)."""

from __future__ import annotations

import re
import string
from datetime import date

import pytest

from roadsafety import vocabulary

DEVANAGARI = re.compile("[\u0900-\u097f]")
# words that stay as they are in Hindi text: product and model names, file types, units, rules
SWITCH = {"app.switch", "app.switch_hint"}  # the way back to English is written in English
KEPT = {"CSV", "Excel", "PDF", "LightGBM", "MoRTH", "GPS", "FIR", "PAI", "PEI", "roadsafety"}


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("key", sorted(vocabulary.APP_TEXTS))
def test_every_app_text_has_both_languages_with_the_same_fields(key: str) -> None:
    texts = vocabulary.APP_TEXTS[key]
    assert set(texts) == set(vocabulary.LANGUAGES)
    assert texts["en"].strip() and texts["hi"].strip()
    assert _fields(texts["en"]) == _fields(texts["hi"])


def test_hindi_texts_are_hindi() -> None:
    english_left = []
    for key, texts in vocabulary.APP_TEXTS.items():
        hi = re.sub(r"\{[^}]*\}|`[^`]*`|%\{[^}]*\}", "", texts["hi"])
        words = {w for w in re.findall(r"[A-Za-z]{3,}", hi) if w not in KEPT}
        only_fields = not re.search(r"[^\W\d_]", hi)
        if key in SWITCH or only_fields:
            continue
        if words or not DEVANAGARI.search(hi):
            english_left.append((key, words))
    assert english_left == []


def test_labels_drivers_and_dates_have_hindi() -> None:
    for table in (vocabulary.LABELS, vocabulary.DRIVER_LABELS):
        assert all(set(v) == set(vocabulary.LANGUAGES) for v in table.values())
    assert vocabulary.drivers_label("fog season; Diwali", "hi") == "कोहरे का मौसम; दिवाली"
    assert vocabulary.date_label(date(2026, 11, 30), "hi", weekday=True) == "सोम 30 नव"
    assert vocabulary.text("ctl.next_days", "hi", days=7) == "अगले 7 दिन"
    with pytest.raises(KeyError):
        vocabulary.text("no.such.key", "en")


def test_band_explanation_follows_the_band_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "top 1% are Very high, the next 4% High, the next 15% Medium" in (
        vocabulary.band_explanation("en")
    )
    monkeypatch.setattr(
        vocabulary, "BAND_SHARES", ((0.02, "very_high"), (0.1, "high"), (0.3, "medium"))
    )
    assert "top 2% are Very high, the next 8% High, the next 20% Medium" in (
        vocabulary.band_explanation("en")
    )
    assert "बहुत अधिक" in vocabulary.band_explanation("hi")
