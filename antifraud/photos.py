"""Photo hashing and content-addressed storage.

PDQ (a perceptual hash) finds the same photo re-uploaded, resized or lightly edited;
SHA-256 finds byte-identical files and names them in storage. PDQ's eight dihedral hashes are
the hashes of the photo turned by 0, 90, 180 and 270 degrees and mirrored, computed from one
transform: a copy posted mirrored or rotated is within the match distance of one of them.
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


# Pillow's format names and the extensions photos are stored under (the content type they
# are served with follows from it).
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}


@dataclass(frozen=True)
class PhotoHashes:
    sha256: str
    pdq_hash: str
    pdq_quality: int
    width: int
    height: int
    # The eight dihedral PDQ hashes in the reference's order (its bridge-1 … bridge-8): as is,
    # rotated by 90, 180 and 270 degrees, flipped in x, in y, about the main diagonal and about
    # the other. The first is `pdq_hash`.
    dihedral: tuple[str, ...] = ()
    extension: str = "jpg"


def _bits_hex(bits) -> str:
    """Bit 0 first, 8 bits per byte, most significant first: the reference implementations'
    hex."""
    return f"{int(''.join('1' if b else '0' for b in bits), 2):064x}"


def pdq_hex(image: Image.Image) -> tuple[str, int]:
    """The PDQ hash as the reference implementations write it: bit 0 first, 64 hex digits."""
    bits, quality = pdqhash.compute(np.asarray(image.convert("RGB")))
    return _bits_hex(bits), int(quality)


def pdq_dihedral_hex(image: Image.Image) -> tuple[tuple[str, ...], int]:
    """The eight dihedral PDQ hashes (the first is `pdq_hex`'s) and the quality, for the
    cost of one hash."""
    variants, quality = pdqhash.compute_dihedral(np.asarray(image.convert("RGB")))
    return tuple(_bits_hex(bits) for bits in variants), int(quality)


def pdq_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def photo_hashes(data: bytes) -> PhotoHashes:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            dihedral, quality = pdq_dihedral_hex(image)
            width, height = image.size
            extension = EXTENSIONS.get(image.format or "", "jpg")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise PhotoUnreadable("not a readable image") from exc
    return PhotoHashes(
        sha256=hashlib.sha256(data).hexdigest(),
        pdq_hash=dihedral[0],
        pdq_quality=quality,
        width=width,
        height=height,
        dihedral=dihedral,
        extension=extension,
    )


def photo_store(data: bytes, sha256: str, extension: str = "jpg") -> str:
    """Save under a name derived from the content; the same bytes are stored once."""
    name = f"photos/{sha256[:2]}/{sha256}.{extension}"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(data))
    return name
