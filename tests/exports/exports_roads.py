"""The fixture warehouse's fitted road (shared by its conftest and the tests)."""

from __future__ import annotations


def nh48(km: float) -> tuple[float, float]:
    """NH-48 of the fixture: due east along latitude 29.70 from 76.80 at km 15."""
    return 29.70, 76.80 + (km - 15.0) / 96.7
