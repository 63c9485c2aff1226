"""Crafted ``/_dash-update-component`` bodies: hostile values never give HTTP 500 (or data leaks).

Every callback of the app (and of Dash's page router) gets each hostile value in every input and
state, as a logged-in district user and as a state admin would send them by hand. The page
callbacks answer 200/204; the router answers 400 to a pathname that is not one of the app's.
"""

from __future__ import annotations

import json

import pytest
from test_auth import _login
from worlds import PASSWORD

HOSTILE = [
    None,
    [],
    ["Karnal", "Panipat"],
    {"properties": {"unit_id": ["x"]}},
    -5,
    0,
    10**15,
    1e308,
    True,
    "x" * 100_000,
    ";;",
    "corridor:x",
    "\r\nSet-Cookie: a=b",
    "<script>alert(1)</script>",
    "'; DROP TABLE users; --",
    "Karnal\x00",
]


def _body(app, key: str, value: object) -> dict:
    spec = app.callback_map[key]
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1))) for part in key.strip(".").split("...")
    ]

    def entry(item: dict) -> dict | list:
        if item["id"].startswith("{"):  # a pattern-matching (ALL) input: one entry per match
            pattern = json.loads(item["id"])
            ident = {k: ("high" if v == ["ALL"] else v) for k, v in pattern.items()}
            return [{"id": ident, "property": item["property"], "value": value}]
        return {"id": item["id"], "property": item["property"], "value": value}

    inputs = [entry(i) for i in spec["inputs"]]
    first = inputs[0][0] if isinstance(inputs[0], list) else inputs[0]
    first_id = first["id"] if isinstance(first["id"], str) else json.dumps(first["id"])
    return {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": [entry(s) for s in spec.get("state", [])],
        "changedPropIds": [f"{first_id}.{first['property']}"],
    }


@pytest.mark.parametrize("user", ["karnal_sp", "admin"])
def test_no_callback_answers_500_to_hostile_values(app, user: str) -> None:
    client = app.server.test_client()
    assert _login(client, user, PASSWORD).status_code == 302
    client.get("/")
    failures = []
    for key, spec in app.callback_map.items():
        if spec.get("callback") is None:
            continue  # a clientside callback: nothing runs on the server
        for value in HOSTILE:
            resp = client.post("/_dash-update-component", json=_body(app, key, value))
            if resp.status_code not in (200, 204, 400):
                failures.append((key, repr(value)[:40], resp.status_code))
            elif user == "karnal_sp":
                assert b"Panipat" not in resp.data or b"Karnal" in resp.data, key
    assert failures == []


def test_corridor_link_with_empty_cells_is_a_notice(app) -> None:
    client = app.server.test_client()
    _login(client, "admin", PASSWORD)
    client.get("/")
    body = _body(app, "corridor-body.children", "corridor:NH-44")
    body["state"][0]["value"] = ";;"
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200 and b"names no valid map cells" in resp.data
