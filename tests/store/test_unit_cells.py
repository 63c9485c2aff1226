"""Forecast units the warehouse does not describe get their H3 cell and centre (one fill-in)."""

from __future__ import annotations

import h3
import polars as pl

from roadsafety.store.units import fill_h3_cells


def test_fill_h3_cells_from_the_unit_id_only_where_missing() -> None:
    known = h3.latlng_to_cell(29.6, 77.0, 8)
    ghost = h3.grid_ring(known, 2)[0]
    units = pl.DataFrame(
        {
            "unit_id": [known, ghost, "PS A | NH-44", "not-a-cell"],
            "h3_cell": [known, None, None, None],
            "latitude": [29.5, None, 29.4, None],
            "longitude": [77.1, None, 76.9, None],
            "district": ["Karnal", None, "Panipat", None],
        }
    )
    out = fill_h3_cells(units)
    assert out["h3_cell"].to_list() == [known, ghost, None, None]
    assert out.row(0) == units.row(0)  # described units keep their own point
    assert out.row(1)[2:4] == h3.cell_to_latlng(ghost)
    assert out.row(2) == units.row(2) and out.row(3) == units.row(3)
    assert out.columns == units.columns and out.schema["latitude"] == pl.Float64
