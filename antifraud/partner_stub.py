"""A stand-in partner that receives webhooks, as a partner's own endpoint would: it checks
each signature with the Standard Webhooks library, can fail the first requests on purpose,
and records what it received. `manage.py partner_stub` serves one; tests start one in a
thread on a free port.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

# Larger bodies are refused unread; our events are a few kilobytes.
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Received:
    """One request as the stub saw it. `payload` and `headers` stay in memory, for tests."""

    webhook_id: str | None
    type: str | None
    verified: bool
    status: int
    received_at: str
    payload: Any = field(default=None, compare=False, repr=False)
    headers: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    def record_line(self) -> str:
        entry = asdict(self)
        del entry["payload"], entry["headers"]
        return json.dumps(entry, ensure_ascii=False)

    def console_line(self) -> str:
        signature = "signature ok" if self.verified else "BAD SIGNATURE"
        return (
            f"{self.received_at} {self.status} {self.type or '-'} "
            f"{self.webhook_id or '-'} {signature}"
        )


def _event_type(body: bytes) -> str | None:
    """Best effort, so a rejected request is still recognisable in the record."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    event_type = parsed.get("type") if isinstance(parsed, dict) else None
    return event_type if isinstance(event_type, str) else None


class PartnerStub:
    """Binds on creation (port 0 picks a free port); `start()` serves in a daemon thread,
    `serve_forever()` in the calling one.

    Answers 400 to a request whose signature does not verify; `fail_status` to the first
    `fail_first` requests that do; 204 to the rest — each after `delay` seconds, to stand in
    for a slow partner.
    """

    def __init__(
        self,
        *,
        secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
        fail_first: int = 0,
        fail_status: int = HTTPStatus.INTERNAL_SERVER_ERROR,
        record: Path | None = None,
        echo: Callable[[Received], None] | None = None,
        delay: float = 0.0,
    ) -> None:
        self._webhook = Webhook(secret)
        self.delay = delay
        self._lock = threading.Lock()
        self._failures_left = fail_first
        self.fail_status = fail_status
        self.record = record
        self.echo = echo
        self.received: list[Received] = []
        self._thread: threading.Thread | None = None
        self.server = _StubServer((host, port), _StubHandler)
        self.server.stub = self

    @property
    def host(self) -> str:
        return str(self.server.server_address[0])

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/webhooks"

    def receive(self, body: bytes, headers: dict[str, str]) -> int:
        """Decide the answer to one POST and record it. Called from the server's threads."""
        payload = None
        try:
            payload = self._webhook.verify(body, headers)
            verified = True
        # The library raises ValueError subclasses too (bad base64, a malformed signature
        # header, a body that is not UTF-8 or not JSON): all of them are a bad request.
        except (WebhookVerificationError, ValueError):
            verified = False
        with self._lock:
            status: int
            if not verified:
                status = HTTPStatus.BAD_REQUEST
            elif self._failures_left > 0:
                self._failures_left -= 1
                status = self.fail_status
            else:
                status = HTTPStatus.NO_CONTENT
            entry = Received(
                webhook_id=headers.get("webhook-id") or None,
                type=payload.get("type") if isinstance(payload, dict) else _event_type(body),
                verified=verified,
                status=int(status),
                received_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
                payload=payload,
                headers=headers,
            )
            self.received.append(entry)
            if self.record is not None:
                with self.record.open("a", encoding="utf-8") as out:
                    out.write(entry.record_line() + "\n")
        if self.echo is not None:
            self.echo(entry)
        if self.delay:
            time.sleep(self.delay)
        return int(status)

    def accepted_ids(self) -> list[str]:
        """The webhook ids answered 2xx, in arrival order, duplicates kept."""
        with self._lock:
            return [r.webhook_id for r in self.received if r.accepted and r.webhook_id]

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.1)

    def start(self) -> PartnerStub:
        self._thread = threading.Thread(
            target=self.serve_forever, name=f"partner-stub-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server.server_close()

    def __enter__(self) -> PartnerStub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True
    stub: PartnerStub


class _StubHandler(BaseHTTPRequestHandler):
    server: _StubServer
    server_version = "partner-stub"
    sys_version = ""

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._answer(HTTPStatus.LENGTH_REQUIRED)
            return
        if length < 0 or length > MAX_BODY_BYTES:
            self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        self._answer(self.server.stub.receive(body, headers))

    def do_GET(self) -> None:
        self._answer(HTTPStatus.METHOD_NOT_ALLOWED, allow="POST")

    def _answer(self, status: int, *, allow: str = "") -> None:
        self.send_response(status)
        if allow:
            self.send_header("Allow", allow)
        if 300 <= status < 400:
            # Somewhere to go, so that a sender following redirects would be seen doing so.
            self.send_header("Location", "/moved")
        if status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        # The stub prints its own line per request (see PartnerStub.echo).
        pass
