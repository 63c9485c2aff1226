"""How tests, the screenshots and the benchmark reach the app: the app under waitress on a free
loopback port, and hand-crafted callback requests (headless Chromium is in ``chrome.py``)."""

from __future__ import annotations

import threading


def serve_in_thread(server) -> tuple[object, str]:
    """A Flask server under waitress on a free loopback port (a daemon thread); (server, base URL).

    ``server.close()`` stops it.
    """
    from waitress import create_server

    srv = create_server(server, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=srv.run, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.effective_port}"


def callback_payload(app, output_part: str, values: dict) -> dict:
    """A hand-crafted ``/_dash-update-component`` body for the callback whose output contains
    ``output_part``, with ``values`` (by input id, or ``id.property`` for a component that gives
    several inputs) for its inputs (None for the others)."""
    key = next(k for k in app.callback_map if output_part in k)
    spec = app.callback_map[key]
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1))) for part in key.strip(".").split("...")
    ]

    def value(item: dict) -> object:
        return values.get(f"{item['id']}.{item['property']}", values.get(item["id"]))

    inputs = [{"id": i["id"], "property": i["property"], "value": value(i)} for i in spec["inputs"]]
    state = [
        {"id": s["id"], "property": s["property"], "value": value(s)} for s in spec.get("state", [])
    ]
    return {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }
