"""Plan a drive: where and when to put the teams each week within a budget of team-hours.

The plan is the exports module's (``roadsafety plan``'s rows) made from a published forecast run
(:mod:`dash_app.queries.plan`); the map colours each place by the expected crashes it covers, the
grid (cards on a phone) lists the shifts, and the downloads are the ``plan`` command's CSV and
duty sheets. Analysts and admins only; a district user plans their own district, and a request for
another district is refused and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import flask
from dash import Dash, Input, Output, State, dcc, html, no_update
from flask_login import current_user

from dash_app import i18n, inputs, plan_figures
from dash_app.auth import app_store, audit, require_scope, secured
from dash_app.components import (
    choice,
    control,
    district_control,
    download_buttons,
    heading,
    list_grid,
    notice,
    register_district_options,
    register_download_buttons,
)
from dash_app.downloads import send_export
from dash_app.pages import risk_list
from dash_app.plan_downloads import plan_file
from dash_app.queries import Scope
from dash_app.queries import plan as q
from roadsafety import vocabulary
from roadsafety.config import DEFAULT_PLAN_TEAM_HOURS
from roadsafety.errors import ExportError, NoMatchError
from roadsafety.exports.plan import MAX_SHIFT_HOURS, PlanRequest

PATH = "/plan"
TITLE = vocabulary.label("plan_title")
P = "plan"
ROLES = ("analyst", "admin")
MAX_TEAM_HOURS = 100_000
MAX_DAYS = 91  # 13 weeks
DEFAULT_WEEKS = 4
OBJECTIVES = ("all", "fatal_grievous")
_NUM = {"function": "params.value == null ? '' : d3.format(',.2f')(params.value)"}


def _t(key: str, *args: object) -> str:
    """A page word in the reader's language (English at import: the module-level columns)."""
    return vocabulary.label(key, i18n.current()).format(*args)


COLUMNS = [
    {"field": "rank", "headerName": "#", "width": 58, "pinned": "left"},
    {"field": "window", "headerName": _t("plan_col_when"), "width": 175, "wrapText": True,
     "autoHeight": True},
    {"field": "road_km", "headerName": _t("plan_col_road"), "width": 115, "wrapText": True},
    {"field": "where", "headerName": _t("plan_col_where"), "width": 145, "wrapText": True,
     "autoHeight": True},
    {"field": "police_station", "headerName": _t("plan_police_station"), "width": 130,
     "wrapText": True},
    {"field": "district", "headerName": _t("plan_col_district"), "width": 105},
    {"field": "team_hours_per_week", "headerName": _t("plan_col_team_hours"), "width": 90},
    {"field": "expected_crashes_covered", "headerName": _t("plan_col_crashes"), "width": 105,
     "valueFormatter": _NUM},
    {"field": "expected_fatal_grievous_covered", "headerName": _t("plan_col_fatal_grievous"),
     "width": 100, "valueFormatter": _NUM},
    {"field": "why", "headerName": _t("plan_col_why"), "minWidth": 240, "flex": 1,
     "wrapText": True, "autoHeight": True},
    {"field": "unit_id", "hide": True},
]  # fmt: skip


class PlanInputError(ValueError):
    """A control holds a value the plan cannot use (the message says which and why)."""


@dataclass(frozen=True)
class Asked:
    """The checked request: options, dates and the district it covers."""

    request: PlanRequest
    start: date
    end: date


def allowed(scope: Scope) -> bool:
    """Analysts and admins may plan drives."""
    return scope.role in ROLES


def _controls(today: date) -> html.Div:
    monday = q.next_monday(today)
    shifts = [{"label": f"{h} h", "value": h} for h in range(1, MAX_SHIFT_HOURS + 1)]
    return html.Div(
        className="controls",
        children=[
            district_control(P),
            control(
                _t("plan_police_station"),
                dcc.Dropdown(id=f"{P}-ps", placeholder=_t("plan_all_stations")),
            ),
            control(
                _t("plan_team_hours"),
                dcc.Input(
                    id=f"{P}-hours",
                    type="text",
                    inputMode="decimal",
                    value=f"{DEFAULT_PLAN_TEAM_HOURS:g}",
                    debounce=True,
                    className="plan-number",
                ),
            ),
            control(
                _t("plan_shift_hours"),
                dcc.Dropdown(id=f"{P}-shift", options=shifts, value=3, clearable=False),
            ),
            control(
                _t("plan_objective"),
                choice(
                    f"{P}-objective",
                    [
                        {"label": _t("plan_all_crashes"), "value": "all"},
                        {"label": vocabulary.label("fatal_grievous"), "value": "fatal_grievous"},
                    ],
                    "all",
                ),
            ),
            control(
                _t("plan_dates"),
                dcc.DatePickerRange(
                    id=f"{P}-dates",
                    start_date=monday,
                    end_date=monday + timedelta(weeks=DEFAULT_WEEKS, days=-1),
                    min_date_allowed=today,
                    display_format="DD MMM YYYY",
                    first_day_of_week=1,
                    minimum_nights=0,
                ),
            ),
        ],
    )


def layout(**_: str) -> html.Div:
    """Page skeleton (a refusal for viewers)."""
    head = heading(_t("plan_title"), _t("plan_subtitle"))
    user = current_user if current_user and current_user.is_authenticated else None
    if user is None or user.role not in ROLES:
        return html.Div(className="page", children=[head, notice(_t("plan_analysts_only"), "warn")])
    return html.Div(
        className="page",
        children=[
            head,
            _controls(date.today()),
            dcc.Loading(html.Div(id=f"{P}-summary", className="plan-summary")),
            html.Div(
                className="card",
                children=[
                    html.Div(id=f"{P}-map", className="plan-map"),
                    html.Div(id=f"{P}-legend"),
                ],
            ),
            download_buttons(P, _t("plan_download_pdf")),
            html.Div(
                className="plan-grid",
                children=list_grid(
                    f"{P}-grid",
                    COLUMNS,
                    None,
                    dashGridOptions={"domLayout": "autoHeight", "suppressCellFocus": True},
                    getRowId="params.data.unit_id",
                ),
            ),
            html.Div(id=f"{P}-cards", className="plan-cards"),
            dcc.Download(id=f"{P}-download"),
        ],
    )


def _team_hours(value: object, shift: int) -> float:
    hours = inputs.number(value)
    label = _t("plan_team_hours")
    if hours is None:
        raise PlanInputError(f"{label}: enter a number of hours, e.g. {DEFAULT_PLAN_TEAM_HOURS:g}.")
    if hours <= 0:
        raise PlanInputError(f"{label}: must be more than 0 (got {hours:g}).")
    if hours > MAX_TEAM_HOURS:
        raise PlanInputError(f"{label}: at most {MAX_TEAM_HOURS:,} (got {hours:,.0f}).")
    if hours < shift:
        raise PlanInputError(f"{label}: {hours:g} is less than one shift of {shift} hours.")
    return hours


def _dates(start: object, end: object) -> tuple[date, date]:
    first, last = inputs.day(start), inputs.day(end)
    if first is None or last is None:
        raise PlanInputError(f"{_t('plan_dates')}: choose the first and the last day.")
    if last < first:
        raise PlanInputError(f"{_t('plan_dates')}: the last day is before the first.")
    if (last - first).days + 1 > MAX_DAYS:
        raise PlanInputError(f"{_t('plan_dates')}: at most {MAX_DAYS // 7} weeks at a time.")
    return first, last


def _district(scope: Scope, requested: object) -> str | None:
    """The district to plan: a district user's own; asking for another one is refused."""
    asked = inputs.text(requested)
    if scope.district and asked and asked.casefold() != scope.district.casefold():
        audit("denied", {"asked_district": asked, "scope": scope.district, "page": P})
        raise PlanInputError(_t("plan_other_district", scope.district))
    return scope.district or asked


def read_request(
    scope: Scope,
    district: object,
    ps: object,
    hours: object,
    shift: object,
    objective: object,
    start: object,
    end: object,
) -> Asked:
    """The plan the controls ask for, checked; :class:`PlanInputError` names a bad control."""
    shift = inputs.whole(shift, 1, MAX_SHIFT_HOURS, 3)
    request = PlanRequest(
        _team_hours(hours, shift),
        shift,
        inputs.choice(objective, OBJECTIVES, "all"),
        _district(scope, district),
        inputs.text(ps),
    )
    first, last = _dates(start, end)
    return Asked(request, first, last)


def _make(asked: Asked) -> q.Plan:
    """The plan, or :class:`PlanInputError` saying why there is none."""
    try:
        plan = q.make_plan(app_store(), asked.request, asked.start, asked.end)
    except NoMatchError:
        where = asked.request.police_station or asked.request.district
        raise PlanInputError(f"No place in {where} has a forecast to plan from.") from None
    except ExportError as exc:
        raise PlanInputError(str(exc)) from None
    if plan is None:
        span = q.published_range(app_store())
        covered = f" (forecasts cover {span[0]:%d %b %Y} to {span[1]:%d %b %Y})" if span else ""
        raise PlanInputError(
            f"No published forecast covers {asked.start:%d %b %Y} to {asked.end:%d %b %Y}"
            f"{covered}. Choose other dates, or ask the IT team to run "
            f"`roadsafety forecast --start {asked.start} --end {asked.end}`."
        )
    return plan


def update_plan(*values: object) -> tuple:
    """Summary, map, legend, grid rows and phone cards of the plan the controls ask for."""
    scope = require_scope()
    if not allowed(scope):
        audit("denied", {"what": "plan", "role": scope.role})
        return notice(_t("plan_analysts_only"), "warn"), None, None, [], []
    try:
        asked = read_request(scope, *values)
        plan = _make(asked)
    except PlanInputError as exc:
        return notice(str(exc), "error"), None, None, [], []
    if plan.rows.is_empty():
        text = "No shift covers any expected crash for these options: widen the place or the dates."
        return notice(text, "warn"), None, None, [], []
    tile = flask.current_app.config.get("BASEMAP_URL")
    objective = asked.request.objective
    the_map = plan_figures.plan_map(plan.rows, plan.paths, objective, tile, f"{P}-leaflet")
    rows = plan_figures.grid_rows(plan.rows)
    legend = plan_figures.plan_legend(plan.rows, objective)
    ratios = q.backtest_ratios(app_store(), objective)
    text = plan_figures.plan_summary(plan, asked.request, ratios)
    return text, the_map, legend, rows, plan_figures.plan_cards(rows)


def download(fmt: str, *values: object) -> tuple:
    """(dcc.Download data or no_update, message) for a download button."""
    scope = require_scope()
    if not allowed(scope):
        audit("denied", {"what": f"plan download {fmt}", "role": scope.role})
        return no_update, _t("plan_analysts_only")
    try:
        asked = read_request(scope, *values)
        plan = _make(asked)
    except PlanInputError as exc:
        return no_update, str(exc)
    empty = "Nothing to download for these options." if plan.rows.is_empty() else None
    return send_export(scope, fmt, lambda out: plan_file(asked.request, plan, fmt, out), empty)


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    register_district_options(app, P)
    app.callback(Output(f"{P}-ps", "options"), Input(f"{P}-district", "value"))(
        secured(risk_list.police_station_options)
    )
    controls = [
        Input(f"{P}-{k}", "value") for k in ("district", "ps", "hours", "shift", "objective")
    ] + [Input(f"{P}-dates", "start_date"), Input(f"{P}-dates", "end_date")]
    app.callback(
        Output(f"{P}-summary", "children"),
        Output(f"{P}-map", "children"),
        Output(f"{P}-legend", "children"),
        Output(f"{P}-grid", "rowData"),
        Output(f"{P}-cards", "children"),
        *controls,
    )(secured(update_plan))

    states = [State(c.component_id, c.component_property) for c in controls]
    register_download_buttons(app, P, states, download)
