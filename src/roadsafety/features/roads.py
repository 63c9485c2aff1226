"""Road names, km bins and stretch units (pure Polars, no I/O).

One place decides how a road is named and cut into stretches, for every source adapter, the ingest,
the units, the features, the blackspot rule and the exports.

**Road names** (:func:`normalise_road_name`; the rules are documented in docs/mapping.md):

1. Trim, collapse white space, upper-case; a dot becomes a space; en/em dashes become ``-`` and the
   spaces around a hyphen go (``Gurugram - Faridabad Rd.`` → ``GURUGRAM-FARIDABAD ROAD``).
2. Runs of two or more single letters join (``M. G. Road`` → ``MG ROAD``, ``N.H. 44`` → ``NH 44``);
   the word ``RD`` becomes ``ROAD``.
3. A whole name that is a designation — a class then a number, with any of ``-``, ``/``, space, ``NO``
   between — is written ``CLASS-NUMBER`` with leading zeros dropped: ``NH 44``, ``nh44``,
   ``National Highway No. 044`` → ``NH-44``; ``sh 10a`` → ``SH-10A``. Classes: ``NH`` (national
   highway), ``SH`` (state highway), ``MDR`` (major district road), ``ODR`` (other district road),
   ``NE`` (national expressway), spelled as letters or in words.
4. Anything else (urban streets, French ``D906 (13)``) keeps the text of rules 1–2. Empty → null.

**Stretches.** A record with a road name and a km marker (``chainage_km``) but no usable
coordinates belongs to the stretch unit ``ROAD | km A-B``: the fixed-length bin of that road
(``[A, B)``, ``B = A + length``) holding the marker, edges formatted with ``:g`` (``NH-44 | km 65-66``;
0.5 km bins ``NH-44 | km 65.5-66``). A marker on an edge starts the next bin (km 66.0 is in
``km 66-67``). Bins are the same for every source.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import polars as pl

STRETCH_MARK = " | km "
_STRETCH_RE = re.compile(r"^(?P<road>.+) \| km (?P<a>\d+(?:\.\d+)?)-(?P<b>\d+(?:\.\d+)?)$")
_CLASSES = {
    "NH": ("NH", "NATIONAL HIGHWAY", "NATIONAL HWY", "NAT HWY"),
    "SH": ("SH", "STATE HIGHWAY", "STATE HWY"),
    "MDR": ("MDR", "MAJOR DISTRICT ROAD"),
    "ODR": ("ODR", "OTHER DISTRICT ROAD"),
    "NE": ("NE", "NATIONAL EXPRESSWAY"),
}
_ALIASES = sorted(
    ((a, c) for c, names in _CLASSES.items() for a in names), key=lambda p: -len(p[0])
)
_DESIGNATION_RE = re.compile(
    r"^(?P<cls>"
    + "|".join(re.escape(a) for a, _ in _ALIASES)
    + r")(?:\s*[-/]\s*|\s+)?(?:NO\s*)?(?P<num>\d+[A-Z]{0,2})$"
)
_CLASS_OF = dict(_ALIASES)
_EPS = 1e-9


def _single_letter_runs(text: str) -> str:
    """Join runs of two or more one-letter words (``M G ROAD`` → ``MG ROAD``)."""
    out: list[str] = []
    run: list[str] = []
    for word in [*text.split(" "), ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        out += ["".join(run)] if len(run) > 1 else run
        run = []
        if word:
            out.append(word)
    return " ".join(out)


@lru_cache(maxsize=65_536)
def normalise_road_name(name: str | None) -> str | None:
    """The one spelling of a road name (rules in the module docstring); None when empty.

    Examples: ``"NH 44"``, ``"NH-44"``, ``"National Highway 44"``, ``"nh44"`` → ``"NH-44"``;
    ``"M.G. Rd"`` → ``"MG ROAD"``.
    """
    if name is None:
        return None
    text = str(name).upper().replace(".", " ").replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"\s*-\s*", "-", re.sub(r"\s+", " ", text).strip())
    text = re.sub(r"\bRD\b", "ROAD", _single_letter_runs(text))
    if not text:
        return None
    match = _DESIGNATION_RE.match(text)
    if match:
        number = match["num"].lstrip("0") or "0"
        return f"{_CLASS_OF[match['cls']]}-{number}"
    return text


def normalise_road_names(names: pl.Series) -> pl.Series:
    """:func:`normalise_road_name` over a column (each distinct name computed once)."""
    distinct = names.drop_nulls().unique().to_list()
    mapping = {n: normalise_road_name(n) for n in distinct}
    return names.replace_strict(mapping, default=None, return_dtype=pl.Utf8).rename(names.name)


def with_normalised_roads(frame: pl.DataFrame, column: str = "road_name") -> pl.DataFrame:
    """``frame`` with ``column`` normalised (unchanged when the column is absent)."""
    if column not in frame.columns:
        return frame
    return frame.with_columns(normalise_road_names(frame[column].cast(pl.Utf8)))


def format_km(km: float) -> str:
    """A bin edge as written in unit ids (``65``, ``65.5``)."""
    return f"{round(km, 6):g}"


def km_bin_start(km: float, length: float) -> float:
    """Start of the ``length``-km bin holding ``km`` (a marker on an edge starts the next bin)."""
    return round(math.floor(km / length + _EPS) * length, 6)


def stretch_id(road: str, km_from: float, km_to: float) -> str:
    """``ROAD | km A-B`` for a normalised road name and bin edges."""
    return f"{road}{STRETCH_MARK}{format_km(km_from)}-{format_km(km_to)}"


def parse_stretch_id(unit_id: str | None) -> tuple[str, float, float] | None:
    """``(road, km_from, km_to)`` of a stretch unit id, or None for any other unit."""
    match = _STRETCH_RE.match(unit_id or "")
    if not match:
        return None
    return match["road"], float(match["a"]), float(match["b"])


def stretch_columns(frame: pl.DataFrame, length: float) -> pl.DataFrame:
    """Add ``stretch_unit, km_from, km_to`` from normalised ``road_name`` and ``chainage_km``.

    Rows without both get nulls. ``length`` is the bin length in km (> 0).
    """
    if length <= 0:
        raise ValueError(f"stretch length must be positive, got {length}")
    start = ((pl.col("chainage_km") / length + _EPS).floor() * length).round(6)
    has = pl.col("road_name").is_not_null() & pl.col("chainage_km").is_not_null()
    out = frame.with_columns(
        pl.when(has).then(start).alias("km_from"),
        pl.when(has).then((start + length).round(6)).alias("km_to"),
    )
    keys = out.filter(has).select("road_name", "km_from", "km_to").unique()
    ids = keys.with_columns(
        pl.Series(
            "stretch_unit",
            [stretch_id(r, a, b) for r, a, b in keys.iter_rows()],
            dtype=pl.Utf8,
        )
    )
    return out.join(ids, on=["road_name", "km_from", "km_to"], how="left", maintain_order="left")


def stretch_attributes(unit_ids: pl.Series) -> pl.DataFrame:
    """``unit_id, stretch_road, km_from, km_to`` parsed from unit ids (nulls for other units)."""
    parsed = [parse_stretch_id(u) for u in unit_ids.to_list()]
    return pl.DataFrame(
        {
            "unit_id": unit_ids,
            "stretch_road": [p[0] if p else None for p in parsed],
            "km_from": [p[1] if p else None for p in parsed],
            "km_to": [p[2] if p else None for p in parsed],
        },
        schema={
            "unit_id": pl.Utf8,
            "stretch_road": pl.Utf8,
            "km_from": pl.Float64,
            "km_to": pl.Float64,
        },
    )


def stretch_neighbours(unit_ids: list[str], k: int) -> list[tuple[str, str]]:
    """``(unit_id, neighbour_id)`` for stretches exactly ``k`` bins before or after on the same road.

    The neighbour need not exist (it then simply has no crashes). Bin length is each stretch's own.
    """
    pairs = []
    for unit in unit_ids:
        parsed = parse_stretch_id(unit)
        if parsed is None:
            continue
        road, a, b = parsed
        length = b - a
        for step in (-k, k):
            start = round(a + step * length, 6)
            if start >= -_EPS:
                pairs.append((unit, stretch_id(road, start, round(start + length, 6))))
    return pairs
