"""Delhi fatal-crash forms, 2019-2021 (``--format delhi-fatal``): every row is a fatal crash.

``path`` is the ``delhi_fatal_forms`` folder (all year folders) or one year folder. Two layouts:

- TRIP-C crash forms (2019, 2021): ``1_Crash_Form_N.csv`` / ``1_Crash_Table_N.csv``, one row per
  crash with ``FIR_No``, a police-station *code* decoded with the batch's own lookup
  ``Usys1_2_PSDetail_N.csv`` (else ``PS_lookup.csv``), ``Date_Of_Crash`` (dd-mm-yyyy),
  ``Time_Of_Crash`` and ``GPS_Lat``/``GPS_Long``. Integer-only coordinates (``29``, ``77``, ``0``:
  what the 2021 tables hold) are too coarse and count as missing; then a ``* geocoded.csv`` in
  the folder (FIR_No, PS_Name, Latitude, Longitude; station names matched without spaces, after
  ``ps_name_change.csv`` corrections) supplies them. Swapped pairs (latitude > longitude, which
  cannot happen in India) are swapped back; pairs of two latitudes or two longitudes are dropped. ``00:00`` times (a placeholder in 2021) count as
  unknown.
- the 2020 sheet ``Fatal crash data 2020_corrected.csv`` (police station by name, ``17-Jan-20``
  dates, 24 h times or ``Unknown``, geocoordinates, total killed/injured).

``accident_id`` is ``POLICE STATION/FIR/YEAR`` like the FIR register. A crash entered in two form
batches keeps its first entry; the repeat is rejected naming the first. When two entries share
FIR number, date and time but carry different station codes, the one with coordinates is kept. Crash dates outside the
folder's year (typing slips such as 2022 or 2109) are rejected.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from roadsafety.features.text import name_key
from roadsafety.sources.base import SourceBatch, SourceError
from roadsafety.sources.batching import finish_batch, reject_when, require_columns
from roadsafety.sources.delhi import DISTRICT, road_category

SOURCE = "delhi_fatal"
SHEET_2020 = "Fatal crash data 2020_corrected.csv"
_FORMS = re.compile(r"^1_Crash_(Form|Table)_(\d+)\.csv$")


def _read(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_csv(path, infer_schema_length=0, encoding="latin1")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise SourceError(f"{path}: not readable as CSV ({exc})") from exc
    return frame.rename({c: c.strip() for c in frame.columns})


def _lookup(folder: Path, batch: str) -> dict[str, str]:
    for name in (f"Usys1_2_PSDetail_{batch}.csv", "PS_lookup.csv", "PSDetail.csv"):
        if (folder / name).is_file():
            table = _read(folder / name)
            require_columns(folder / name, table.columns, ("PS_ID", "PS_Name"))
            return dict(zip(table["PS_ID"].str.strip_chars(), table["PS_Name"].str.strip_chars()))
    raise SourceError(
        f"{folder}: no police-station lookup (Usys1_2_PSDetail_{batch}.csv or PS_lookup.csv)"
    )


def _coordinate(text: pl.Expr) -> pl.Expr:
    """A GPS value with decimals; integer-only values (0, 29, 77) are too coarse → null."""
    text = text.str.strip_chars()
    value = text.cast(pl.Float64, strict=False)
    return pl.when(text.str.contains(r"\.\d*[1-9]") & (value != 0)).then(value)


FORM_COLUMNS = (
    "FIR_No",
    "Police_Station",
    "Date_Of_Crash",
    "Time_Of_Crash",
    "GPS_Lat",
    "GPS_Long",
    "No_Of_ Fatalities",
    "No_Of_ Injured",
    "Road_1",
    "Road_2",
    "Road_3",
    "Collision_Type",
)
SHEET_COLUMNS = (
    "FIR No.",
    "Police station",
    "Date of crash",
    "Time of crash (24 hr format)",
    "Geocordinates (Latitude)",
    "Geocordinates (longitude)",
    "Total killed",
    "Total injured",
    "Road name",
    "Responsible road user",
    "Place of occurrence",
)


def _forms(path: Path, batch: str) -> pl.DataFrame:
    frame, names = _read(path), _lookup(path.parent, batch)
    require_columns(path, frame.columns, FORM_COLUMNS)
    return frame.select(
        pl.lit(f"{path.parent.name}/{path.name}").alias("file"),
        pl.col("FIR_No").alias("FIR"),
        pl.col("Police_Station").alias("PS_code"),
        pl.col("Police_Station").str.strip_chars().replace_strict(names, default=None).alias("PS"),
        pl.col("Date_Of_Crash").alias("date"),
        pl.col("Time_Of_Crash").alias("time"),
        pl.col("GPS_Lat").alias("lat"),
        pl.col("GPS_Long").alias("lon"),
        pl.col("No_Of_ Fatalities").alias("killed"),
        pl.col("No_Of_ Injured").alias("injured"),
        pl.col("Road_1").alias("road"),
        pl.col("Collision_Type").alias("cause"),
        pl.concat_str(
            [pl.col("Road_1"), pl.col("Road_2"), pl.col("Road_3")],
            separator=", ",
            ignore_nulls=True,
        ).alias("place"),
    )


def _sheet_2020(path: Path) -> pl.DataFrame:
    frame = _read(path)
    require_columns(path, frame.columns, SHEET_COLUMNS)
    return frame.select(
        pl.lit(f"{path.parent.name}/{path.name}").alias("file"),
        pl.col("FIR No.").alias("FIR"),
        pl.lit(None, pl.Utf8).alias("PS_code"),
        pl.col("Police station").alias("PS"),
        pl.col("Date of crash").alias("date"),
        pl.col("Time of crash (24 hr format)").alias("time"),
        pl.col("Geocordinates (Latitude)").alias("lat"),
        pl.col("Geocordinates (longitude)").alias("lon"),
        pl.col("Total killed").alias("killed"),
        pl.col("Total injured").alias("injured"),
        pl.col("Road name").alias("road"),
        pl.col("Responsible road user").alias("cause"),
        pl.col("Place of occurrence").alias("place"),
    )


def _station_key(name: pl.Expr, renames: dict[str, str]) -> pl.Expr:
    """Spaceless upper-case station name, with the folder's spelling corrections applied."""
    squeezed = name.str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    return squeezed.replace(renames)


def _geocodes(folder: Path) -> tuple[pl.DataFrame, dict[str, str]] | None:
    """``station key, FIR → lat, lon`` from a ``* geocoded.csv`` beside the forms, if any."""
    found = sorted(folder.glob("*geocoded.csv"))
    if not found:
        return None
    renames: dict[str, str] = {}
    if (folder / "ps_name_change.csv").is_file():
        change = _read(folder / "ps_name_change.csv")
        require_columns(folder / "ps_name_change.csv", change.columns, ("wrong", "correct"))
        renames = dict(zip(change["wrong"], change["correct"]))
    geo = _read(found[0])
    require_columns(found[0], geo.columns, ("FIR_No", "PS_Name", "Latitude", "Longitude"))
    return geo.select(
        _station_key(pl.col("PS_Name"), renames).alias("_ps_key"),
        pl.col("FIR_No").str.extract(r"(\d+)").cast(pl.Int64).alias("_fir_key"),
        pl.col("Latitude").alias("geo_lat"),
        pl.col("Longitude").alias("geo_lon"),
        pl.lit(found[0].name).alias("geo_file"),
    ).unique(["_ps_key", "_fir_key"], keep="first"), renames


def _with_geocodes(table: pl.DataFrame, folder: Path) -> pl.DataFrame:
    geo = _geocodes(folder)
    if geo is None:
        return table.with_columns(
            pl.lit(None, pl.Utf8).alias(c) for c in ("geo_lat", "geo_lon", "geo_file")
        )
    codes, renames = geo
    keyed = table.with_columns(
        _station_key(pl.col("PS"), renames).alias("_ps_key"),
        pl.col("FIR").str.extract(r"(\d+)").cast(pl.Int64).alias("_fir_key"),
    )
    return keyed.join(codes, on=["_ps_key", "_fir_key"], how="left").drop("_ps_key", "_fir_key")


def _year_tables(folder: Path) -> list[pl.DataFrame]:
    forms = sorted((p for p in folder.iterdir() if _FORMS.match(p.name)), key=lambda p: p.name)
    tables = [_with_geocodes(_forms(p, _FORMS.match(p.name).group(2)), folder) for p in forms]
    if not tables and (folder / SHEET_2020).is_file():
        tables = [_with_geocodes(_sheet_2020(folder / SHEET_2020), folder)]
    return [t.with_columns(pl.lit(int(folder.name)).alias("folder_year")) for t in tables]


def _collect(path: Path) -> pl.DataFrame:
    if not path.is_dir():
        raise SourceError(
            f"{path}: expected the delhi_fatal_forms folder or one of its year folders"
        )
    years = (
        [path]
        if path.name.isdigit()
        else sorted(p for p in path.iterdir() if p.is_dir() and p.name.isdigit())
    )
    tables = [t for y in years for t in _year_tables(y)]
    if not tables:
        raise SourceError(
            f"{path}: no crash forms (1_Crash_Form_N.csv / 1_Crash_Table_N.csv) or {SHEET_2020} found"
        )
    return pl.concat(
        [
            t.cast(pl.Utf8).with_columns(
                pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("file_row"),
                pl.col("folder_year").cast(pl.Int64),
            )
            for t in tables
        ],
        how="vertical",
    )


def _coordinates() -> tuple[pl.Expr, pl.Expr]:
    """Form GPS, else the geocoded file's; swapped pairs (lat > lon, impossible in India) fixed."""
    form_ok = _coordinate(pl.col("lat")).is_not_null() & _coordinate(pl.col("lon")).is_not_null()
    lat = (
        pl.when(form_ok).then(_coordinate(pl.col("lat"))).otherwise(_coordinate(pl.col("geo_lat")))
    )
    lon = (
        pl.when(form_ok).then(_coordinate(pl.col("lon"))).otherwise(_coordinate(pl.col("geo_lon")))
    )
    swapped = lat > lon
    # Both values latitudes (or both longitudes): the pair cannot be placed.
    same_axis = (lat - lon).abs() < 20
    lat, lon = pl.when(swapped).then(lon).otherwise(lat), pl.when(swapped).then(lat).otherwise(lon)
    return pl.when(~same_axis).then(lat), pl.when(~same_axis).then(lon)


def _timestamp() -> pl.Expr:
    text = pl.col("date").str.strip_chars()
    date = pl.coalesce(
        text.str.strptime(pl.Date, "%d-%m-%Y", strict=False),
        text.str.strptime(pl.Date, "%d-%b-%y", strict=False),
    )
    time = pl.col("time").str.strip_chars().str.strptime(pl.Time, "%H:%M", strict=False)
    day = date.dt.strftime("%Y-%m-%d")
    known = time.is_not_null() & (time != pl.time(0, 0))
    return pl.when(known).then(pl.format("{} {}", day, time.dt.strftime("%H:%M"))).otherwise(day)


def _mark_repeats(frame: pl.DataFrame) -> pl.DataFrame:
    """Flag repeated entries of one crash, keeping the best entry of each.

    Best = valid, then located (its station matched the geocoded list), then first read. Groups:
    the same ``accident_id``; and the same FIR number, date and time (``_crash``) under another
    station code.
    """
    order = (
        pl.col("_invalid").cast(pl.Int64) * 2 + pl.col("latitude").is_null().cast(pl.Int64)
    ) * 10**9 + pl.col("source_row")
    frame = frame.with_columns(order.alias("_order"))
    best = pl.col("_order").min()
    return frame.with_columns(
        (pl.col("_order") == best.over("accident_id")).alias("_first"),
        pl.col("file").sort_by("_order").first().over("accident_id").alias("_first_file"),
        pl.col("file_row").sort_by("_order").first().over("accident_id").alias("_first_row"),
        (pl.col("_crash").is_null() | (pl.col("_order") == best.over("_crash"))).alias(
            "_first_crash"
        ),
        pl.col("accident_id").sort_by("_order").first().over("_crash").alias("_crash_id"),
    )


def read_delhi_fatal(path: Path) -> SourceBatch:
    """Read the Delhi fatal-crash forms folder (or one year folder) into canonical accidents."""
    frame = _collect(Path(path))
    fir = pl.col("FIR").str.extract(r"(\d+)").str.replace(r"^0+(\d)", "$1")
    lat, lon = _coordinates()
    located = lat.is_not_null() & lon.is_not_null()
    road = name_key(pl.col("road"))
    parsed = frame.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
        _timestamp().alias("occurred_at"),
        name_key(pl.col("PS")).alias("police_station"),
        pl.when(located).then(lat).alias("latitude"),
        pl.when(located).then(lon).alias("longitude"),
        pl.lit("fatal").alias("severity"),
        pl.col("killed").str.strip_chars().cast(pl.Int32, strict=False).alias("killed"),
        pl.col("injured").str.strip_chars().cast(pl.Int32, strict=False).alias("injured"),
        pl.lit(DISTRICT).alias("district"),
        road.alias("road_name"),
        road_category(road).alias("road_category"),
        pl.col("cause").str.strip_chars().alias("cause"),
        pl.struct(pl.all().exclude("folder_year")).struct.json_encode().alias("raw"),
    )
    year = pl.col("occurred_at").str.slice(0, 4)
    parsed = _mark_repeats(
        parsed.with_columns(
            pl.format("{}/{}/{}", pl.col("police_station"), fir, year).alias("accident_id"),
            pl.when(pl.col("occurred_at").str.len_chars() > 10)
            .then(pl.format("{}/{}", fir, pl.col("occurred_at")))
            .alias("_crash"),
            (
                pl.col("police_station").is_null()
                | fir.is_null()
                | pl.col("occurred_at").is_null()
                | (year.cast(pl.Int64) != pl.col("folder_year"))
            ).alias("_invalid"),
        )
    )
    parsed = parsed.with_columns(
        reject_when(
            [
                (
                    pl.col("police_station").is_null(),
                    "PS_code",
                    "police station missing or not in the lookup",
                ),
                (fir.is_null(), "FIR", "missing FIR number"),
                (pl.col("occurred_at").is_null(), "date", "crash date not readable"),
                (
                    year.cast(pl.Int64) != pl.col("folder_year"),
                    "date",
                    "crash date outside the folder's year",
                ),
                (
                    ~pl.col("_first"),
                    "FIR",
                    "same crash (station/FIR/year) entered twice; other entry kept",
                    pl.format(
                        "{} = {} row {}",
                        pl.col("accident_id"),
                        pl.col("_first_file"),
                        pl.col("_first_row"),
                    ),
                ),
                (
                    ~pl.col("_first_crash"),
                    "PS_code",
                    "same FIR, date and time entered under another police station; other entry kept",
                    pl.format("{} (kept {})", pl.col("accident_id"), pl.col("_crash_id")),
                ),
            ]
        )
    )
    return finish_batch("accidents", SOURCE, Path(path), frame.height, parsed)
