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


# --- app section: the Dash app's labels and texts (dash_app/, through dash_app.i18n.t) ----------
# Keys are ``page.what``; ``{name}`` fields are filled by :func:`text`. Data (road and station names,
# the model's reasons) is shown as stored. Numbers stay in international digits.

MONTH_LABELS: dict[str, tuple[str, ...]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "hi": ("जन", "फ़र", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अग", "सित", "अक्टू", "नव", "दिस"),
}

DRIVER_LABELS: dict[str, dict[str, str]] = {  # the weekly forecast's reasons (models/periods.py)
    "fog season": {"en": "fog season", "hi": "कोहरे का मौसम"},
    "monsoon": {"en": "monsoon", "hi": "मानसून"},
    "festival": {"en": "festival", "hi": "त्योहार"},
    "public holiday": {"en": "public holiday", "hi": "सार्वजनिक अवकाश"},
    "seasonal high": {"en": "seasonal high", "hi": "मौसमी बढ़त"},
    "Diwali": {"en": "Diwali", "hi": "दिवाली"},
    "Holi": {"en": "Holi", "hi": "होली"},
    "Dussehra": {"en": "Dussehra", "hi": "दशहरा"},
    "Eid al-Fitr": {"en": "Eid al-Fitr", "hi": "ईद-उल-फ़ित्र"},
    "Christmas": {"en": "Christmas", "hi": "क्रिसमस"},
    "New Year's Eve": {"en": "New Year's Eve", "hi": "नववर्ष की पूर्व संध्या"},
}

APP_TEXTS: dict[str, dict[str, str]] = {
    # shell
    "app.name": {"en": "Road safety", "hi": "सड़क सुरक्षा"},
    "app.sign_out": {"en": "Sign out", "hi": "लॉग आउट"},
    "app.all_districts": {"en": "all districts", "hi": "सभी ज़िले"},
    "app.user": {"en": "{user} ({role}, {where})", "hi": "{user} ({role}, {where})"},
    "app.switch": {"en": "हिन्दी", "hi": "English"},
    "app.tagline": {
        "en": "Crash risk forecasts for traffic police",
        "hi": "यातायात पुलिस के लिए दुर्घटना जोखिम पूर्वानुमान",
    },
    "login.title": {"en": "Sign in", "hi": "लॉग इन"},
    "login.user": {"en": "User name", "hi": "उपयोगकर्ता नाम"},
    "login.password": {"en": "Password", "hi": "पासवर्ड"},
    "login.expired": {
        "en": "The form expired; please try again.",
        "hi": "फ़ॉर्म की समय-सीमा समाप्त हो गई; कृपया फिर से प्रयास करें।",
    },
    "login.refused": {
        "en": "Wrong user name or password, or the account is disabled.",
        "hi": "उपयोगकर्ता नाम या पासवर्ड गलत है, या खाता बंद है।",
    },
    "app.switch_hint": {"en": "हिन्दी में देखें", "hi": "Show in English"},
    "role.viewer": {"en": "viewer", "hi": "दर्शक"},
    "role.analyst": {"en": "analyst", "hi": "विश्लेषक"},
    "role.admin": {"en": "admin", "hi": "प्रशासक"},
    "page.overview": {"en": "Overview", "hi": "सारांश"},
    "page.risk_list": {"en": "Risk list", "hi": "जोखिम सूची"},
    "page.plan": {"en": "Plan a drive", "hi": "अभियान की योजना"},
    "page.periods": {"en": "Periods", "hi": "समय अवधि"},
    "page.corridor": {"en": "Corridor detail", "hi": "स्थान विवरण"},
    "page.enforcement": {"en": "Enforcement", "hi": "प्रवर्तन"},
    "page.drives": {"en": "Drives", "hi": "अभियान"},
    "page.model_health": {"en": "Model health", "hi": "मॉडल की स्थिति"},
    # shared controls and notices
    "ctl.district": {"en": "District", "hi": "ज़िला"},
    "ctl.window": {"en": "Window", "hi": "अवधि"},
    "ctl.next_days": {"en": "Next {days} days", "hi": "अगले {days} दिन"},
    "ctl.download_csv": {"en": "Download CSV", "hi": "CSV डाउनलोड"},
    "ctl.download_xlsx": {"en": "Download Excel", "hi": "Excel डाउनलोड"},
    "ctl.download_pdf": {"en": "Download PDF", "hi": "PDF डाउनलोड"},
    "ctl.no_forecast": {
        "en": "No forecast has been published yet. Ask the state crime records team to run "
        "`roadsafety retrain` (or `roadsafety demo`) to create one.",
        "hi": "अभी तक कोई पूर्वानुमान प्रकाशित नहीं हुआ है। राज्य अपराध रिकॉर्ड टीम से "
        "`roadsafety retrain` (या `roadsafety demo`) चलवाएँ।",
    },
    "ctl.loading": {"en": "Loading...", "hi": "लोड हो रहा है..."},
    # overview
    "overview.subtitle": {
        "en": "Crashes expected in the coming days, and where.",
        "hi": "आने वाले दिनों में अनुमानित दुर्घटनाएँ, और कहाँ।",
    },
    "kpi.crashes": {"en": " crashes expected", "hi": " दुर्घटनाएँ अनुमानित"},
    "kpi.severe": {"en": " fatal or grievous", "hi": " घातक या गंभीर"},
    "kpi.change": {
        "en": "{pct:+.0f}% vs {n} on the same weekdays last year",
        "hi": "पिछले साल इन्हीं दिनों के {n} से {pct:+.0f}%",
    },
    "kpi.no_last_year": {
        "en": "no crashes on the same weekdays last year",
        "hi": "पिछले साल इन्हीं दिनों में कोई दुर्घटना नहीं",
    },
    "kpi.source_weekly": {
        "en": "How these totals are made: the weekly forecast of the district (or the state), "
        'days of a week counted pro rata; the same numbers as "Weeks ahead" and the Periods '
        'page. "Last year" = every recorded crash on the same weekdays 52 weeks earlier. '
        "The places on the map are ranked by the place-by-place forecast, whose sum can differ.",
        "hi": "ये कुल संख्याएँ कैसे बनती हैं: ज़िले (या राज्य) का साप्ताहिक पूर्वानुमान, सप्ताह के "
        'दिनों के अनुपात में; वही संख्याएँ जो "आगे के सप्ताह" और समय अवधि पृष्ठ पर हैं। '
        '"पिछला साल" = 52 सप्ताह पहले उन्हीं दिनों की सभी दर्ज दुर्घटनाएँ। मानचित्र के स्थान '
        "स्थान-वार पूर्वानुमान से क्रमबद्ध हैं, जिसका जोड़ अलग हो सकता है।",
    },
    "kpi.source_places": {
        "en": "No weekly forecast covers these days: totals are the places' forecast summed.",
        "hi": "इन दिनों का साप्ताहिक पूर्वानुमान नहीं है: कुल संख्या स्थान-वार पूर्वानुमान का जोड़ है।",
    },
    "alerts.title": {"en": "Weeks ahead to watch", "hi": "आगे के सप्ताह जिन पर ध्यान दें"},
    "alerts.week": {"en": "Week of {date}: ", "hi": "{date} से सप्ताह: "},
    "alerts.high": {"en": "HIGH RISK - ", "hi": "अधिक जोखिम - "},
    "alerts.expected": {
        "en": "about {n} crashes expected (same week last year: {ly})",
        "hi": "लगभग {n} दुर्घटनाएँ अनुमानित (पिछले साल इसी सप्ताह: {ly})",
    },
    "map.title": {"en": "Where the risk is", "hi": "जोखिम कहाँ है"},
    "map.title_dates": {
        "en": "Where the risk is: {start} - {end} ({where})",
        "hi": "जोखिम कहाँ है: {start} - {end} ({where})",
    },
    "map.hint": {
        "en": "Tap a cell or road stretch to open its detail.",
        "hi": "विवरण देखने के लिए किसी सेल या सड़क खंड पर टैप करें।",
    },
    "map.districts": {"en": "Districts on the map:", "hi": "मानचित्र पर ज़िले:"},
    "map.unnamed": {"en": "Unnamed road", "hi": "बिना नाम की सड़क"},
    "map.expected": {"en": "{n} crashes expected", "hi": "{n} दुर्घटनाएँ अनुमानित"},
    "map.approximate": {
        "en": "approximate place (beyond the mapped road): ",
        "hi": "अनुमानित स्थान (मानचित्र वाली सड़क से आगे): ",
    },
    "band.explain": {
        "en": "Bands: the forecast ranks every place; the top {a}% are {very_high}, the next {b}% "
        "{high}, the next {c}% {medium}, the rest {low}.",
        "hi": "श्रेणियाँ: पूर्वानुमान हर स्थान को क्रम देता है; सबसे ऊपर के {a}% {very_high}, अगले "
        "{b}% {high}, अगले {c}% {medium}, बाकी {low}।",
    },
    # periods
    "periods.subtitle": {
        "en": "When crashes are expected: weeks ahead, hours of the week, risky dates.",
        "hi": "दुर्घटनाएँ कब अपेक्षित हैं: आगे के सप्ताह, सप्ताह के घंटे, जोखिम भरी तारीखें।",
    },
    "periods.weekly_title": {
        "en": "Crashes per week, {where}",
        "hi": "प्रति सप्ताह दुर्घटनाएँ, {where}",
    },
    "periods.heat_title": {"en": "When in the week, {where}", "hi": "सप्ताह में कब, {where}"},
    "periods.upcoming": {"en": "Upcoming weeks", "hi": "आने वाले सप्ताह"},
    "periods.part_note": {
        "en": "A lighter, hatched bar is a part-week: the data ends before the week does "
        "(its label says how many days it holds), so it is not a drop.",
        "hi": "हल्का, धारीदार स्तंभ अधूरा सप्ताह है: डेटा सप्ताह पूरा होने से पहले ख़त्म होता है "
        "(लेबल बताता है कितने दिन), इसलिए यह गिरावट नहीं है।",
    },
    "periods.week_from": {"en": "Week from", "hi": "सप्ताह आरंभ"},
    "periods.to": {"en": "to", "hi": "तक"},
    "periods.expected": {"en": "Crashes expected", "hi": "अनुमानित दुर्घटनाएँ"},
    "periods.range80": {"en": "80% range", "hi": "80% सीमा"},
    "periods.expected_range": {
        "en": "Crashes expected (80% range)",
        "hi": "अनुमानित दुर्घटनाएँ (80% सीमा)",
    },
    "periods.risk": {"en": "Risk", "hi": "जोखिम"},
    "periods.why": {"en": "Why", "hi": "क्यों"},
    "periods.risk_high": {"en": "High", "hi": "अधिक"},
    "periods.risk_usual": {"en": "Usual", "hi": "सामान्य"},
    "fig.recorded": {"en": "Crashes (recorded)", "hi": "दुर्घटनाएँ (दर्ज)"},
    "fig.part_week": {"en": "Part-week (days so far)", "hi": "अधूरा सप्ताह (अब तक के दिन)"},
    "fig.days_of_7": {"en": "{n} of 7 days", "hi": "7 में से {n} दिन"},
    "fig.last_year_line": {"en": "Same week last year", "hi": "पिछले साल यही सप्ताह"},
    "fig.forecast": {"en": "Forecast", "hi": "पूर्वानुमान"},
    "fig.range95": {"en": "95% range", "hi": "95% सीमा"},
    "fig.range80": {"en": "80% range", "hi": "80% सीमा"},
    "fig.per_week": {"en": "crashes per week", "hi": "प्रति सप्ताह दुर्घटनाएँ"},
    "fig.no_weekly": {
        "en": "No weekly history or forecast for this selection.",
        "hi": "इस चयन के लिए कोई साप्ताहिक इतिहास या पूर्वानुमान नहीं।",
    },
    "fig.no_profile": {
        "en": "No hour-of-week profile available.",
        "hi": "सप्ताह के घंटों का कोई विवरण उपलब्ध नहीं।",
    },
    "fig.no_history": {
        "en": "No recorded crashes in the last three years.",
        "hi": "पिछले तीन वर्षों में कोई दर्ज दुर्घटना नहीं।",
    },
    "fig.no_timed": {
        "en": "No crashes with a recorded time here: no hour-of-week pattern to show.",
        "hi": "यहाँ समय सहित दर्ज कोई दुर्घटना नहीं: सप्ताह के घंटों का पैटर्न नहीं दिखाया जा सकता।",
    },
    "fig.all": {"en": "All crashes", "hi": "सभी दुर्घटनाएँ"},
    "fig.pct_week": {"en": "% of week", "hi": "सप्ताह का %"},
    "fig.hour": {"en": "hour of day", "hi": "दिन का घंटा"},
    "fig.heat_hover": {
        "en": "%{y} %{x}:00 - %{z:.1f}% of the week's crashes",
        "hi": "%{y} %{x}:00 - सप्ताह की दुर्घटनाओं का %{z:.1f}%",
    },
    # risk list
    "risk.subtitle": {
        "en": "Ranked places for drives: the same rows as the exported lists.",
        "hi": "अभियानों के लिए क्रमबद्ध स्थान: निर्यात की गई सूचियों जैसी ही पंक्तियाँ।",
    },
    "risk.all_stations": {"en": "All police stations", "hi": "सभी थाने"},
    "risk.rank_by": {"en": "Rank by", "hi": "क्रम का आधार"},
    "risk.band": {"en": "Band", "hi": "श्रेणी"},
    "risk.rows": {"en": "Rows", "hi": "पंक्तियाँ"},
    "risk.all_bands": {"en": "All bands", "hi": "सभी श्रेणियाँ"},
    "risk.and_above": {"en": "{band} and above", "hi": "{band} और ऊपर"},
    "risk.only": {"en": "{band} only", "hi": "केवल {band}"},
    "risk.merge": {
        "en": "Merge adjacent cells into corridors",
        "hi": "पास-पास के सेल को गलियारों में मिलाएँ",
    },
    "risk.pdf": {"en": "Download PDF drive sheet", "hi": "PDF अभियान पत्रक डाउनलोड"},
    "risk.km_from": {"en": "km from", "hi": "कि.मी. से"},
    "risk.km_to": {"en": "km to", "hi": "कि.मी. तक"},
    "risk.peak": {"en": "When (peak)", "hi": "कब (सबसे अधिक)"},
    "risk.summary": {
        "en": "{n} places - forecast for {start} to {end}, model {version}, data up to "
        "{cutoff}. Tap a row for its detail.",
        "hi": "{n} स्थान - {start} से {end} का पूर्वानुमान, मॉडल {version}, डेटा {cutoff} तक। "
        "विवरण के लिए पंक्ति पर टैप करें।",
    },
    "risk.wide_title": {
        "en": "Whole roads in a station area: no GPS, no km marker",
        "hi": "थाना क्षेत्र की पूरी सड़कें: न GPS, न कि.मी. पत्थर",
    },
    "risk.wide_text": {
        "en": "Each row is a road named in FIRs that carry neither coordinates nor a km stone, "
        "over a whole police-station area (often 10 km or more). They are ranked among "
        "themselves and never against the places above: their expected crashes add up a long "
        "road. Ask the station for km markers or GPS to turn them into places.",
        "hi": "हर पंक्ति FIR में दर्ज ऐसी सड़क है जिसमें न निर्देशांक हैं न कि.मी. पत्थर, पूरे थाना "
        "क्षेत्र में (अक्सर 10 कि.मी. या अधिक)। इन्हें आपस में क्रम दिया गया है, ऊपर के स्थानों से "
        "तुलना नहीं: इनकी अनुमानित दुर्घटनाएँ एक लंबी सड़क का जोड़ हैं। इन्हें स्थान बनाने के लिए "
        "थाने से कि.मी. पत्थर या GPS माँगें।",
    },
    # enforcement
    "enf.title": {"en": "Enforcement vs risk", "hi": "प्रवर्तन बनाम जोखिम"},
    "enf.subtitle": {
        "en": "High-risk places that see few challans come first.",
        "hi": "कम चालान वाले अधिक जोखिम के स्थान पहले।",
    },
    "enf.gap_title": {
        "en": "Enforcement gap: high risk, few challans",
        "hi": "प्रवर्तन की कमी: अधिक जोखिम, कम चालान",
    },
    "enf.expected_90": {"en": "Crashes expected / 90 d", "hi": "अनुमानित दुर्घटनाएँ / 90 दिन"},
    "enf.challans_90": {"en": "Challans, last 90 d", "hi": "चालान, पिछले 90 दिन"},
    "enf.per_crash": {"en": "Challans per crash", "hi": "प्रति दुर्घटना चालान"},
    "enf.why_listed": {"en": "Why listed", "hi": "सूची में क्यों"},
    "enf.no_forecast": {"en": "No forecast yet.", "hi": "अभी कोई पूर्वानुमान नहीं।"},
    "enf.scatter_title": {
        "en": "Where risk is vs where challans are issued",
        "hi": "जोखिम कहाँ है बनाम चालान कहाँ कटते हैं",
    },
    "enf.x": {"en": "expected crashes per 90 days", "hi": "प्रति 90 दिन अनुमानित दुर्घटनाएँ"},
    "enf.y": {"en": "challans, last 90 days", "hi": "चालान, पिछले 90 दिन"},
    "enf.hover": {
        "en": "%{text}<br>%{x:.2f} expected crashes / 90 days<br>%{y} challans",
        "hi": "%{text}<br>%{x:.2f} अनुमानित दुर्घटनाएँ / 90 दिन<br>%{y} चालान",
    },
    "enf.none": {
        "en": "No forecast places for this selection.",
        "hi": "इस चयन के लिए कोई पूर्वानुमान स्थान नहीं।",
    },
    "enf.offences_title": {
        "en": "Challans by offence, last 90 days",
        "hi": "अपराध अनुसार चालान, पिछले 90 दिन",
    },
    "enf.no_challans": {
        "en": "No challans in the last 90 days.",
        "hi": "पिछले 90 दिनों में कोई चालान नहीं।",
    },
    # drives
    "drives.title": {"en": "Did the drive work?", "hi": "क्या अभियान सफल रहा?"},
    "drives.subtitle": {
        "en": "Crashes at each drive's places against what was expected without the drive.",
        "hi": "हर अभियान के स्थानों पर दुर्घटनाएँ, बिना अभियान की अपेक्षा के मुकाबले।",
    },
    "drives.col.drive": {"en": "Drive", "hi": "अभियान"},
    "drives.col.name": {"en": "Name", "hi": "नाम"},
    "drives.col.places": {"en": "Places", "hi": "स्थान"},
    "drives.col.from": {"en": "From", "hi": "से"},
    "drives.col.data_to": {"en": "Data to", "hi": "डेटा तक"},
    "drives.col.before": {"en": "Crashes before", "hi": "पहले दुर्घटनाएँ"},
    "drives.col.after": {"en": "Crashes after", "hi": "बाद में दुर्घटनाएँ"},
    "drives.col.expected": {"en": "Expected without drive", "hi": "बिना अभियान अपेक्षित"},
    "drives.col.change": {"en": "Change", "hi": "बदलाव"},
    "drives.col.ci_low": {"en": "90% range from", "hi": "90% सीमा से"},
    "drives.col.challans_before": {"en": "Challans before", "hi": "पहले चालान"},
    "drives.col.challans_during": {"en": "Challans during", "hi": "दौरान चालान"},
    "drives.col.verdict": {"en": "Verdict", "hi": "निष्कर्ष"},
    "drives.not_evaluated": {
        "en": "No drive has been evaluated yet. The state crime records team imports the drives "
        "(`roadsafety drives import FILE`) and runs `roadsafety drives evaluate`.",
        "hi": "अभी तक किसी अभियान का मूल्यांकन नहीं हुआ। राज्य अपराध रिकॉर्ड टीम अभियान आयात "
        "(`roadsafety drives import FILE`) करके `roadsafety drives evaluate` चलाती है।",
    },
    "drives.info": {
        "en": "Evaluated {when} on crash records {start} to {end}; {where}. Tap a drive for its "
        "chart and map.",
        "hi": "{when} को {start} से {end} तक के दुर्घटना रिकॉर्ड पर मूल्यांकन; {where}। चार्ट और "
        "मानचित्र के लिए किसी अभियान पर टैप करें।",
    },
    "drives.places": {"en": "Its places ({n})", "hi": "इसके स्थान ({n})"},
    "drives.no_place": {"en": "No place to draw.", "hi": "दिखाने को कोई स्थान नहीं।"},
    "drives.choose": {
        "en": "Choose a drive in the list to see its months and places.",
        "hi": "महीने और स्थान देखने के लिए सूची में कोई अभियान चुनें।",
    },
    "drives.outside": {
        "en": "This drive is outside your district.",
        "hi": "यह अभियान आपके ज़िले से बाहर है।",
    },
    "drives.verdict_sentence": {
        "en": "{verdict}: {after} crashes against {expected} expected without the drive, a change "
        "of {change} (90% range {low} to {high}).",
        "hi": "{verdict}: अभियान के बिना {expected} अपेक्षित के मुकाबले {after} दुर्घटनाएँ, {change} का "
        "बदलाव (90% सीमा {low} से {high})।",
    },
    "drives.naive_says": {
        "en": " A plain before/after count would say {naive}.",
        "hi": " सीधी पहले/बाद की गिनती {naive} बताती।",
    },
    "drivefig.none": {
        "en": "No crashes recorded at these places in the study periods.",
        "hi": "अध्ययन अवधि में इन स्थानों पर कोई दुर्घटना दर्ज नहीं।",
    },
    "drivefig.before": {"en": "Crashes, before the drive", "hi": "दुर्घटनाएँ, अभियान से पहले"},
    "drivefig.after": {"en": "Crashes since the drive began", "hi": "अभियान शुरू होने के बाद दुर्घटनाएँ"},
    "drivefig.expected": {"en": "Expected without the drive", "hi": "बिना अभियान अपेक्षित"},
    "drivefig.title": {
        "en": "{name}: crashes per month at its places",
        "hi": "{name}: इसके स्थानों पर प्रति माह दुर्घटनाएँ",
    },
    "drivefig.per_month": {"en": "crashes per month", "hi": "प्रति माह दुर्घटनाएँ"},
    # corridor detail
    "corridor.subtitle": {
        "en": "Why a place is risky, when, and what happened there recently.",
        "hi": "कोई स्थान जोखिम भरा क्यों है, कब, और वहाँ हाल में क्या हुआ।",
    },
    "corridor.pick": {"en": "Place", "hi": "स्थान"},
    "corridor.pick_hint": {
        "en": "Choose one of the riskiest places",
        "hi": "सबसे जोखिम भरे स्थानों में से चुनें",
    },
    "corridor.choose": {
        "en": "Choose a place above, or tap one on the Overview map or in the Risk list.",
        "hi": "ऊपर कोई स्थान चुनें, या सारांश मानचित्र या जोखिम सूची में उस पर टैप करें।",
    },
    "corridor.no_cells": {
        "en": "This corridor link names no valid map cells.",
        "hi": "इस लिंक में कोई मान्य मानचित्र सेल नहीं है।",
    },
    "corridor.outside": {
        "en": "This place is outside your district.",
        "hi": "यह स्थान आपके ज़िले से बाहर है।",
    },
    "corridor.unknown": {"en": "No such place in the warehouse.", "hi": "ऐसा कोई स्थान नहीं मिला।"},
    "corridor.near": {"en": "Place near {lat}, {lon}", "hi": "{lat}, {lon} के पास का स्थान"},
    "corridor.cells": {
        "en": "{n} map cells together: {crashes} crashes recorded in the last 3 years across all "
        "of them ({severe} fatal or grievous).",
        "hi": "{n} मानचित्र सेल मिलाकर: पिछले 3 वर्षों में इन सभी में {crashes} दुर्घटनाएँ दर्ज "
        "({severe} घातक या गंभीर)।",
    },
    "corridor.one": {
        "en": "{crashes} crashes recorded here in the last 3 years ({severe} fatal or grievous).",
        "hi": "पिछले 3 वर्षों में यहाँ {crashes} दुर्घटनाएँ दर्ज ({severe} घातक या गंभीर)।",
    },
    "corridor.no_forecast": {"en": "no forecast", "hi": "कोई पूर्वानुमान नहीं"},
    "corridor.range80": {
        "en": "80% range {lo} - {hi}",
        "hi": "80% सीमा {lo} - {hi}",
    },
    "corridor.band": {"en": "Band ", "hi": "श्रेणी "},
    "corridor.rank": {"en": " - rank {rank}", "hi": " - क्रम {rank}"},
    "corridor.peak": {"en": "Peak: {peak}", "hi": "सबसे अधिक जोखिम: {peak}"},
    "corridor.why": {"en": "Why the forecast rates it so", "hi": "पूर्वानुमान इसे ऐसा क्यों आँकता है"},
    "corridor.why_many": {
        "en": "Why the forecast rates its riskiest cell so",
        "hi": "पूर्वानुमान इसके सबसे जोखिम भरे सेल को ऐसा क्यों आँकता है",
    },
    "corridor.blackspot_yes": {
        "en": "Meets the MoRTH blackspot rule: {fg} fatal/grievous crashes and {deaths} deaths "
        "in {years}.",
        "hi": "MoRTH ब्लैकस्पॉट नियम पूरा करता है: {years} में {fg} घातक/गंभीर दुर्घटनाएँ और {deaths} मौतें।",
    },
    "corridor.blackspot_no": {
        "en": "Not a MoRTH blackspot: {fg} fatal/grievous crashes and {deaths} deaths in {years} "
        "(rule: 5 fatal/grievous crashes or 10 deaths).",
        "hi": "MoRTH ब्लैकस्पॉट नहीं: {years} में {fg} घातक/गंभीर दुर्घटनाएँ और {deaths} मौतें "
        "(नियम: 5 घातक/गंभीर दुर्घटनाएँ या 10 मौतें)।",
    },
    "corridor.monthly": {
        "en": "Crashes per month, last 3 years",
        "hi": "प्रति माह दुर्घटनाएँ, पिछले 3 वर्ष",
    },
    "corridor.when": {"en": "When in the week", "hi": "सप्ताह में कब"},
    "corridor.crashes": {"en": "Recent crashes", "hi": "हाल की दुर्घटनाएँ"},
    "corridor.challans": {"en": "Recent challans", "hi": "हाल के चालान"},
    "corridor.mix": {
        "en": "Last 90 days by offence: {mix}",
        "hi": "पिछले 90 दिन, अपराध अनुसार: {mix}",
    },
    "corridor.none": {"en": "none", "hi": "कोई नहीं"},
    "col.when": {"en": "When", "hi": "कब"},
    "col.severity": {"en": "Severity", "hi": "गंभीरता"},
    "col.killed": {"en": "Killed", "hi": "मृत"},
    "col.injured": {"en": "Injured", "hi": "घायल"},
    "col.road": {"en": "Road", "hi": "सड़क"},
    "col.km": {"en": "km", "hi": "कि.मी."},
    "col.station": {"en": "Police station", "hi": "थाना"},
    "col.vehicles": {"en": "Vehicles", "hi": "वाहन"},
    "col.cause": {"en": "Cause", "hi": "कारण"},
    "col.offence": {"en": "Offence", "hi": "अपराध"},
    "col.type": {"en": "Type", "hi": "प्रकार"},
    "col.vehicle": {"en": "Vehicle", "hi": "वाहन"},
    "col.fine": {"en": "Fine (Rs)", "hi": "जुर्माना (रु.)"},
    "col.camera": {"en": "Camera", "hi": "कैमरा"},
    # model health
    "health.subtitle": {
        "en": "Which forecast is in use, on what data, and whether it beats simple counts.",
        "hi": "कौन सा पूर्वानुमान उपयोग में है, किस डेटा पर, और क्या यह साधारण गिनती से बेहतर है।",
    },
    "health.in_use": {"en": "Model in use", "hi": "उपयोग में मॉडल"},
    "health.none": {
        "en": "No model is in use yet: ask the state crime records team to run `roadsafety retrain`.",
        "hi": "अभी कोई मॉडल उपयोग में नहीं: राज्य अपराध रिकॉर्ड टीम से `roadsafety retrain` चलवाएँ।",
    },
    "health.version": {
        "en": "The forecasts shown are made by model version {version} (a LightGBM crash model), "
        "in use since {since}.",
        "hi": "दिखाए गए पूर्वानुमान मॉडल संस्करण {version} (LightGBM दुर्घटना मॉडल) से बने हैं, "
        "{since} से उपयोग में।",
    },
    "health.cutoff": {
        "en": "It learnt from crashes recorded before {cutoff}.",
        "hi": "इसने {cutoff} से पहले दर्ज दुर्घटनाओं से सीखा।",
    },
    "health.first": {
        "en": "It became the model in use because it was the first one trained (there was none "
        "before), not because it beat another model.",
        "hi": "यह उपयोग में इसलिए है क्योंकि यह पहला प्रशिक्षित मॉडल था (पहले कोई नहीं था), "
        "किसी दूसरे मॉडल से बेहतर होने के कारण नहीं।",
    },
    "health.runs": {
        "en": "Shown {days}-day forecast: {start} - {end}",
        "hi": "दिखाया गया {days}-दिन का पूर्वानुमान: {start} - {end}",
    },
    "health.last_retrain": {
        "en": "Last retrain: {version} on {when} - {outcome}",
        "hi": "पिछला पुनः प्रशिक्षण: {version}, {when} - {outcome}",
    },
    "health.no_retrain": {
        "en": "No retrain recorded yet.",
        "hi": "अभी तक कोई पुनः प्रशिक्षण दर्ज नहीं।",
    },
    "status.champion": {"en": "now in use", "hi": "अब उपयोग में"},
    "status.rejected": {
        "en": "not used (it did not do better than the model in use)",
        "hi": "उपयोग नहीं हुआ (उपयोग वाले मॉडल से बेहतर नहीं)",
    },
    "status.retired": {"en": "replaced by a newer model", "hi": "नए मॉडल से बदला गया"},
    "status.failed": {
        "en": "failed (the previous model stays in use)",
        "hi": "विफल (पिछला मॉडल उपयोग में रहता है)",
    },
    "health.quality": {"en": "How well did it do?", "hi": "इसने कितना अच्छा किया?"},
    "health.caught": {
        "en": "Tested on {start} - {end}, a year the model had not seen: the 100 places the "
        "forecast named held {x} of every 100 crashes of that year; last year's counts alone "
        "would have caught {y}.",
        "hi": "{start} - {end} पर परखा गया, जो साल मॉडल ने नहीं देखा था: पूर्वानुमान के बताए 100 "
        "स्थानों पर उस साल की हर 100 दुर्घटनाओं में से {x} हुईं; केवल पिछले साल की गिनती से {y} "
        "पकड़ी जातीं।",
    },
    "health.caught_3y": {
        "en": " The last 3 years' counts would have caught {z}.",
        "hi": " पिछले 3 वर्षों की गिनती से {z} पकड़ी जातीं।",
    },
    "health.better": {
        "en": "So the forecast does better than simple counts at finding where crashes happen.",
        "hi": "यानी दुर्घटनाएँ कहाँ होंगी, यह बताने में पूर्वानुमान साधारण गिनती से बेहतर है।",
    },
    "health.level": {
        "en": "So the forecast finds crash places about as well as simple counts, no better.",
        "hi": "यानी पूर्वानुमान दुर्घटना स्थान लगभग साधारण गिनती जितना ही पहचानता है, बेहतर नहीं।",
    },
    "health.worse_hits": {
        "en": "Plainly: the forecast caught fewer crashes than {baseline} ({x} vs {y} of every 100).",
        "hi": "साफ़ शब्दों में: पूर्वानुमान ने {baseline} से कम दुर्घटनाएँ पकड़ीं (हर 100 में {x} बनाम {y})।",
    },
    "health.worse_counts": {
        "en": "Plainly: its expected number of crashes per place was further from what happened "
        "than {baseline}'s. Use the ranking (which places first), not the exact numbers.",
        "hi": "साफ़ शब्दों में: हर स्थान के लिए इसकी अनुमानित दुर्घटना संख्या {baseline} से ज़्यादा "
        "ग़लत रही। क्रम (कौन से स्थान पहले) पर भरोसा करें, सटीक संख्याओं पर नहीं।",
    },
    "health.no_backtest": {
        "en": "No test on a held-out year is stored for this model: its quality is unknown.",
        "hi": "इस मॉडल की किसी अलग रखे साल पर जाँच दर्ज नहीं: इसकी गुणवत्ता अज्ञात है।",
    },
    "health.analyst": {"en": "Analyst's measures", "hi": "विश्लेषक के माप"},
    "health.analyst_hint": {
        "en": "Backtest of the model in use against the baselines, mean over the test years: "
        "hit rate (share of crashes in the listed places), PAI, PEI*, Poisson deviance (lower is "
        "better), interval coverage.",
        "hi": "उपयोग वाले मॉडल का आधार-रेखाओं से बैकटेस्ट, परीक्षण वर्षों का औसत: हिट दर, PAI, "
        "PEI*, पॉइसन डेविएंस (कम बेहतर), अंतराल कवरेज।",
    },
    "health.freshness": {"en": "How recent is the data", "hi": "डेटा कितना ताज़ा है"},
    "health.versions": {"en": "Model versions", "hi": "मॉडल संस्करण"},
    "health.loads": {"en": "Recent loads", "hi": "हाल के डेटा लोड"},
    "health.loads_state": {
        "en": "Loads are statewide files: they are shown to state-level users.",
        "hi": "लोड राज्य-स्तरीय फ़ाइलें हैं: ये राज्य-स्तर के उपयोगकर्ताओं को दिखती हैं।",
    },
    "health.audit": {"en": "Audit: latest app events", "hi": "ऑडिट: ऐप की हाल की घटनाएँ"},
    "records.accidents": {"en": "Crashes", "hi": "दुर्घटनाएँ"},
    "records.challans": {"en": "Challans", "hi": "चालान"},
    "col.records": {"en": "Records", "hi": "रिकॉर्ड"},
    "col.n": {"en": "Number", "hi": "संख्या"},
    "col.first": {"en": "First", "hi": "पहला"},
    "col.latest": {"en": "Latest", "hi": "नवीनतम"},
    "col.kind": {"en": "Kind", "hi": "प्रकार"},
    "col.source": {"en": "Source", "hi": "स्रोत"},
    "col.format": {"en": "Format", "hi": "फ़ॉर्मैट"},
    "col.finished_at": {"en": "Finished", "hi": "पूरा हुआ"},
    "col.rows_read": {"en": "Rows read", "hi": "पढ़ी गई पंक्तियाँ"},
    "col.loaded": {"en": "Loaded", "hi": "लोड हुईं"},
    "col.quarantined": {"en": "Quarantined", "hi": "अलग रखी गईं"},
    "col.status": {"en": "Status", "hi": "स्थिति"},
    "col.version_id": {"en": "Version", "hi": "संस्करण"},
    "col.created_at": {"en": "Created", "hi": "बना"},
    "col.as_of": {"en": "Data up to", "hi": "डेटा कब तक"},
    "col.score": {"en": "Score", "hi": "स्कोर"},
    "col.message": {"en": "Message", "hi": "संदेश"},
    "col.user": {"en": "User", "hi": "उपयोगकर्ता"},
    "col.action": {"en": "Action", "hi": "कार्य"},
    "col.detail": {"en": "Detail", "hi": "विवरण"},
    "col.district": {"en": "District", "hi": "ज़िला"},
    "model.lightgbm": {"en": "the forecast", "hi": "पूर्वानुमान"},
    "model.naive_1y": {"en": "last year's counts", "hi": "पिछले साल की गिनती"},
    "model.naive_3y": {"en": "the last 3 years' counts", "hi": "पिछले 3 वर्षों की गिनती"},
    "model.empirical_bayes": {
        "en": "the smoothed 3-year counts (empirical Bayes)",
        "hi": "संतुलित 3-वर्ष गिनती (एम्पिरिकल बेज़)",
    },
    "model.seasonal_naive": {"en": "the same days last year", "hi": "पिछले साल के वही दिन"},
    "model.morth_rule": {"en": "the MoRTH blackspot rule", "hi": "MoRTH ब्लैकस्पॉट नियम"},
    "model.blend": {
        "en": "forecast and smoothed counts averaged",
        "hi": "पूर्वानुमान और संतुलित गिनती का औसत",
    },
}


def text(key: str, lang: str = "en", **values: object) -> str:
    """An app text (:data:`APP_TEXTS`) in ``lang`` with its ``{name}`` fields filled.

    Raises:
        KeyError: for an unknown key.
        ValueError: for an unknown language.
    """
    _check_language(lang)
    if key not in APP_TEXTS:
        raise KeyError(f"no app text {key!r} in the vocabulary")
    template = APP_TEXTS[key][lang]
    return template.format(**values) if values else template


def band_explanation(lang: str = "en") -> str:
    """What the bands mean, from :data:`BAND_SHARES` (shown under the map and the risk list)."""
    cuts = [share * 100 for share, _ in BAND_SHARES]
    shares = [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1]]
    names = {band: label(band, lang) for band in BAND_KEYS}
    values = dict(zip("abc", (f"{x:g}" for x in shares)))
    return text("band.explain", lang, **values, **names)


def drivers_label(drivers: str | None, lang: str = "en") -> str:
    """A weekly forecast's ``'; '``-joined reasons in ``lang`` (unknown words as they are)."""
    _check_language(lang)
    parts = [p.strip() for p in (drivers or "").split(";") if p.strip()]
    return "; ".join(DRIVER_LABELS.get(p, {}).get(lang, p) for p in parts)


def date_label(day: object, lang: str = "en", *, weekday: bool = False) -> str:
    """``30 Nov`` (``Mon 30 Nov`` with ``weekday``) with day and month words in ``lang``."""
    _check_language(lang)
    words = f"{day.day:02d} {MONTH_LABELS[lang][day.month - 1]}"  # type: ignore[attr-defined]
    return f"{day_label(day.weekday(), lang)} {words}" if weekday else words  # type: ignore[attr-defined]


# --- drive verdicts: the evaluation's plain words (models.drive_effect) in the reader's language ---

VERDICT_LABELS: dict[str, str] = {  # English verdict as stored -> Hindi
    "crashes fell: likely the drive": "दुर्घटनाएँ घटीं: संभवतः अभियान से",
    "crashes rose": "दुर्घटनाएँ बढ़ीं",
    "no clear change": "कोई स्पष्ट बदलाव नहीं",
    "no clear change (too few crashes to tell)": "कोई स्पष्ट बदलाव नहीं (कहने के लिए बहुत कम दुर्घटनाएँ)",
}
_VERDICT_PATTERNS = (
    (re.compile(r"too early: (\d+) days? of after-data"), "अभी जल्दी है: बाद के केवल {0} दिन का डेटा"),
    (
        re.compile(r"too little data before the drive: (\d+) days?"),
        "अभियान से पहले का डेटा कम: {0} दिन",
    ),
)


def verdict_label(verdict: str | None, lang: str = "en") -> str:
    """A stored drive verdict in ``lang`` (stored verdicts are English; unknown text as it is)."""
    _check_language(lang)
    if verdict is None or lang == "en":
        return verdict or ""
    if verdict in VERDICT_LABELS:
        return VERDICT_LABELS[verdict]
    for pattern, words in _VERDICT_PATTERNS:
        if found := pattern.fullmatch(verdict):
            return words.format(*found.groups())
    return verdict
