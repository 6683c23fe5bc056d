"""Fetching a reported photo from a real HTTP server: hashed, stored, indexed; refused when
too large, too slow, not http(s), or on a private address."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from antifraud import photo_fetch
from antifraud.models import Photo, PhotoHash, Subject
from antifraud.photo_fetch import photo_fetch_and_hash
from antifraud.photos import pdq_distance, photo_hashes
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    image = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    image.paste((200, 30, 30), (40, 40, 140, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


PHOTO = jpeg()


class Handler(BaseHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        if self.path == "/photo.jpg":
            self._answer(200, PHOTO, "image/jpeg")
        elif self.path == "/redirect":
            self._redirect("/photo.jpg")
        elif self.path == "/loop":
            self._redirect("/loop")
        elif self.path == "/to-private":
            self._redirect("http://10.1.2.3/photo.jpg")
        elif self.path == "/streamed":
            # No length: the body runs until the connection closes.
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(64):
                self.wfile.write(b"\xff" * 1024)
        elif self.path == "/slow":
            time.sleep(1.5)
            self._answer(200, PHOTO, "image/jpeg")
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(20):
                self.wfile.write(b"\xff" * 10)
                self.wfile.flush()
                time.sleep(0.1)
        elif self.path == "/text":
            self._answer(200, b"not a photo", "text/plain")
        else:
            self._answer(404, b"", "text/plain")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # The fetch hangs up on answers it refuses (too large, too slow): expected here.
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("RecordingHandler", (Handler,), {"seen": seen})
    httpd = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def local(settings):
    settings.PHOTO_FETCH_ALLOW_PRIVATE = True
    return settings


def photo_at(url: str, pdq_hash: str = "") -> Photo:
    subject = cast(Subject, SubjectFactory())  # factory_boy's types name the factory
    return Photo.objects.create(subject=subject, source_url=url, pdq_hash=pdq_hash)


def test_a_photo_is_fetched_hashed_stored_and_indexed(local, server):
    base, seen = server
    photo = photo_at(f"{base}/photo.jpg")

    assert photo_fetch_and_hash(photo.pk) == "fetched"

    expected = photo_hashes(PHOTO)
    photo.refresh_from_db()
    assert photo.sha256 == expected.sha256
    assert photo.pdq_hash == expected.pdq_hash
    assert photo.pdq_quality == expected.pdq_quality
    assert (photo.width, photo.height) == (320, 240)
    assert photo.image.name == f"photos/{expected.sha256[:2]}/{expected.sha256}.jpg"
    with default_storage.open(photo.image.name, "rb") as stored:
        assert stored.read() == PHOTO
    indexed = set(PhotoHash.objects.values_list("value", "of_value"))
    assert indexed == {(v, expected.pdq_hash) for v in expected.dihedral}
    # Run again (a task retried): nothing is fetched twice.
    assert photo_fetch_and_hash(photo.pk) == "already fetched"
    assert seen == ["/photo.jpg"]


def test_the_partners_hash_stays_and_ours_stand_for_it(local, server):
    base, _seen = server
    ours = photo_hashes(PHOTO).pdq_hash
    partners = f"{int(ours, 16) ^ 0b1011:064x}"  # another implementation: a few bits off
    photo = photo_at(f"{base}/redirect", pdq_hash=partners)

    assert photo_fetch_and_hash(photo.pk) == "fetched"

    photo.refresh_from_db()
    assert photo.pdq_hash == partners
    assert pdq_distance(photo.pdq_hash, ours) == 3
    assert set(PhotoHash.objects.values_list("of_value", flat=True)) == {partners}
    assert PhotoHash.objects.filter(value=ours).exists()


def test_a_body_over_the_limit_is_refused(local, server):
    base, _seen = server
    local.PHOTO_FETCH_MAX_BYTES = 4_000
    assert len(PHOTO) > 4_000
    declared = photo_at(f"{base}/photo.jpg")
    streamed = photo_at(f"{base}/streamed")

    assert photo_fetch_and_hash(declared.pk) == "refused: too large"
    assert photo_fetch_and_hash(streamed.pk) == "refused: too large"

    declared.refresh_from_db()
    assert declared.sha256 == "" and not declared.image
    assert not PhotoHash.objects.exists()


def test_private_addresses_are_refused_unless_allowed(settings, server):
    base, seen = server
    assert not getattr(settings, "PHOTO_FETCH_ALLOW_PRIVATE", False)
    port = base.rsplit(":", 1)[1]
    for url in (
        f"{base}/photo.jpg",
        f"http://localhost:{port}/photo.jpg",
        f"http://[::1]:{port}/photo.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/photo.jpg",
    ):
        assert photo_fetch_and_hash(photo_at(url).pk) == "refused: private address", url
    assert seen == []  # not one request left the hub


def test_a_redirect_is_checked_like_the_first_address(settings, server, monkeypatch):
    base, seen = server
    # The test server stands in for a public host; the redirect leads into a private network.
    monkeypatch.setattr(photo_fetch, "address_allowed", lambda address: address == "127.0.0.1")
    assert photo_fetch_and_hash(photo_at(f"{base}/to-private").pk) == "refused: private address"
    assert seen == ["/to-private"]


def test_only_http_and_https(local):
    for url in ("ftp://127.0.0.1/photo.jpg", "file:///etc/passwd", "gopher://127.0.0.1/"):
        assert photo_fetch_and_hash(photo_at(url).pk) == "refused: only http and https"


def test_other_answers(local, server):
    base, _seen = server
    assert photo_fetch_and_hash(photo_at(f"{base}/nothing").pk) == "refused: HTTP 404"
    assert photo_fetch_and_hash(photo_at(f"{base}/loop").pk) == "refused: too many redirects"
    assert photo_fetch_and_hash(photo_at(f"{base}/text").pk) == "unreadable"
    assert photo_fetch_and_hash(photo_at("").pk) == "no url"
    assert photo_fetch_and_hash(10**9) == "missing"


def test_a_slow_host_is_given_up(local, server):
    base, _seen = server
    local.PHOTO_FETCH_TIMEOUT = 0.5
    started = time.monotonic()
    assert photo_fetch_and_hash(photo_at(f"{base}/slow").pk) == "failed: ReadTimeout"
    # Each piece arrives in time, the whole does not.
    assert photo_fetch_and_hash(photo_at(f"{base}/drip").pk) == "refused: too slow"
    assert time.monotonic() - started < 2.5


def test_a_picture_with_too_many_pixels_is_not_decoded(local, server, monkeypatch):
    base, _seen = server
    monkeypatch.setattr(photo_fetch, "PIXELS_MAX", 320 * 240 - 1)
    photo = photo_at(f"{base}/photo.jpg")
    assert photo_fetch_and_hash(photo.pk) == "refused: too many pixels"
    photo.refresh_from_db()
    assert photo.sha256 == ""
