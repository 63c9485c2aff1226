"""Figure builders called directly on small frames."""

from __future__ import annotations

from datetime import date, timedelta

import h3
import polars as pl
import pytest

from dash_app import figures, maps, queries


def _units() -> pl.DataFrame:
    cells = [h3.latlng_to_cell(29.6 + i * 0.01, 77.0, 8) for i in range(4)]
    return pl.DataFrame(
        {
            "unit_id": cells + ["PS X | NH-1"],
            "h3_cell": cells + [None],
            "rank": [1, 2, 3, 4, 5],
            "risk_band": ["very_high", "high", "high", "low", "medium"],
            "expected_crashes": [3.0, 2.0, 1.5, 0.2, 0.9],
            "road_name": ["NH-44"] * 5,
            "police_station": ["PS A"] * 5,
            "district": ["Karnal"] * 5,
            "peak_window": ["daily 18:00-21:00"] * 5,
            "latitude": [29.6, 29.61, 29.62, 29.63, None],
            "longitude": [77.0] * 4 + [None],
        }
    )


def test_map_layers_one_per_band_with_real_cell_polygons() -> None:
    layers = maps.map_layers(_units())
    bands = [layer.id["band"] for layer in layers]
    assert bands == [
        "low",
        "high",
        "very_high",
    ]  # riskiest drawn last; the unlocated unit is skipped
    high = layers[1]
    assert high.style["fillColor"] == figures.BAND_COLORS["high"]
    feats = high.data["features"]
    assert len(feats) == 2 and len(feats[0]["geometry"]["coordinates"][0]) == 7
    assert feats[0]["properties"]["unit_id"] in _units()["unit_id"].to_list()


def test_map_caps_cells_by_rank() -> None:
    layers = maps.map_layers(_units(), max_cells=1)
    assert [layer.id["band"] for layer in layers] == ["very_high"]


def test_stretches_are_lines_along_their_road_or_approximate_circles() -> None:
    units = pl.DataFrame(
        {
            "unit_id": ["NH-44 | km 65-66", "NH-44 | km 95-96", "PS X | NH-1"],
            "kind": ["stretch", "stretch", "ps_road"],
            "h3_cell": [None, None, None],
            "rank": [1, 2, 3],
            "risk_band": ["very_high", "high", "low"],
            "expected_crashes": [3.0, 2.0, 1.0],
            "road_name": ["NH-44", "NH-44", "NH <b>1</b>"],
            "km_from": [65.0, 95.0, None],
            "km_to": [66.0, 96.0, None],
            "police_station": ["PS <script>", "PS B", "PS X"],
            "peak_window": ["daily 18:00-21:00"] * 3,
            "latitude": [29.605, 29.9, None],
            "longitude": [77.0, 77.1, None],
        }
    )
    paths = {"NH-44 | km 65-66": [(29.60, 77.0), (29.61, 77.0)]}
    layers = maps.stretch_layers(units, paths)
    lines = [layer for layer in layers if type(layer).__name__ == "GeoJSON"]
    circles = [layer for layer in layers if type(layer).__name__ == "CircleMarker"]
    assert [layer.id["band"] for layer in lines] == ["very_high-road"]
    feature = lines[0].data["features"][0]
    assert feature["geometry"] == {
        "type": "LineString",
        "coordinates": [[77.0, 29.6], [77.0, 29.61]],
    }
    assert "km 65-66" in feature["properties"]["tooltip"]
    assert "<script>" not in feature["properties"]["tooltip"]  # escaped
    assert len(circles) == 1 and circles[0].center == [29.9, 77.1]  # placed beyond the road's line
    assert maps.stretch_layers(units.clear(), paths) == []


def test_weekly_figure_has_history_bands_and_forecast() -> None:
    start = date(2026, 1, 5)
    hist = pl.DataFrame(
        {"week": [start - timedelta(weeks=i) for i in range(3, 0, -1)], "crashes": [5, 7, 6]}
    )
    fc = pl.DataFrame(
        {
            "period_start": [start, start + timedelta(weeks=1)],
            "expected": [6.0, 8.0],
            "lo80": [4.0, 6.0],
            "hi80": [8.0, 10.0],
            "lo95": [3.0, 5.0],
            "hi95": [9.0, 11.0],
        }
    )
    fig = figures.weekly_figure(hist, fc, "t")
    names = [t.name for t in fig.data]
    assert names == ["Crashes (recorded)", "95% range", "80% range", "Forecast"]
    assert list(fig.data[2].y) == [8.0, 10.0, 6.0, 4.0]


def test_heatmap_is_seven_by_twentyfour_percent() -> None:
    prof = pl.DataFrame({"dow": [0, 6], "hour": [23, 0], "share": [0.25, 0.75]})
    z = figures.heatmap_figure(prof, "t").data[0].z
    assert len(z) == 7 and len(z[0]) == 24
    assert z[0][23] == pytest.approx(25.0) and z[6][0] == pytest.approx(75.0)


def test_empty_inputs_say_why() -> None:
    fig = figures.weekly_figure(pl.DataFrame(), pl.DataFrame(), "t")
    assert "No weekly" in fig.layout.annotations[0].text


def test_kpi_card_compares_with_last_year() -> None:
    total = queries.Total(date(2026, 1, 1), date(2026, 1, 7), 110.0, 40.0, 100, 0, "weekly")
    text = str(figures.kpi_cards([(7, total)])[0].to_plotly_json())
    assert (
        "+10% vs 100 on the same weekdays last year" in text
        and "no crashes on the same weekdays last year" in text
    )


def test_records_are_json_ready() -> None:
    rows = figures.records(pl.DataFrame({"d": [date(2026, 1, 2)], "x": [1.23456]}))
    assert rows == [{"d": "2026-01-02", "x": 1.23}]


def test_offences_and_bands_are_shown_with_the_vocabulary_labels(app) -> None:
    offences = pl.DataFrame(
        {"district": ["Karnal"] * 2, "offence": ["no_helmet", "red_light"], "challans": [5, 9]}
    )
    assert set(figures.offence_figure(offences).data[0].y) == {"No helmet", "Red-light jumping"}
    assert figures.band_css() in app.index_string  # every page's head colours the band badges


def test_map_tooltips_and_hover_texts_escape_data() -> None:
    hostile = _units().with_columns(
        pl.lit("<img src=x onerror=alert(1)>").alias("road_name"),
        pl.lit("<script>alert(2)</script>").alias("police_station"),
    )
    tips = [
        f["properties"]["tooltip"]
        for layer in maps.map_layers(hostile)
        for f in layer.data["features"]
    ]
    assert tips and all("&lt;img src=x onerror=alert(1)&gt;" in t for t in tips)
    assert not any("<img" in t or "<script" in t for t in tips)
    gap = hostile.with_columns(
        pl.col("expected_crashes").alias("expected_crashes_per_90d"),
        pl.lit(3).alias("recent_challans"),
    )
    points = [t for t in figures.enforcement_figure(gap).data if t.type == "scatter"]
    texts = [t for trace in points for t in trace.text]
    assert texts and not any("<script" in t for t in texts)


def _gap(n_rest: int) -> pl.DataFrame:
    """Three high places and ``n_rest`` medium or low ones."""
    n = 3 + n_rest
    return pl.DataFrame(
        {
            "risk_band": ["very_high", "high", "high"] + ["medium", "low"] * (n_rest // 2),
            "expected_crashes_per_90d": [9.0, 6.0, 5.0] + [(i % 97) / 40 for i in range(n_rest)],
            "recent_challans": [3, 40, 0] + [(i * 7) % 301 for i in range(n_rest)],
            "road_name": ["NH-44"] * n,
            "police_station": ["PS A"] * n,
        }
    )


@pytest.mark.parametrize("n_rest", [200, 20_000])
def test_enforcement_chart_draws_high_places_and_counts_the_rest(n_rest: int) -> None:
    fig = figures.enforcement_figure(_gap(n_rest))
    points = [t for t in fig.data if t.type == "scatter"]
    (density,) = [t for t in fig.data if t.type == "heatmap"]
    assert sorted(len(t.x) for t in points) == [1, 2]  # very high, high: each place drawn
    counts = [c for row in density.z for c in row if c is not None]
    assert sum(counts) == n_rest  # every medium or low place counted once
    assert len(density.z) == len(density.z[0]) == figures.DENSITY_BINS  # same size at any volume


def test_enforcement_density_puts_places_in_their_cells() -> None:
    gap = (
        _gap(0)
        .vstack(_gap(2).tail(2))
        .with_columns(
            pl.Series("expected_crashes_per_90d", [9.0, 6.0, 5.0, 0.0, 3.0]),
            pl.Series("recent_challans", [3, 40, 0, 0, 300]),
        )
    )
    (density,) = [t for t in figures.enforcement_figure(gap).data if t.type == "heatmap"]
    last = figures.DENSITY_BINS - 1
    assert density.z[0][0] == 1 and density.z[last][last] == 1  # lowest corner and highest corner
