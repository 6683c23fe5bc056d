"""Fetching a photo from the URL a partner reported, to hash it and keep it as evidence.

The URL is whatever a partner's report said, so the fetch must not become a way into the
hub's own network or a way to tie up a worker:

- only http and https;
- the host is resolved once and every address it resolves to must be public — no private,
  loopback, link-local (cloud metadata), shared, reserved or multicast address — unless
  `settings.PHOTO_FETCH_ALLOW_PRIVATE` (tests, a development machine);
- the connection goes to the address that was checked (the URL's host is kept for the Host
  header and TLS), so a second DNS answer cannot point it elsewhere; each redirect is checked
  the same way, at most `REDIRECTS_MAX` of them;
- at most `settings.PHOTO_FETCH_MAX_BYTES` are read, within `settings.PHOTO_FETCH_TIMEOUT`
  seconds for the whole download, and a picture of more than `PIXELS_MAX` pixels (its size
  read from its header) is not decoded.

Safe to run twice: a photo already fetched is left alone.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from antifraud.detection.photos import photos_index
from antifraud.models import Photo
from antifraud.photos import PhotoUnreadable, photo_hashes, photo_store

logger = logging.getLogger(__name__)

MAX_BYTES_DEFAULT = 5 * 1024 * 1024
TIMEOUT_DEFAULT = 10.0
REDIRECTS_MAX = 3
# Any phone camera's picture (8000 × 6000 is 48 MP); PDQ reads every pixel.
PIXELS_MAX = 50_000_000
USER_AGENT = "antifraud-photos/1"
DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class FetchRefused(Exception):
    """The URL or the answer is not one the hub fetches or keeps; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where to connect for a URL: its checked address, and its host for Host and TLS."""

    url: str  # the URL with the address in place of the host
    host: str
    host_header: str
    scheme: str


def address_allowed(address: str) -> bool:
    """A public unicast address: none of the hub's own network, nor anyone's local one."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one (mapped, 6to4, NAT64) is judged as itself.
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


def target_of(url: str, *, allow_private: bool) -> Target:
    """Check a URL and resolve its host once (the address the connection will use)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise FetchRefused("only http and https")
    if not parts.hostname:
        raise FetchRefused("no host")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise FetchRefused("bad host") from exc
    if parts.username or parts.password:
        raise FetchRefused("credentials in the URL")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise FetchRefused("bad port") from exc
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchRefused("host not found") from exc
    addresses = [str(answer[4][0]) for answer in answers]
    if not addresses:
        raise FetchRefused("host not found")
    # Every address, not only the one used: a name answering a public and a private address
    # is refused whole.
    if not allow_private and not all(address_allowed(a) for a in addresses):
        raise FetchRefused("private address")
    address = addresses[0]
    shown = f"[{address}]" if ":" in address else address
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    explicit_port = parts.port is not None and parts.port != DEFAULT_PORTS[scheme]
    host_header = f"[{host}]" if ":" in host else host
    return Target(
        url=f"{scheme}://{shown}:{port}{path}{query}",
        host=host,
        host_header=f"{host_header}:{port}" if explicit_port else host_header,
        scheme=scheme,
    )


def photo_download(url: str) -> bytes:
    """The body of a 200 answer for the URL, within the limits (see the module's text)."""
    max_bytes = int(getattr(settings, "PHOTO_FETCH_MAX_BYTES", MAX_BYTES_DEFAULT))
    timeout = float(getattr(settings, "PHOTO_FETCH_TIMEOUT", TIMEOUT_DEFAULT))
    allow_private = bool(getattr(settings, "PHOTO_FETCH_ALLOW_PRIVATE", False))
    deadline = time.monotonic() + timeout
    # No proxies from the environment: the connection must go to the address checked.
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _ in range(REDIRECTS_MAX + 1):
            target = target_of(url, allow_private=allow_private)
            request = client.build_request(
                "GET",
                target.url,
                headers={"Host": target.host_header, "User-Agent": USER_AGENT, "Accept": "image/*"},
                extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
            )
            response = client.send(request, stream=True)
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise FetchRefused(f"HTTP {response.status_code}")
                return _body(response, max_bytes=max_bytes, deadline=deadline)
            finally:
                response.close()
    raise FetchRefused("too many redirects")


def _body(response: httpx.Response, *, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused("too large")
    received = bytearray()
    for piece in response.iter_bytes():
        received.extend(piece)
        if len(received) > max_bytes:
            raise FetchRefused("too large")
        if time.monotonic() > deadline:
            raise FetchRefused("too slow")
    return bytes(received)


def photo_fetch_and_hash(photo_id: int) -> str:
    """Download a photo's `source_url`, hash it, store it, and put its hashes (the eight
    dihedral ones included) in the near-duplicate index. Returns a short status: "fetched",
    "already fetched", "missing", "no url", "refused: …", "failed: …" or "unreadable"."""
    photo = Photo.objects.filter(pk=photo_id).only("source_url", "sha256", "image").first()
    if photo is None:
        return "missing"
    if photo.sha256 and photo.image:
        return "already fetched"
    if not photo.source_url:
        return "no url"
    # The download runs outside any transaction: a slow host holds no row lock.
    try:
        data = photo_download(photo.source_url)
    except FetchRefused as exc:
        logger.info("photo %s not fetched: %s", photo_id, exc)
        return f"refused: {exc}"
    except httpx.InvalidURL:
        return "refused: bad URL"
    except httpx.HTTPError as exc:
        logger.info("photo %s not fetched: %r", photo_id, exc)
        return f"failed: {exc.__class__.__name__}"
    try:
        with Image.open(io.BytesIO(data)) as header:
            width, height = header.size
    except (UnidentifiedImageError, OSError):
        return "unreadable"
    # Decoding is what costs: the size is read from the header first.
    if width * height > PIXELS_MAX:
        return "refused: too many pixels"
    try:
        hashes = photo_hashes(data)
    except PhotoUnreadable:
        return "unreadable"
    name = photo_store(data, hashes.sha256, hashes.extension)
    with transaction.atomic():
        photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
        if photo is None:
            return "missing"
        if photo.sha256 and photo.image:
            return "already fetched"  # by a run alongside this one
        # A hash the partner sent stays the photo's hash: its identifiers and list entries
        # carry it. The hub's own hashes are indexed as standing for it.
        if not photo.pdq_hash:
            photo.pdq_hash = hashes.pdq_hash
        photo.sha256 = hashes.sha256
        photo.pdq_quality = hashes.pdq_quality
        photo.width, photo.height = hashes.width, hashes.height
        photo.image = name
        photo.save(update_fields=["pdq_hash", "sha256", "pdq_quality", "width", "height", "image"])
        photos_index([photo], variants={photo.pdq_hash: hashes.dihedral})
    return "fetched"
