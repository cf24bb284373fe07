"""A sample vendor receiver: verifies each push with the reference ``standardwebhooks`` library.

Run it to see what a vendor sees: ``python -m webhooks.sample_receiver --port 8099 --secret whsec_…``.
It dedupes on ``webhook-id`` the way the standard asks receivers to.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from typing import Any

from flask import Flask, jsonify, request
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


def create_receiver(secret: str, out: Any = sys.stdout) -> Flask:
    app = Flask("sample_receiver")
    verifier = Webhook(secret)
    seen: set[str] = set()
    by_type: dict[str, int] = {}
    lock = threading.Lock()

    @app.post("/webhooks")
    def receive() -> Any:
        raw = request.get_data()
        try:
            payload = verifier.verify(raw, dict(request.headers))
        except WebhookVerificationError as exc:
            print(f"REJECTED  {request.headers.get('webhook-id')}: {exc}", file=out, flush=True)
            return jsonify({"error": str(exc)}), 401
        msg_id = request.headers["webhook-id"]
        with lock:
            repeat = msg_id in seen
            seen.add(msg_id)
            if not repeat:
                by_type[payload.get("type", "?")] = by_type.get(payload.get("type", "?"), 0) + 1
        data = payload.get("data", {})
        person = data.get("person", {})
        initials = f"{(person.get('first_name') or '?')[:1]}. {(person.get('last_name') or '?')[:1]}."
        note = "repeat, ignored" if repeat else "signature verified"
        print(
            f"{payload.get('type'):16} {msg_id}  {note}  lead {data.get('id')} from {data.get('source')} ({initials})",
            file=out,
            flush=True,
        )
        return jsonify({"received": msg_id}), 200

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok", "received": len(seen), "by_type": by_type})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"sample receiver on http://127.0.0.1:{args.port}/webhooks", flush=True)
    make_server("127.0.0.1", args.port, create_receiver(args.secret), threaded=True).serve_forever()


if __name__ == "__main__":
    main()
