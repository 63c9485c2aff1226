"""The product's words, once: risk bands, days, offences, severities and sentinels, in English and Hindi.

Every layer (models, forecasts, exports, the app) takes its keys, thresholds, colours and labels from
here, so a band is never spelt, coloured or cut differently in two places.

- Keys are what the warehouse stores (``risk_band = 'very_high'``, ``offence = 'no_helmet'``);
  labels are what people read. :func:`label` gives a key's label in a language of
  :data:`LANGUAGES` (``en``, ``hi``).
- Bands (riskiest first, :data:`BAND_KEYS`): a forecast run ranks its places by expected crashes
  and gives the top 1% ``very_high``, the next up to 5% ``high``, the next up to 20% ``medium`` and
  the rest ``low`` (:data:`BAND_SHARES`). A band is a threshold on the ranked value
  (:func:`band_cuts`, :func:`band_of`): any list sorted by that value never shows a row in a higher
  band than a row above it, a corridor's band is that of its summed value, and :data:`BAND_MEANINGS`
  says so in words. One colour each (:data:`BAND_COLOURS`, light text on the two darkest:
  :data:`BAND_TEXT_COLOURS`) for the map, the grids, the PDF and the legends.
- Days: DESIGN.md's peak-window format writes English three-letter days (:data:`DAYS`, Monday
  first, index = ``dow``); :func:`day_label` and :func:`window_label` render them in a language.
- :data:`PLAN_PAGE_LABELS`: the words of the app's "Plan a drive" page (group ``plan_page``).
- :data:`ALL` (``'(all)'``) names the whole region where a district is expected (period forecasts,
  hour-of-week priors, app filters); :data:`UNKNOWN` a record without a district.

Hindi is written for Haryana's traffic police: the words officers use on challans and in FIRs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import polars as pl

from roadsafety.schemas import OFFENCES, SEVERITIES

LANGUAGES = ("en", "hi")

ALL = "(all)"
UNKNOWN = "(unknown)"

BAND_KEYS = ("very_high", "high", "medium", "low")
BAND_ORDER = {band: i for i, band in enumerate(reversed(BAND_KEYS))}  # low 0 .. very_high 3
HIGH_BANDS = BAND_KEYS[:2]
BAND_SHARES = ((0.01, "very_high"), (0.05, "high"), (0.20, "medium"))  # cumulative top shares
BAND_COLOURS = {"very_high": "#a50026", "high": "#f46d43", "medium": "#fdc03b", "low": "#74add1"}
BAND_TEXT_COLOURS = {
    "very_high": "#ffffff",
    "high": "#ffffff",
    "medium": "#1f2933",
    "low": "#1f2933",
}

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAILY = "daily"

LABELS: dict[str, dict[str, str]] = {
    # risk bands
    "very_high": {"en": "Very high", "hi": "बहुत अधिक"},
    "high": {"en": "High", "hi": "अधिक"},
    "medium": {"en": "Medium", "hi": "मध्यम"},
    "low": {"en": "Low", "hi": "कम"},
    # severities (schemas.SEVERITIES) and the fatal + grievous ranking key
    "fatal": {"en": "Fatal", "hi": "घातक"},
    "grievous": {"en": "Grievous injury", "hi": "गंभीर चोट"},
    "minor": {"en": "Minor injury", "hi": "साधारण चोट"},
    "non_injury": {"en": "No injury", "hi": "कोई चोट नहीं"},
    "fatal_grievous": {"en": "Fatal or grievous", "hi": "घातक या गंभीर"},
    # offences (schemas.OFFENCES)
    "overspeeding": {"en": "Overspeeding", "hi": "तेज़ रफ़्तार"},
    "drunk_driving": {"en": "Drunk driving", "hi": "शराब पीकर वाहन चलाना"},
    "red_light": {"en": "Red-light jumping", "hi": "लाल बत्ती पार करना"},
    "no_helmet": {"en": "No helmet", "hi": "बिना हेलमेट"},
    "no_seatbelt": {"en": "No seat belt", "hi": "बिना सीट बेल्ट"},
    "wrong_side": {"en": "Wrong-side driving", "hi": "गलत दिशा में वाहन चलाना"},
    "mobile_phone": {"en": "Mobile phone while driving", "hi": "वाहन चलाते समय मोबाइल फ़ोन"},
    "overloading": {"en": "Overloading", "hi": "ओवरलोडिंग"},
    "lane_violation": {"en": "Lane violation", "hi": "लेन उल्लंघन"},
    "dangerous_driving": {"en": "Dangerous driving", "hi": "ख़तरनाक ढंग से वाहन चलाना"},
    "no_documents": {"en": "No documents", "hi": "बिना दस्तावेज़"},
    "other": {"en": "Other", "hi": "अन्य"},
    # sentinels and window words
    ALL: {"en": "All districts", "hi": "सभी ज़िले"},
    UNKNOWN: {"en": "District not recorded", "hi": "ज़िला दर्ज नहीं"},
    DAILY: {"en": "daily", "hi": "रोज़ाना"},
}
DAY_LABELS: dict[str, tuple[str, ...]] = {
    "en": DAYS,
    "hi": ("सोम", "मंगल", "बुध", "गुरु", "शुक्र", "शनि", "रवि"),
}
DAY_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "hi": ("सोमवार", "मंगलवार", "बुधवार", "गुरुवार", "शुक्रवार", "शनिवार", "रविवार"),
}
# --- the app's "Plan a drive" page (dash_app/pages/plan.py) ----------------------------------------
# Page words, control labels and grid headers; sentences take their numbers as {0}, {1}, ...
PLAN_PAGE_LABELS: dict[str, dict[str, str]] = {
    "plan_title": {"en": "Plan a drive", "hi": "अभियान की योजना"},
    "plan_subtitle": {
        "en": "Where and when to put the teams each week, within a budget of team-hours.",
        "hi": "हर सप्ताह टीमें कहाँ और कब लगाएँ, टीम-घंटों के बजट के भीतर।",
    },
    "plan_team_hours": {"en": "Team-hours a week", "hi": "प्रति सप्ताह टीम-घंटे"},
    "plan_shift_hours": {"en": "Shift length (hours)", "hi": "पाली की अवधि (घंटे)"},
    "plan_objective": {"en": "Aim at", "hi": "लक्ष्य"},
    "plan_all_crashes": {"en": "All crashes", "hi": "सभी दुर्घटनाएँ"},
    "plan_dates": {"en": "Dates", "hi": "तारीख़ें"},
    "plan_police_station": {"en": "Police station", "hi": "थाना"},
    "plan_all_stations": {"en": "All police stations", "hi": "सभी थाने"},
    "plan_col_when": {"en": "When", "hi": "कब"},
    "plan_col_road": {"en": "Road / km", "hi": "सड़क / किमी"},
    "plan_col_where": {"en": "Where", "hi": "कहाँ"},
    "plan_col_district": {"en": "District", "hi": "ज़िला"},
    "plan_col_team_hours": {"en": "Team-hours a week", "hi": "टीम-घंटे प्रति सप्ताह"},
    "plan_col_crashes": {"en": "Crashes covered (expected)", "hi": "कवर दुर्घटनाएँ (अपेक्षित)"},
    "plan_col_fatal_grievous": {
        "en": "Fatal or grievous covered (expected)",
        "hi": "कवर घातक या गंभीर (अपेक्षित)",
    },
    "plan_col_why": {"en": "Why", "hi": "क्यों"},
    "plan_download_pdf": {"en": "Download duty sheets (PDF)", "hi": "ड्यूटी पत्रक डाउनलोड (पीडीएफ़)"},
    "plan_analysts_only": {
        "en": "Planning drives is for analysts and admins. Ask your district's analyst for a plan.",
        "hi": "अभियान की योजना केवल विश्लेषक और प्रशासक बनाते हैं। अपने ज़िले के विश्लेषक से योजना माँगें।",
    },
    "plan_other_district": {
        "en": "You can plan drives for {0} only.",
        "hi": "आप केवल {0} के लिए अभियान की योजना बना सकते हैं।",
    },
    "plan_budget_used": {
        "en": "Budget used: {0} of {1} team-hours a week; {2} places.",
        "hi": "उपयोग किया गया बजट: {1} में से {0} टीम-घंटे प्रति सप्ताह; {2} स्थान।",
    },
    "plan_covered": {
        "en": "Expected {0} covered: {1} a week ({2} over the {3} days).",
        "hi": "कवर होने वाली अपेक्षित {0}: {1} प्रति सप्ताह ({3} दिनों में {2})।",
    },
    "plan_word_crashes": {"en": "crashes", "hi": "दुर्घटनाएँ"},
    "plan_word_fatal_grievous": {"en": "fatal or grievous crashes", "hi": "घातक या गंभीर दुर्घटनाएँ"},
    "plan_legend": {
        "en": "Colour: expected crashes covered over the plan's dates",
        "hi": "रंग: योजना की तारीख़ों में कवर होने वाली अपेक्षित दुर्घटनाएँ",
    },
}
LABELS.update(PLAN_PAGE_LABELS)

VOCABULARIES = {
    "band": BAND_KEYS,
    "severity": (*SEVERITIES, "fatal_grievous"),
    "offence": OFFENCES,
    "sentinel": (ALL, UNKNOWN, DAILY),
    "plan_page": tuple(PLAN_PAGE_LABELS),
}
_DAY_TOKEN = re.compile("|".join(DAYS))


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")


def label(key: str, lang: str = "en", *, default: str | None = None) -> str:
    """A key's label in ``lang``.

    Args:
        key: a band, severity, offence or sentinel key (see :data:`VOCABULARIES`).
        lang: ``en`` or ``hi``.
        default: returned for a key the vocabulary does not know (else :class:`KeyError`).

    Raises:
        KeyError: for an unknown key without a ``default``.
        ValueError: for an unknown language.
    """
    _check_language(lang)
    if key not in LABELS:
        if default is not None:
            return default
        raise KeyError(f"no label for {key!r} in the vocabulary")
    return LABELS[key][lang]


def labels(group: str, lang: str = "en") -> dict[str, str]:
    """Key → label for one vocabulary (``band``, ``severity``, ``offence``, ``sentinel``), in order."""
    return {key: label(key, lang) for key in VOCABULARIES[group]}


def day_label(dow: int, lang: str = "en", *, full: bool = False) -> str:
    """The day ``dow`` (0 = Monday) as a short (``Mon``/``सोम``) or full name."""
    _check_language(lang)
    return (DAY_NAMES if full else DAY_LABELS)[lang][dow]


def window_label(text: str, lang: str = "en") -> str:
    """A peak-window text (DESIGN.md format, English days) with its day words in ``lang``.

    Example: ``window_label('Fri-Sun 22:00-02:00', 'hi')`` → ``'शुक्र-रवि 22:00-02:00'``.
    """
    _check_language(lang)
    days = DAY_LABELS[lang]
    text = text.replace(DAILY, label(DAILY, lang))
    return _DAY_TOKEN.sub(lambda m: days[DAYS.index(m.group(0))], text)


# --- band cut points: bands are thresholds on the ranked value (issue 16, item 3) -----------------

BAND_MEANINGS: dict[str, dict[str, str]] = {
    "very_high": {
        "en": "Very high: among the top 1% of places by expected crashes in the forecast period",
        "hi": "बहुत अधिक: पूर्वानुमान अवधि में अनुमानित दुर्घटनाओं के अनुसार शीर्ष 1% स्थानों में",
    },
    "high": {
        "en": "High: the rest of the top 5%",
        "hi": "अधिक: शीर्ष 5% के बाकी स्थान",
    },
    "medium": {
        "en": "Medium: the rest of the top 20%",
        "hi": "मध्यम: शीर्ष 20% के बाकी स्थान",
    },
    "low": {
        "en": "Low: the other 80%",
        "hi": "कम: बाकी 80% स्थान",
    },
}
BAND_RULE: dict[str, str] = {
    "en": "A band is a threshold on the list's ranking value, so a row is never in a higher band "
    "than a row above it; a corridor's band is that of its summed value. Whole roads in a station "
    "area get bands among themselves.",
    "hi": "बैंड सूची के क्रम-मान की सीमा है: कोई पंक्ति अपने ऊपर की पंक्ति से ऊँचे बैंड में नहीं होती; "
    "कॉरिडोर का बैंड उसके कुल मान से तय होता है।",
}


def band_counts(n: int) -> dict[str, int]:
    """How many of a run's ``n`` places are in each band or above: the top 1%, 5% and 20%
    (:data:`BAND_SHARES`, rounded half up, at least 1 when there are places); ``low`` holds all."""
    counts = {
        name: min(n, max(1, math.floor(n * share + 0.5))) if n else 0 for share, name in BAND_SHARES
    }
    return {**counts, "low": n}


def band_cuts(values: pl.Series, counts: Mapping[str, int]) -> dict[str, float]:
    """The value a row must reach for each band above ``low``: the ``counts[band]``-th largest of
    ``values`` (nulls ignored; ``inf`` when the band holds nobody).

    Args:
        values: the ranked value of every place of the run (expected crashes, or expected
            fatal + grievous crashes for a list ranked by them).
        counts: places in each band or above (:func:`band_counts`, or counted on a stored run).
    """
    ordered = values.drop_nulls().cast(pl.Float64).sort(descending=True).to_list()
    cuts = {}
    for band in BAND_KEYS[:-1]:
        k = counts.get(band, 0)
        cuts[band] = ordered[min(k, len(ordered)) - 1] if k > 0 and ordered else math.inf
    return cuts


def band_of(value: pl.Expr, cuts: Mapping[str, float]) -> pl.Expr:
    """The band of each row from its ranked ``value``: the highest band whose cut it reaches (a
    value of 0 or null is ``low``). Monotone in ``value`` by construction."""
    band = pl.lit("low")
    for key in reversed(BAND_KEYS[:-1]):  # medium, high, very_high: the last one set wins
        band = pl.when((value >= cuts[key]) & (value > 0)).then(pl.lit(key)).otherwise(band)
    return band


# --- counts in words: plurals, lakh and crore (issue 16, item 8) ---------------------------------

PLURALS: dict[str, str] = {
    "day": "days",
    "death": "deaths",
    "crash": "crashes",
    "row": "rows",
    "place": "places",
    "week": "weeks",
    "challan": "challans",
    "stretch": "stretches",
    "cell": "cells",
    "fatal/grievous crash": "fatal/grievous crashes",
    "blackspot": "blackspots",
    "listed place": "listed places",
}


def plural_word(n: float, singular: str) -> str:
    """``singular`` or its plural (:data:`PLURALS`, else ``+s``): singular only for exactly 1."""
    return singular if n == 1 else PLURALS.get(singular, singular + "s")


def plural(n: int, singular: str) -> str:
    """``'1 day'``, ``'0 days'``, ``'1,250 crashes'`` (thousands separators)."""
    return f"{n:,} {plural_word(n, singular)}"


def plural_expr(n: pl.Expr, singular: str) -> pl.Expr:
    """Polars text ``'<n> <word>'`` with the word in the singular only where ``n`` is 1 (``n`` an
    integer expression)."""
    word = pl.when(n == 1).then(pl.lit(singular)).otherwise(pl.lit(plural_word(2, singular)))
    return pl.format("{} {}", n, word)


def indian_number(value: float, digits: int = 0) -> str:
    """A number grouped the Indian way: ``5200000`` → ``'52,00,000'``, ``123456.7`` (1 digit) →
    ``'1,23,456.7'``; negative numbers keep their sign."""
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):.{digits}f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    text = ",".join(([head] if head else []) + groups + [tail])
    return sign + text + (f".{fraction}" if fraction else "")


LAKH, CRORE = 100_000, 10_000_000
SCALE_WORDS = {"en": ("lakh", "crore"), "hi": ("लाख", "करोड़")}


def lakh_crore(value: float, lang: str = "en") -> str:
    """A large count in lakh or crore, as officers read it: ``5_200_000`` → ``'52 lakh'``,
    ``12_500_000`` → ``'1.25 crore'``, ``150_000`` → ``'1.5 lakh'``; below a lakh, Indian grouping
    (``'85,000'``). Up to 2 decimals, trailing zeros dropped."""
    _check_language(lang)
    lakh, crore = SCALE_WORDS[lang]
    size = abs(value)
    if size < LAKH:
        return indian_number(value)
    scaled, word = (value / CRORE, crore) if size >= CRORE else (value / LAKH, lakh)
    number = f"{scaled:.2f}".rstrip("0").rstrip(".")
    return f"{number} {word}"


# --- words of the printed sheets (drive sheet, duty sheet), English and Hindi (issue 16) ---------

SHEET_TEXT: dict[str, dict[str, str]] = {
    "title_risk_list": {"en": "Enforcement drive sheet", "hi": "प्रवर्तन अभियान पत्रक"},
    "title_enforcement_gap": {"en": "Enforcement gap", "hi": "प्रवर्तन में कमी"},
    "title_blackspots": {"en": "MoRTH blackspots", "hi": "MoRTH ब्लैकस्पॉट"},
    "title_plan": {"en": "Drive plan", "hi": "अभियान योजना"},
    "window": {"en": "Window", "hi": "अवधि"},
    "ranked_by": {"en": "Ranked by", "hi": "क्रम का आधार"},
    "rows": {"en": "Rows", "hi": "पंक्तियाँ"},
    "first_of": {
        "en": "first {n} of {total} (choose with --top)",
        "hi": "{total} में से पहली {n} (--top से चुनें)",
    },
    "rank_all": {"en": "expected crashes", "hi": "अनुमानित दुर्घटनाएँ"},
    "rank_fatal_grievous": {
        "en": "expected fatal + grievous crashes",
        "hi": "अनुमानित घातक + गंभीर दुर्घटनाएँ",
    },
    "col_rank": {"en": "#", "hi": "#"},
    "col_where": {"en": "Where", "hi": "स्थान"},
    "col_station": {"en": "Police station", "hi": "थाना"},
    "col_when": {"en": "When (peak)", "hi": "कब (सबसे अधिक जोखिम)"},
    "col_expected": {"en": "Exp. crashes", "hi": "अनुमानित दुर्घटनाएँ"},
    "col_fatal_grievous": {"en": "Exp. fatal+ grievous", "hi": "अनुमानित घातक+ गंभीर"},
    "col_band": {"en": "Band", "hi": "जोखिम स्तर"},
    "col_why": {"en": "Why", "hi": "कारण"},
    "col_place": {"en": "Place", "hi": "स्थान"},
    "col_road_km": {"en": "Road / km", "hi": "सड़क / किमी"},
    "col_days": {"en": "Days", "hi": "दिन"},
    "col_hours": {"en": "Hours", "hi": "समय"},
    "col_team_hours": {"en": "Team-h / week", "hi": "टीम-घंटे / सप्ताह"},
    "map_note": {"en": "Map: numbers are ranks", "hi": "नक्शा: अंक क्रम संख्या हैं"},
    "no_map": {
        "en": "No map: none of these rows has coordinates.",
        "hi": "नक्शा नहीं: इन पंक्तियों में निर्देशांक नहीं हैं।",
    },
    "not_drawn": {
        "en": "{n} without coordinates not drawn.",
        "hi": "निर्देशांक के बिना {n} नक्शे पर नहीं।",
    },
    "row": {"en": "row", "hi": "पंक्ति"},
    "road_wide_title": {
        "en": "Whole roads in the station area (no GPS, no km marker): ranked among themselves, "
        "not comparable with the places above",
        "hi": "थाना क्षेत्र में पूरी सड़क (न GPS, न किमी पत्थर): आपस में क्रमबद्ध, ऊपर के स्थानों से तुलना योग्य नहीं",
    },
    "unnamed_road": {"en": "unnamed road", "hi": "बिना नाम की सड़क"},
    "whole_road": {"en": "whole road in the station area", "hi": "थाना क्षेत्र में पूरी सड़क"},
    "no_coordinates": {"en": "no coordinates", "hi": "निर्देशांक नहीं"},
    "approx": {"en": "approx.", "hi": "लगभग"},
    "find_km_stone": {
        "en": "road not mapped here: find the km stone",
        "hi": "सड़क नक्शे पर नहीं: किमी पत्थर देखें",
    },
    "page": {"en": "Page", "hi": "पृष्ठ"},
    "footer": {
        "en": "Model {model} | data cut-off {cutoff} | run {run} | generated {at} UTC",
        "hi": "मॉडल {model} | डेटा {cutoff} तक | रन {run} | बनाया गया {at} UTC",
    },
    "window_text": {"en": "{start} - {end} ({days})", "hi": "{start} से {end} ({days})"},
    "day": {"en": "day", "hi": "दिन"},
    "no_rows": {
        "en": "No units match these options ({window}).",
        "hi": "इन विकल्पों से कोई स्थान नहीं मिला ({window})।",
    },
    "bands": {"en": "Bands", "hi": "जोखिम स्तर"},
    "plan_repeats": {"en": "(the plan repeats every week)", "hi": "(योजना हर सप्ताह दोहराई जाती है)"},
    "team_hours_week": {"en": "Team-hours a week", "hi": "प्रति सप्ताह टीम-घंटे"},
    "covered": {"en": "Expected {what} covered", "hi": "कवर की गई अनुमानित {what}"},
    "crashes": {"en": "crashes", "hi": "दुर्घटनाएँ"},
    "fatal_grievous_crashes": {"en": "fatal + grievous crashes", "hi": "घातक + गंभीर दुर्घटनाएँ"},
    "plan_map_note": {
        "en": "Map: numbers are the places' ranks.",
        "hi": "नक्शा: अंक स्थानों की क्रम संख्या हैं।",
    },
    "plan_empty": {
        "en": "{title}: no place fits these options.",
        "hi": "{title}: इन विकल्पों में कोई स्थान नहीं।",
    },
}
DATE_FORMATS = {"en": "%d %b %Y", "hi": "%d-%m-%Y"}  # Hindi sheets: no English month names


def sheet_text(key: str, lang: str = "en", **values: object) -> str:
    """A printed sheet's word or sentence in ``lang``, with ``{placeholders}`` filled."""
    _check_language(lang)
    return SHEET_TEXT[key][lang].format(**values)
