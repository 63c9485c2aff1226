"""The product's words: every key has English and Hindi, and every layer uses the same bands."""

from __future__ import annotations

import itertools
import re

import polars as pl
import pytest

from roadsafety import schemas, vocabulary
from roadsafety.vocabulary import (
    BAND_COLOURS,
    BAND_KEYS,
    BAND_ORDER,
    BAND_SHARES,
    LANGUAGES,
    VOCABULARIES,
    day_label,
    label,
    labels,
    window_label,
)

DEVANAGARI = re.compile(r"[\u0900-\u097F]")
EVERY_KEY = sorted({key for keys in VOCABULARIES.values() for key in keys})


@pytest.mark.parametrize("key", EVERY_KEY)
def test_every_key_has_an_english_and_a_hindi_label(key: str) -> None:
    english, hindi = label(key, "en"), label(key, "hi")
    assert english and english.isascii() and (english != key or key == vocabulary.DAILY)
    assert DEVANAGARI.search(hindi) and not re.search("[A-Za-z]", hindi), hindi
    assert set(vocabulary.LABELS[key]) == set(LANGUAGES)


def test_every_stored_offence_severity_and_band_is_in_the_vocabulary() -> None:
    assert set(VOCABULARIES["offence"]) == set(schemas.OFFENCES)
    assert set(schemas.SEVERITIES) <= set(VOCABULARIES["severity"])
    assert list(labels("band")) == list(BAND_KEYS)
    assert labels("band", "hi") == {
        "very_high": "बहुत अधिक",
        "high": "अधिक",
        "medium": "मध्यम",
        "low": "कम",
    }


def test_bands_are_ordered_coloured_and_cut_consistently() -> None:
    assert sorted(BAND_ORDER, key=BAND_ORDER.get, reverse=True) == list(BAND_KEYS)
    assert set(BAND_COLOURS) == set(BAND_KEYS) == set(vocabulary.BAND_TEXT_COLOURS)
    assert len(set(BAND_COLOURS.values())) == len(BAND_KEYS)
    shares = [q for q, _ in BAND_SHARES]
    assert shares == sorted(shares) and 0 < shares[0] and shares[-1] < 1
    assert [b for _, b in BAND_SHARES] == list(BAND_KEYS[:-1])  # the rest is the last band


def test_unknown_key_and_language_are_refused_or_defaulted() -> None:
    with pytest.raises(KeyError, match="bogus"):
        label("bogus")
    assert label("bogus", "hi", default="bogus") == "bogus"
    with pytest.raises(ValueError, match="fr"):
        label("high", "fr")
    with pytest.raises(ValueError, match="fr"):
        window_label("daily 00:00-03:00", "fr")


def test_days_in_both_languages() -> None:
    assert [day_label(d) for d in range(7)] == list(vocabulary.DAYS)
    assert [day_label(d, "hi") for d in range(7)] == [
        "सोम",
        "मंगल",
        "बुध",
        "गुरु",
        "शुक्र",
        "शनि",
        "रवि",
    ]
    assert day_label(6, "hi", full=True) == "रविवार" and day_label(0, full=True) == "Monday"


def test_window_labels_translate_only_the_day_words() -> None:
    assert window_label("Fri-Sun 22:00-02:00", "hi") == "शुक्र-रवि 22:00-02:00"
    assert window_label("Mon,Wed 08:00-10:00; daily 18:00-21:00", "hi") == (
        "सोम,बुध 08:00-10:00; रोज़ाना 18:00-21:00"
    )
    from roadsafety.models.profile import format_window

    for days in itertools.combinations(range(7), 3):
        text = format_window(list(days), 22, 3)
        assert window_label(text, "en") == text
        assert not re.search("[A-Za-z]", window_label(text, "hi")), text


def test_app_and_exports_share_the_vocabulary_palette_and_labels() -> None:
    from dash_app import figures
    from roadsafety.exports import pdf, pdf_map

    for band, colour in BAND_COLOURS.items():
        assert "#" + pdf_map.BAND_COLOURS[band].hexval()[2:].lower() == colour
        assert figures.BAND_COLORS[band] == colour
        assert f".band-{band} {{ background: {colour};" in figures.band_css()
        assert pdf.BAND_LABELS[band] == figures.BAND_LABELS[band] == label(band)
    assert "Very high" in figures.BAND_FORMATTER["function"]


# --- bands as thresholds, plurals, lakh and crore, sheet words (issue 16) -------------------------


def test_band_cuts_give_bands_that_never_rise_down_a_ranking() -> None:
    values = pl.Series([float(v % 37) for v in range(500)])
    cuts = vocabulary.band_cuts(values, vocabulary.band_counts(values.len()))
    ranked = pl.DataFrame({"v": values}).sort("v", descending=True)
    bands = ranked.select(vocabulary.band_of(pl.col("v"), cuts).alias("b"))["b"]
    levels = bands.replace_strict(BAND_ORDER).to_list()
    assert levels == sorted(levels, reverse=True)
    assert bands[0] == "very_high" and bands[-1] == "low"
    assert vocabulary.band_counts(197) == {"very_high": 2, "high": 10, "medium": 39, "low": 197}
    assert vocabulary.band_counts(0) == {"very_high": 0, "high": 0, "medium": 0, "low": 0}


def test_a_value_of_zero_is_low_even_when_the_cut_is_zero() -> None:
    cuts = vocabulary.band_cuts(pl.Series([0.0] * 10), vocabulary.band_counts(10))
    out = pl.DataFrame({"v": [0.0, None]}).select(vocabulary.band_of(pl.col("v"), cuts))
    assert out.to_series().to_list() == ["low", "low"]


@pytest.mark.parametrize(
    ("n", "word", "text"),
    [(1, "day", "1 day"), (0, "day", "0 days"), (2, "death", "2 deaths"), (1, "death", "1 death")]
    + [(1, "crash", "1 crash"), (1250, "crash", "1,250 crashes"), (1, "challan", "1 challan")],
)
def test_plural(n: int, word: str, text: str) -> None:
    assert vocabulary.plural(n, word) == text


def test_plural_expr_on_a_column() -> None:
    frame = pl.DataFrame({"n": [0, 1, 2]}).select(vocabulary.plural_expr(pl.col("n"), "day"))
    assert frame.to_series().to_list() == ["0 days", "1 day", "2 days"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(5_200_000, "52 lakh"), (12_500_000, "1.25 crore"), (150_000, "1.5 lakh")]
    + [(85_000, "85,000"), (100_000, "1 lakh"), (-3_000_000, "-30 lakh")],
)
def test_lakh_crore(value: float, text: str) -> None:
    assert vocabulary.lakh_crore(value) == text


def test_indian_grouping_and_hindi_scale_words() -> None:
    assert vocabulary.indian_number(5_200_000) == "52,00,000"
    assert vocabulary.indian_number(123_456.78, 1) == "1,23,456.8"
    assert vocabulary.indian_number(999) == "999"
    assert vocabulary.lakh_crore(52_00_000, "hi") == "52 लाख"
    assert vocabulary.lakh_crore(2_00_00_000, "hi") == "2 करोड़"


def test_every_sheet_word_and_band_meaning_has_english_and_hindi() -> None:
    for key, texts in {**vocabulary.SHEET_TEXT, **vocabulary.BAND_MEANINGS}.items():
        assert set(texts) == set(LANGUAGES), key
        assert texts["en"].isascii(), key
        assert DEVANAGARI.search(texts["hi"]) or key == "col_rank", key
        fields = {re.findall(r"{(\w+)}", texts[lang]).__len__() for lang in LANGUAGES}
        assert len(fields) == 1, key  # the same placeholders in both languages
    assert set(vocabulary.BAND_RULE) == set(LANGUAGES)
