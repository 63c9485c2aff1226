"""Corridor detail: one unit (or a merged corridor's cells): forecast, why, history, recent records."""

from __future__ import annotations

from datetime import date

import dash_ag_grid as dag
import polars as pl
from dash import Dash, Input, Output, State, dcc, html

from dash_app import figures, i18n, inputs, queries
from dash_app.auth import app_store, audit, require_scope, secured
from dash_app.components import control, graph_card, heading, notice
from dash_app.i18n import t

PATH = "/corridor"
UNIT_MAX = 300  # longest unit id accepted from a link or a dropdown
TITLE = "Corridor detail"
P = "corridor"
LABELLED = {"severity": "severity", "offence": "offence", "cause": "offence"}  # field -> vocabulary


def grid_columns(spec: tuple[tuple[str, str, int], ...]) -> list[dict]:
    """ag-grid column definitions from ``(field, header key, min width)`` triples; stored keys
    (severity, offence, a cause that is an offence key) shown as the vocabulary's labels."""
    lang = i18n.current()
    return [
        {"field": f, "headerName": t(h), "minWidth": w}
        | ({"valueFormatter": figures.label_formatter(LABELLED[f], lang)} if f in LABELLED else {})
        for f, h, w in spec
    ]


CRASH_SPEC = (
    ("occurred_at", "col.when", 150),
    ("severity", "col.severity", 120),
    ("killed", "col.killed", 80),
    ("injured", "col.injured", 80),
    ("road_name", "col.road", 110),
    ("chainage_km", "col.km", 70),
    ("police_station", "col.station", 140),
    ("vehicle_types", "col.vehicles", 120),
    ("cause", "col.cause", 130),
)
CHALLAN_SPEC = (
    ("issued_at", "col.when", 150),
    ("offence", "col.offence", 140),
    ("challan_type", "col.type", 90),
    ("vehicle_class", "col.vehicle", 110),
    ("fine_amount", "col.fine", 100),
    ("camera_id", "col.camera", 110),
)


def layout(unit: str | None = None, cells: str | None = None, **_: str) -> html.Div:
    """Page skeleton; ``unit`` (and a merged corridor's ``cells``) come from the link."""
    return html.Div(
        className="page",
        children=[
            heading(t("page.corridor"), t("corridor.subtitle")),
            html.Div(
                className="controls",
                children=[
                    control(
                        t("corridor.pick"),
                        dcc.Dropdown(
                            id=f"{P}-pick",
                            value=unit,
                            options=[{"label": unit, "value": unit}] if unit else [],
                            placeholder=t("corridor.pick_hint"),
                        ),
                        wide=True,
                    )
                ],
            ),
            dcc.Store(id=f"{P}-cells", data=cells),
            dcc.Loading(html.Div(id=f"{P}-body")),
        ],
    )


def place_name(row: dict, km: str = "") -> str:
    """A place as officers name it: road and km, else police station, else its coordinates
    (never a raw map-cell id)."""
    road = row.get("road_name")
    station = row.get("police_station")
    if road:
        where = ", ".join(x for x in (station, row.get("district")) if x)
        return f"{road}{km}" + (f" - {where}" if where else "")
    if station:
        return ", ".join(x for x in (station, row.get("district")) if x)
    if row.get("latitude") is not None and row.get("longitude") is not None:
        return t("corridor.near", lat=f"{row['latitude']:.4f}", lon=f"{row['longitude']:.4f}")
    return t("map.unnamed")


def pick_options(_: str, current: str | None) -> list[dict]:
    """The caller's top 100 units of the 7-day forecast (plus the linked unit, by its name)."""
    scope = require_scope()
    current = inputs.text(current, UNIT_MAX)
    units = queries.forecast_units(app_store(), 7, scope.district)
    top = units.sort("rank").head(100)
    opts = [
        {"label": f"#{r['rank']} {place_name(r)}", "value": r["unit_id"]}
        for r in top.iter_rows(named=True)
    ]
    if current and current not in {o["value"] for o in opts}:
        match = units.filter(pl.col("unit_id") == current) if not units.is_empty() else units
        name = place_name(match.row(0, named=True)) if match.height else current
        opts.insert(0, {"label": name, "value": current})
    return opts


def unit_ids_of(unit: str, cells: object) -> tuple[str, ...]:
    """Units to read: a merged corridor's valid H3 cells (maybe none), else the unit itself."""
    if cells:
        return inputs.h3_cells(cells)
    return (unit,)


def range_text(lo: float | None, hi: float | None) -> str | None:
    """'80% range 0.2 - 1.4', or None when the range says nothing (missing, or 0.0 - 0.0)."""
    if lo is None or hi is None or round(hi, 1) <= 0:
        return None
    return t("corridor.range80", lo=figures.fmt_num(lo, 1), hi=figures.fmt_num(hi, 1))


def forecast_card(fc: pl.DataFrame, days: int) -> html.Div:
    """Expected crashes (with 80% range), fatal+grievous, band and peak time for one window."""
    part = fc.filter(pl.col("days") == days)
    title = html.Div(t("ctl.next_days", days=days), className="kpi-title")
    if part.is_empty():
        return html.Div(className="kpi-card", children=[title, t("corridor.no_forecast")])
    r = part.row(0, named=True)
    spread = range_text(r["lo80"], r["hi80"])
    band = r["risk_band"]
    return html.Div(
        className="kpi-card",
        children=[
            title,
            html.Div(
                [
                    html.Span(figures.fmt_num(r["expected_crashes"], 2), className="kpi-value"),
                    html.Span(t("kpi.crashes"), className="kpi-unit"),
                ]
            ),
            html.Div(spread, className="kpi-delta") if spread else None,
            html.Div(
                [
                    html.Span(
                        figures.fmt_num(r["expected_fatal_grievous"], 2),
                        className="kpi-value kpi-severe",
                    ),
                    html.Span(t("kpi.severe"), className="kpi-unit"),
                ]
            ),
            html.Div(
                [
                    t("corridor.band"),
                    html.Span(i18n.key_label(band), className=f"band band-{band}"),
                    t("corridor.rank", rank=r["rank"]) if r["rank"] else "",
                ],
                className="kpi-delta",
            ),
            html.Div(t("corridor.peak", peak=i18n.window(r["peak_window"])), className="kpi-delta"),
        ],
    )


def summarise_forecasts(fc: pl.DataFrame) -> pl.DataFrame:
    """One row per run: summed expectations over a corridor's cells, the dominant cell's texts."""
    if fc.is_empty():
        return fc
    fc = fc.with_columns(
        ((pl.col("run_end") - pl.col("run_start")).dt.total_days() + 1).alias("days")
    )
    return (
        fc.sort("rank")
        .group_by("run_id", "days", maintain_order=True)
        .agg(
            pl.col("expected_crashes").sum(),
            pl.col("expected_fatal_grievous").sum(),
            pl.col("crashes_lo80").sum().alias("lo80"),
            pl.col("crashes_hi80").sum().alias("hi80"),
            pl.col("risk_band").first(),
            pl.col("rank").min(),
            pl.col("peak_window").first(),
            pl.col("top_factors").first(),
        )
    )


def blackspot_text(b: dict) -> str:
    """The MoRTH rule's verdict over the last 3 calendar years."""
    key = "corridor.blackspot_yes" if b["blackspot"] else "corridor.blackspot_no"
    return t(key, fg=b["fatal_grievous"], deaths=b["deaths"], years=b["years"])


def counts_text(detail: queries.snap.UnitDetail, n: int) -> str:
    """Crashes of the last 3 years over every cell of the place (not only the riskiest one)."""
    crashes = int(detail.monthly["crashes"].sum()) if not detail.monthly.is_empty() else 0
    severe = int(detail.monthly["fatal_grievous"].sum()) if not detail.monthly.is_empty() else 0
    if n > 1:
        return t("corridor.cells", n=n, crashes=crashes, severe=severe)
    return t("corridor.one", crashes=crashes, severe=severe)


def _title(detail: queries.snap.UnitDetail) -> str:
    """Road and km span (or station, or coordinates) of the unit or corridor."""
    if detail.units.is_empty():
        f = detail.forecasts
        return place_name(f.row(0, named=True) if not f.is_empty() else {})
    km = (
        f" km {detail.units['km_from'].min():g}-{detail.units['km_to'].max():g}"
        if detail.units["km_from"].null_count() == 0
        else ""
    )
    named = detail.units.sort(pl.col("road_name").is_null())  # a named road first
    return place_name(named.row(0, named=True), km)


def _grid(spec: tuple, frame: pl.DataFrame) -> dag.AgGrid:
    return dag.AgGrid(
        columnDefs=grid_columns(spec),
        rowData=figures.records(frame),
        className="ag-theme-alpine",
        dashGridOptions={"suppressCellFocus": True},
        style={"width": "100%", "height": "340px"},
    )


def detail_body(detail: queries.snap.UnitDetail, unit: str, last: date) -> html.Div:
    """Everything shown for one unit or corridor (``last``: the last day of data shown)."""
    fc = summarise_forecasts(detail.forecasts)
    factors = (fc["top_factors"][0] or "") if not fc.is_empty() else ""
    b = detail.blackspot
    mix = ", ".join(
        f"{i18n.key_label(r['offence'])} {r['challans']}"
        for r in detail.challan_mix.iter_rows(named=True)
    ) or t("corridor.none")
    n = max(detail.units.height, detail.forecasts["unit_id"].n_unique() if fc.height else 0, 1)
    profile = detail.profile
    return html.Div(
        children=[
            html.H3(_title(detail), className="place-title"),
            html.P(counts_text(detail, n), className="muted"),
            html.Div(className="kpis", children=[forecast_card(fc, 7), forecast_card(fc, 30)]),
            html.Div(
                className="card",
                children=[
                    html.H3(t("corridor.why_many" if n > 1 else "corridor.why")),
                    html.Ul([html.Li(f) for f in factors.split("; ") if f]) or "-",
                    html.P(
                        blackspot_text(b),
                        className="notice notice-warn" if b["blackspot"] else "notice",
                    ),
                ],
            ),
            html.Div(
                className="grid-2",
                children=[
                    graph_card(
                        figure=figures.history_figure(
                            detail.monthly, t("corridor.monthly"), last=last
                        )
                    ),
                    graph_card(figure=figures.heatmap_figure(profile, t("corridor.when")))
                    if not profile.is_empty()
                    else html.Div(notice(t("fig.no_timed")), className="card"),
                ],
            ),
            html.Div(
                className="card",
                children=[html.H3(t("corridor.crashes")), _grid(CRASH_SPEC, detail.crashes)],
            ),
            html.Div(
                className="card",
                children=[
                    html.H3(t("corridor.challans")),
                    html.P(t("corridor.mix", mix=mix), className="muted"),
                    _grid(CHALLAN_SPEC, detail.challans),
                ],
            ),
        ]
    )


def update(unit: str | None, cells: str | None) -> object:
    """Detail of the chosen unit, if the caller's scope covers its district."""
    scope = require_scope()
    store = app_store()
    unit = inputs.text(unit, UNIT_MAX)
    if not unit:
        return notice(t("corridor.choose"))
    ids = unit_ids_of(unit, cells if unit.startswith("corridor:") else None)
    if ids == (unit,):
        ids = queries.members_of(store, unit)  # a run of road stretches
    if not ids:
        return notice(t("corridor.no_cells"), "error")
    detail = queries.unit_detail(store, ids, scope.district)
    districts = set(detail.units["district"].to_list()) if not detail.units.is_empty() else {None}
    if not all(scope.allows(d) for d in districts):
        audit("denied", {"asked_unit": unit, "scope": scope.district})
        return notice(t("corridor.outside"), "error")
    if detail.units.is_empty() and detail.forecasts.is_empty():
        return notice(t("corridor.unknown"), "error")
    return detail_body(detail, unit, queries.data_end(store))


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    app.callback(
        Output(f"{P}-pick", "options"), Input(f"{P}-pick", "id"), State(f"{P}-pick", "value")
    )(secured(pick_options))
    app.callback(
        Output(f"{P}-body", "children"), Input(f"{P}-pick", "value"), State(f"{P}-cells", "data")
    )(secured(update))
