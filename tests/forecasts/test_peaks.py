"""Peak windows in DESIGN.md's format."""

from __future__ import annotations

import re

from roadsafety.forecasts.peaks import format_days, peak_text

PATTERN = re.compile(r"^(daily|[A-Z][a-z]{2}(-[A-Z][a-z]{2}|(,[A-Z][a-z]{2})*)) \d\d:00-\d\d:00$")


def test_format_days() -> None:
    assert format_days(list(range(7))) == "daily"
    assert format_days([4, 5, 6]) == "Fri-Sun"
    assert format_days([5, 6, 0]) == "Sat-Mon"
    assert format_days([0, 2]) == "Mon,Wed"


def test_peak_text_finds_weekend_nights_across_midnight() -> None:
    shares = [0.001] * 168
    for d in (4, 5, 6):
        for h in (22, 23, 0, 1):
            shares[d * 24 + h] = 0.05 if h >= 22 else 0.0
            shares[((d + (h < 22)) % 7) * 24 + h] = 0.05
    text = peak_text(shares)
    assert PATTERN.match(text), text
    assert text.endswith("22:00-02:00")
