"""Figure builders: pure functions from Polars frames to Plotly figures / Dash components (maps:
:mod:`dash_app.maps`).

No data access here (frames come from :mod:`dash_app.queries`), so every builder is tested directly.

Text from the data (road, station and district names, peak windows) is markup-escaped with
:func:`plain` wherever it reaches a renderer that reads HTML: Leaflet tooltips and popups
(``properties.tooltip`` is set as ``innerHTML``) and Plotly's pseudo-HTML labels, hover texts and
titles. Dash components (``html.*``, grids, dropdowns) render text as text and need no escaping.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from html import escape

import plotly.graph_objects as go
import polars as pl
from dash import html

from dash_app.i18n import band_labels, current, t
from roadsafety import vocabulary
from roadsafety.vocabulary import date_label, label

BAND_COLORS = vocabulary.BAND_COLOURS
BAND_LABELS = vocabulary.labels("band")
DAYS = vocabulary.DAYS
ACCENT = vocabulary.BAND_COLOURS["very_high"]  # forecast line, fatal+grievous bars


def label_formatter(group: str, lang: str = "en") -> dict:
    """An ag-grid ``valueFormatter`` showing a vocabulary's labels for its keys (others as they are)."""
    lookup = json.dumps(vocabulary.labels(group, lang))
    return {"function": f"({lookup})[params.value] || params.value"}


BAND_FORMATTER = label_formatter("band")


def window_formatter(lang: str = "en") -> dict:
    """An ag-grid ``valueFormatter`` writing a peak window's day words in ``lang``."""
    days = dict(zip(vocabulary.DAYS, vocabulary.DAY_LABELS[lang]))
    days[vocabulary.DAILY] = vocabulary.label(vocabulary.DAILY, lang)
    chain = "".join(f".split({json.dumps(k)}).join({json.dumps(w)})" for k, w in days.items())
    return {"function": f"params.value == null ? '' : params.value{chain}"}


def band_css() -> str:
    """CSS for ``band band-<key>`` cells and badges, in the vocabulary's band colours."""
    return " ".join(
        f".band-{band} {{ background: {colour}; color: {vocabulary.BAND_TEXT_COLOURS[band]}; }}"
        for band, colour in vocabulary.BAND_COLOURS.items()
    )


FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}


def _base_layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        height=height,
        font=FONT,
        margin={"l": 48, "r": 16, "t": 48, "b": 40},
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend={"orientation": "h", "y": -0.18, "x": 0},
        hovermode="x unified",
    )
    fig.update_xaxes(showgrid=False, linecolor="#888")
    fig.update_yaxes(gridcolor="#e5e5e5", rangemode="tozero")
    return fig


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        showarrow=False,
        font={"size": 14, "color": "#555"},
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _base_layout(fig, "", height=220)


def fmt_num(value: float | None, digits: int = 1) -> str:
    """Readable number: thousands separators, ``-`` for missing."""
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if digits else f"{round(value):,}"


def change_text(forecast: float, last_year: float) -> str:
    """'+12% vs 100 on the same weekdays last year' ('no crashes ...' when zero)."""
    if not last_year:
        return t("kpi.no_last_year")
    pct = (forecast - last_year) / last_year * 100
    return t("kpi.change", pct=pct, n=fmt_num(last_year, 0))


def _kpi_line(value: float, unit_key: str, severe: bool = False) -> html.Div:
    return html.Div(
        [
            html.Span(fmt_num(value), className="kpi-value kpi-severe" if severe else "kpi-value"),
            html.Span(t(unit_key), className="kpi-unit"),
        ]
    )


def kpi_cards(kpis: list) -> list[html.Div]:
    """One card per window (``(days, queries.Total)`` pairs): forecast crashes and fatal+grievous,
    each against the same weekdays last year."""
    lang = current()
    cards = []
    for days, total in kpis:
        span = f"{date_label(total.start, lang)} - {date_label(total.end, lang)}"
        cards.append(
            html.Div(
                className="kpi-card",
                children=[
                    html.Div(t("ctl.next_days", days=days), className="kpi-title"),
                    html.Div(span, className="kpi-span"),
                    _kpi_line(total.crashes, "kpi.crashes"),
                    html.Div(
                        change_text(total.crashes, total.last_year_crashes), className="kpi-delta"
                    ),
                    _kpi_line(total.fatal_grievous, "kpi.severe", severe=True),
                    html.Div(
                        change_text(total.fatal_grievous, total.last_year_fatal_grievous),
                        className="kpi-delta",
                    ),
                ],
            )
        )
    return cards


def drivers_text(drivers: str | None) -> str:
    """A week's reasons (fog season, Diwali...) in the caller's language."""
    return vocabulary.drivers_label(drivers, current())


def plain(value: object) -> str:
    """Data text made inert for HTML-reading renderers (``<`` ``>`` ``&`` and quotes escaped)."""
    return escape("" if value is None else str(value), quote=True)


def _history_bars(fig: go.Figure, history: pl.DataFrame) -> None:
    """Recorded weekly crashes; a part-week (data ending mid-week) lighter, hatched and labelled."""
    h = history.tail(52)
    if "days" not in h.columns:
        h = h.with_columns(days=pl.lit(7))
    full, part = h.filter(pl.col("days") >= 7), h.filter(pl.col("days") < 7)
    fig.add_bar(
        x=full["week"].to_list(),
        y=full["crashes"].to_list(),
        name=t("fig.recorded"),
        marker_color="#9aa5b1",
    )
    if not part.is_empty():
        fig.add_bar(
            x=part["week"].to_list(),
            y=part["crashes"].to_list(),
            name=t("fig.part_week"),
            marker={"color": "#d5dbe0", "pattern": {"shape": "/", "fgcolor": "#7b8794"}},
            text=[t("fig.days_of_7", n=d) for d in part["days"].to_list()],
            textposition="outside",
        )


def _last_year_line(fig: go.Figure, history: pl.DataFrame, forecast: pl.DataFrame) -> None:
    """Recorded crashes of the same week 52 weeks before each forecast week (whole weeks only)."""
    if history.is_empty():
        return
    full = history.filter(pl.col("days") >= 7) if "days" in history.columns else history
    lo, hi = full["week"].min(), full["week"].max()
    past = (
        forecast.select("period_start", week=pl.col("period_start") - pl.duration(days=364))
        .filter(pl.col("week").is_between(lo, hi))
        .join(full.select("week", "crashes"), on="week", how="left")
        .with_columns(pl.col("crashes").fill_null(0))  # a week with no crash has no history row
    )
    if not past.is_empty():
        fig.add_scatter(
            x=past["period_start"].to_list(),
            y=past["crashes"].to_list(),
            mode="lines+markers",
            name=t("fig.last_year_line"),
            line={"color": "#52606d", "width": 1.5, "dash": "dot"},
        )


def weekly_figure(history: pl.DataFrame, forecast: pl.DataFrame, title: str) -> go.Figure:
    """Weekly crashes (last year of data, part-weeks marked), the weekly forecast with 80% and
    95% bands, and the same weeks last year beside the forecast."""
    if history.is_empty() and forecast.is_empty():
        return empty_figure(t("fig.no_weekly"))
    fig = go.Figure()
    if not history.is_empty():
        _history_bars(fig, history)
    if not forecast.is_empty():
        x = forecast["period_start"].to_list()
        for lo, hi, key, color in (
            ("lo95", "hi95", "fig.range95", "rgba(244,109,67,0.15)"),
            ("lo80", "hi80", "fig.range80", "rgba(244,109,67,0.32)"),
        ):
            fig.add_scatter(
                x=x + x[::-1],
                y=forecast[hi].to_list() + forecast[lo].to_list()[::-1],
                fill="toself",
                fillcolor=color,
                line={"width": 0},
                mode="lines",
                name=t(key),
                hoverinfo="skip",
            )
        fig.add_scatter(
            x=x,
            y=forecast["expected"].to_list(),
            mode="lines+markers",
            name=t("fig.forecast"),
            line={"color": ACCENT, "width": 2.5},
        )
        _last_year_line(fig, history, forecast)
    fig = _base_layout(fig, title)
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(title_text=t("fig.per_week"))
    return fig


def heatmap_figure(profile: pl.DataFrame, title: str) -> go.Figure:
    """Hour x weekday heatmap of the expected share of crashes (percent of the week)."""
    if profile.is_empty():
        return empty_figure(t("fig.no_profile"))
    lang = current()
    grid = [[0.0] * 24 for _ in range(7)]
    for row in profile.iter_rows(named=True):
        grid[int(row["dow"])][int(row["hour"])] = 100.0 * float(row["share"] or 0.0)
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=[f"{h:02d}" for h in range(24)],
            y=[vocabulary.day_label(d, lang) for d in range(7)],
            colorscale="YlOrRd",
            colorbar={"title": t("fig.pct_week"), "thickness": 12},
            hovertemplate=t("fig.heat_hover") + "<extra></extra>",
        )
    )
    fig = _base_layout(fig, title, height=300)
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed", gridcolor=None)
    fig.update_xaxes(title_text=t("fig.hour"))
    return fig


def month_series(monthly: pl.DataFrame, last: date, months: int = 36) -> pl.DataFrame:
    """``months`` calendar months up to ``last``'s month, months without a crash as zeros."""
    first = date(last.year, last.month, 1)
    for _ in range(months - 1):
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    grid = pl.DataFrame(
        {"month": pl.date_range(first, date(last.year, last.month, 1), "1mo", eager=True)}
    )
    if monthly.is_empty():
        return grid.with_columns(crashes=pl.lit(0), fatal_grievous=pl.lit(0))
    counts = monthly.select("month", "crashes", "fatal_grievous")
    return grid.join(counts, on="month", how="left").fill_null(0)


def history_figure(monthly: pl.DataFrame, title: str, last: date | None = None) -> go.Figure:
    """Monthly crashes and fatal+grievous crashes over the 36 months up to ``last`` (each bar one
    month wide, empty months at zero)."""
    if monthly.is_empty():
        return empty_figure(t("fig.no_history"))
    if last is not None:
        monthly = month_series(monthly, last)
    fig = go.Figure()
    x = monthly["month"].to_list()
    fig.add_bar(x=x, y=monthly["crashes"].to_list(), name=t("fig.all"), marker_color="#9aa5b1")
    fig.add_bar(
        x=x,
        y=monthly["fatal_grievous"].to_list(),
        name=label("fatal_grievous", current()),
        marker_color=ACCENT,
    )
    fig = _base_layout(fig, title, height=300)
    fig.update_layout(barmode="overlay", bargap=0.15)
    fig.update_xaxes(dtick="M6", tickformat="%b<br>%Y", tickangle=0)
    return fig


DENSITY_BINS = 30  # per axis: the medium/low places of the enforcement chart are counted per cell


def enforcement_figure(gap: pl.DataFrame) -> go.Figure:
    """Expected crashes (per 90 days) against recent challans; the legend sits above the plot so
    the axis title never covers it (also on a phone).

    High and very high places are points (named on hover); the many medium and low places are a
    shaded count per cell of a :data:`DENSITY_BINS` grid, so the figure (and the browser's work)
    stays the same size however many places the forecast covers.
    """
    if gap.is_empty():
        return empty_figure(t("enf.none"))
    names = band_labels()
    fig = go.Figure()
    rest = gap.filter(~pl.col("risk_band").is_in(vocabulary.HIGH_BANDS))
    if not rest.is_empty():
        fig.add_trace(_density_trace(rest))
    for band in vocabulary.HIGH_BANDS:
        part = gap.filter(pl.col("risk_band") == band)
        if part.is_empty():
            continue
        text = [
            f"{plain(r or t('map.unnamed'))} - {plain(p)}"
            for r, p in zip(part["road_name"].to_list(), part["police_station"].to_list())
        ]
        fig.add_scatter(
            x=part["expected_crashes_per_90d"].to_list(),
            y=part["recent_challans"].to_list(),
            mode="markers",
            name=names[band],
            marker={"color": BAND_COLORS[band], "size": 9, "line": {"width": 0.5, "color": "#333"}},
            text=text,
            hovertemplate=t("enf.hover") + "<extra></extra>",
        )
    fig = _base_layout(fig, t("enf.scatter_title"), height=380)
    fig.update_layout(
        hovermode="closest",
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        margin={"t": 80, "b": 50},
        title={"y": 0.97, "yanchor": "top"},
    )
    fig.update_xaxes(title_text=t("enf.x"), showgrid=True, gridcolor="#eee")
    fig.update_yaxes(title_text=t("enf.y"))
    return fig


def _density_trace(rest: pl.DataFrame) -> go.Heatmap:
    """Medium and low places counted per cell of a DENSITY_BINS x DENSITY_BINS grid."""
    x = pl.col("expected_crashes_per_90d").fill_null(0.0).cast(pl.Float64)
    y = pl.col("recent_challans").fill_null(0).cast(pl.Float64)
    x_hi, y_hi = rest.select(x.max(), y.max()).row(0)
    dx, dy = max(x_hi, 1e-9) / DENSITY_BINS, max(y_hi, 1.0) / DENSITY_BINS
    cells = (
        rest.select(
            (x / dx).floor().clip(0, DENSITY_BINS - 1).cast(pl.Int32).alias("i"),
            (y / dy).floor().clip(0, DENSITY_BINS - 1).cast(pl.Int32).alias("j"),
        )
        .group_by("i", "j")
        .len()
    )
    z: list[list[int | None]] = [[None] * DENSITY_BINS for _ in range(DENSITY_BINS)]
    for i, j, n in cells.iter_rows():
        z[j][i] = n
    return go.Heatmap(
        x=[(i + 0.5) * dx for i in range(DENSITY_BINS)],
        y=[(j + 0.5) * dy for j in range(DENSITY_BINS)],
        z=z,
        colorscale=[[0.0, "#e3e8ef"], [1.0, "#4a5a70"]],
        showscale=False,
        showlegend=True,
        name=f"Medium or low ({rest.height:,} places; darker = more)",
        hovertemplate="%{z} medium or low places<br>about %{x:.2f} expected crashes / 90 days"
        "<br>about %{y:.0f} challans<extra></extra>",
    )


def offence_figure(offences: pl.DataFrame) -> go.Figure:
    """Horizontal bars: challans by offence in the last 90 days (offences by their labels)."""
    if offences.is_empty():
        return empty_figure(t("enf.no_challans"))
    agg = offences.group_by("offence").agg(pl.col("challans").sum()).sort("challans")
    lang = current()
    fig = go.Figure(
        go.Bar(
            x=agg["challans"].to_list(),
            y=[plain(label(o, lang, default=o)) for o in agg["offence"].to_list()],
            orientation="h",
            marker_color="#4575b4",
        )
    )
    fig = _base_layout(fig, t("enf.offences_title"), height=320)
    fig.update_layout(hovermode="closest", margin={"l": 130})
    fig.update_yaxes(automargin=True)
    return fig


def _cell_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    return value


def records(frame: pl.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts for grids and tables (dates as text, floats rounded)."""
    return [{k: _cell_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]
