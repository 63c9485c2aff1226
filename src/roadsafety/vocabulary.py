"""The product's words, once: risk bands, days, offences, severities and sentinels, in English and Hindi.

Every layer (models, forecasts, exports, the app) takes its keys, thresholds, colours and labels from
here, so a band is never spelt, coloured or cut differently in two places.

- Keys are what the warehouse stores (``risk_band = 'very_high'``, ``offence = 'no_helmet'``);
  labels are what people read. :func:`label` gives a key's label in a language of
  :data:`LANGUAGES` (``en``, ``hi``).
- Bands (riskiest first, :data:`BAND_KEYS`): a forecast run ranks its units and gives the top 1%
  ``very_high``, the next up to 5% ``high``, the next up to 20% ``medium`` and the rest ``low``
  (:data:`BAND_SHARES`). One colour each (:data:`BAND_COLOURS`, light text on the two darkest:
  :data:`BAND_TEXT_COLOURS`) for the map, the grids, the PDF and the legends.
- Days: DESIGN.md's peak-window format writes English three-letter days (:data:`DAYS`, Monday
  first, index = ``dow``); :func:`day_label` and :func:`window_label` render them in a language.
- :data:`PLAN_PAGE_LABELS`: the words of the app's "Plan a drive" page (group ``plan_page``).
- :data:`ALL` (``'(all)'``) names the whole region where a district is expected (period forecasts,
  hour-of-week priors, app filters); :data:`UNKNOWN` a record without a district.

Hindi is written for Haryana's traffic police: the words officers use on challans and in FIRs.
"""

from __future__ import annotations

import re

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
