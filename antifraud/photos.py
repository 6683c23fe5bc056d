"""Photo hashing and content-addressed storage.

PDQ (a perceptual hash) finds the same photo re-uploaded, resized or lightly edited;
SHA-256 finds byte-identical files and names them in storage.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
import pdqhash
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError

PDQ_MATCH_DISTANCE = 31  # the usual threshold for "the same photo"


class PhotoUnreadable(ValueError):
    pass


@dataclass(frozen=True)
class PhotoHashes:
    sha256: str
    pdq_hash: str
    pdq_quality: int
    width: int
    height: int


def pdq_hex(image: Image.Image) -> tuple[str, int]:
    """The PDQ hash as the reference implementations write it: bit 0 first, 64 hex digits."""
    bits, quality = pdqhash.compute(np.asarray(image.convert("RGB")))
    value = int("".join("1" if b else "0" for b in bits), 2)
    return f"{value:064x}", int(quality)


def pdq_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def photo_hashes(data: bytes) -> PhotoHashes:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            digest, quality = pdq_hex(image)
            width, height = image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise PhotoUnreadable("not a readable image") from exc
    return PhotoHashes(
        sha256=hashlib.sha256(data).hexdigest(),
        pdq_hash=digest,
        pdq_quality=quality,
        width=width,
        height=height,
    )


def photo_store(data: bytes, sha256: str, extension: str = "jpg") -> str:
    """Save under a name derived from the content; the same bytes are stored once."""
    name = f"photos/{sha256[:2]}/{sha256}.{extension}"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(data))
    return name
