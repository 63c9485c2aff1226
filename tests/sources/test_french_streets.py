"""French street-name key: one spelling per street for BAAC units."""

from __future__ import annotations

import pytest

from roadsafety.sources.french_streets import street_key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("PRADO (AVENUE DU)", "AVENUE PRADO"),
        ("AVE DU PRADO", "AVENUE PRADO"),
        ("PRADO (AVENUE)", "AVENUE PRADO"),
        (", PRADO (AVENUE)", "AVENUE PRADO"),
        ("CANEBIERE (LA) 1 A 79", "CANEBIERE"),
        ("CANEBIERE 81 A FIN", "CANEBIERE"),
        ("JAURES (BOULEVARD JEAN )", "BOULEVARD JEAN JAURES"),
        ("SPV, BD BAILLE", "BOULEVARD BAILLE"),
        ("L'ESTAQUE (CHEMIN DE)", "CHEMIN ESTAQUE"),
        ("Corniche John Fitzgérald Kennedy", "CORNICHE JOHN FITZGERALD KENNEDY"),
        ("D 938", "D 938"),
        ("", None),
        (None, None),
    ],
)
def test_street_key(text: str | None, key: str | None) -> None:
    assert street_key(text) == key
