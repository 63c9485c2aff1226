"""One spelling per French street name, so unlocated BAAC crashes on one street share a unit.

BAAC street text comes in many hands: ``PRADO (AVENUE DU)``, ``AVE DU PRADO`` and ``PRADO (AVENUE)``
all mean ``AVENUE PRADO``. The key moves a bracketed street type to the front, expands common
abbreviations, drops articles, house-number ranges (``1 A 79``) and clerical prefixes (``SPV,``,
``SANS N,``), and strips accents.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

ABBREVIATIONS = {
    "AV": "AVENUE",
    "AVE": "AVENUE",
    "BD": "BOULEVARD",
    "BLD": "BOULEVARD",
    "BLVD": "BOULEVARD",
    "CHE": "CHEMIN",
    "CHEM": "CHEMIN",
    "CH": "CHEMIN",
    "RTE": "ROUTE",
    "PCE": "PLACE",
    "PL": "PLACE",
    "RPT": "ROND-POINT",
    "IMP": "IMPASSE",
    "ALL": "ALLEE",
    "QU": "QUAI",
    "QUA": "QUAI",
    "CRS": "COURS",
    "VOI": "VOIE",
    "TSSE": "TRAVERSE",
    "TRA": "TRAVERSE",
    "ST": "SAINT",
    "STE": "SAINTE",
    "PROM": "PROMENADE",
    "FG": "FAUBOURG",
    "FBG": "FAUBOURG",
    "R": "RUE",
    "SQ": "SQUARE",
}
ARTICLES = {"DU", "DE", "DES", "LA", "LE", "LES"}
_ELIDED = re.compile(r"\b[DL]'\s*")
_PREFIX = re.compile(r"^(?:(?:SPV|PV|SANS N\S*|SANS NUMERO|SANS|NEANT|S/N)\s*,\s*|[,/;.\s-]+)+")
_RANGE = re.compile(r"\s+\d+\s*(?:BIS|TER)?\s+A\s+(?:\d+|FIN)?\b.*$")
_BRACKET = re.compile(r"^(?P<name>[^(]*?)\s*\((?P<kind>[^)]*)\)?\s*(?P<rest>.*)$")


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def street_key(text: str | None) -> str | None:
    """The normalised street name (upper-case ASCII), or None when nothing is left.

    >>> street_key("PRADO (AVENUE DU)"), street_key("ave du prado"), street_key("CANEBIERE (LA) 1 A 79")
    ('AVENUE PRADO', 'AVENUE PRADO', 'CANEBIERE')
    """
    if text is None:
        return None
    name = _ELIDED.sub("", _ascii(text).upper().replace("’", "'"))
    name = _PREFIX.sub("", " ".join(name.split()))
    match = _BRACKET.match(name)
    if match and match.group("kind").strip():
        name = " ".join(
            p for p in (match.group("kind"), match.group("name"), match.group("rest")) if p
        )
    name = _RANGE.sub("", name.replace(",", " ").replace(")", " "))
    words = [ABBREVIATIONS.get(w.rstrip("."), w.rstrip(".")) for w in name.split()]
    words = [w for w in words if w not in ARTICLES]
    return " ".join(words) or None
