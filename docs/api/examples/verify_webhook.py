"""A webhook receiver that accepts only deliveries signed with your webhook's secret, using
nothing but the Python standard library. It answers 204 to a good delivery and 401 to anything else.

    RDEV_WEBHOOK_SECRET=whsec_... PORT=8080 python3 verify_webhook.py
"""

import base64
import hashlib
import hmac
import json
import os
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE_SECONDS = 5 * 60


def verify(secret: str, headers, body: bytes) -> dict:
    """Returns the parsed event, or raises ValueError when the delivery is not authentic."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise ValueError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        raise ValueError("timestamp too old or too new")
    # The key is the base64 text after "whsec_"; the signed content is "id.timestamp.body".
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # Several space-separated "v1,<base64>" entries during a secret rotation: one must match.
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return json.loads(body)
    raise ValueError("no matching signature")


class Receiver(BaseHTTPRequestHandler):
    secret = os.environ["RDEV_WEBHOOK_SECRET"]
    seen = set()  # use your database: delivery is at least once

    def do_POST(self):
        # Verify the exact bytes received, before any JSON parsing.
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            event = verify(self.secret, self.headers, body)
        except ValueError as error:
            self.send_response(401)
            self.end_headers()
            self.wfile.write(f"rejected: {error}".encode())
            return
        msg_id = self.headers["webhook-id"]  # the same on every retry of one message
        if msg_id not in self.seen:
            self.seen.add(msg_id)
            print(msg_id, event["type"], json.dumps(event["data"]), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass  # keep stdout for the events


server = HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8080"))), Receiver)
print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
