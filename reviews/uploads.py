"""Appellants' evidence files: JPEG, PNG or PDF, recognised by their content, never by their
name.

Every file of a post is checked first — size, type, and for images the picture's size read
from its header — and only when all of them pass is any image decoded. Images are then drawn
again into a fresh picture and stored as a JPEG of at most `STORED_SIDE_MAX` pixels on its
longer side: nothing of the original file survives but its pixels, so no metadata segment
(EXIF with a GPS position, XMP, a JPEG comment, an ICC profile, PNG text chunks) and nothing
hidden after the picture.

The limits bound the work a post can cause (`make bench` measures the worst accepted post):
a JPEG is decoded at a reduced scale (its DCT allows 1/2, 1/4, 1/8), so it may be large; a
PNG is decoded whole, so its pixels are limited more tightly.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from antifraud.errors import InvalidInput

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF_MAGIC = b"%PDF-"
# Any phone camera's picture (8000 × 6000 is 48 MP), decoded at a reduced scale.
JPEG_PIXELS_MAX = 50_000_000
# Any phone's or monitor's screenshot and an A4 scan at 300 dpi (8.7 MP), decoded whole.
PNG_PIXELS_MAX = 12_000_000
# Stored images: readable as evidence, small to keep and to serve.
STORED_SIDE_MAX = 2048
JPEG_QUALITY = 90
# EXIF orientations and the turn that makes each picture upright.
ORIENTATION = 0x0112
TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class UploadRefused(InvalidInput):
    code = "upload_refused"


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass(frozen=True)
class CleanFile:
    content_type: str
    extension: str
    data: bytes
    original_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class _Checked:
    upload: Upload
    name: str
    kind: str  # "JPEG", "PNG" or "PDF"


def _refuse(message: str, name: str) -> UploadRefused:
    return UploadRefused(message % {"name": name})


def _check(upload: Upload) -> _Checked:
    """Size, type by content and, for an image, its picture size from the header. Decodes
    nothing."""
    name = (upload.name or "file")[:200]
    limit = settings.APPEAL_ATTACHMENT_MAX_BYTES
    if len(upload.data) > limit:
        raise UploadRefused(
            _("%(name)s: a file may be at most %(mb)d MB.")
            % {"name": name, "mb": limit // (1024 * 1024)}
        )
    if not upload.data:
        raise _refuse(_("%(name)s: the file is empty."), name)
    head = upload.data[:16]
    if head.startswith(PDF_MAGIC):
        if b"%%EOF" not in upload.data[-2048:]:
            raise _refuse(_("%(name)s: this is not a PDF document."), name)
        return _Checked(upload, name, "PDF")
    if head.startswith(JPEG_MAGIC):
        kind, pixels_max = "JPEG", JPEG_PIXELS_MAX
    elif head.startswith(PNG_MAGIC):
        kind, pixels_max = "PNG", PNG_PIXELS_MAX
    else:
        raise _refuse(_("%(name)s: only JPEG, PNG or PDF files are accepted."), name)
    try:
        # Opening reads the header only; the pixels are decoded later, by _redraw.
        with Image.open(io.BytesIO(upload.data)) as probe:
            if probe.format != kind:
                raise _refuse(_("%(name)s: the content is not the image it claims to be."), name)
            width, height = probe.size
    except UploadRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _refuse(_("%(name)s: the image cannot be read."), name) from exc
    if width * height > pixels_max:
        raise UploadRefused(
            _("%(name)s: the picture is too large (at most %(mp)d megapixels).")
            % {"name": name, "mp": pixels_max // 1_000_000}
        )
    return _Checked(upload, name, kind)


def _redraw(checked: _Checked) -> bytes:
    """The picture alone, drawn again and stored as a JPEG: no byte of the original file."""
    try:
        with Image.open(io.BytesIO(checked.upload.data)) as image:
            if checked.kind == "JPEG":
                # Decode at the smallest DCT scale whose picture still has half the stored
                # size: a 4000-pixel photo is decoded at 2000, not at 4000 and then halved.
                half = STORED_SIDE_MAX // 2
                image.draft("RGB", (half, half))
            image.load()
            orientation = image.getexif().get(ORIENTATION, 1)
            # Shrink first, while the picture is in its own mode: every later step then
            # works on at most STORED_SIDE_MAX² pixels.
            picture = image if image.mode in ("RGB", "RGBA", "L") else image.convert("RGBA")
            factor = math.ceil(max(picture.size) / STORED_SIDE_MAX)
            if factor > 1:
                # Averaging whole blocks of pixels: far cheaper than resampling, and as sharp
                # at these factors.
                picture = picture.reduce(factor)
            if picture.mode == "RGBA":
                flat = Image.new("RGB", picture.size, (255, 255, 255))
                flat.paste(picture, mask=picture.getchannel("A"))
            else:
                flat = picture.convert("RGB")
            # A fresh image carries no `info` (comment, ICC, EXIF) into the encoder.
            fresh = Image.frombytes("RGB", flat.size, flat.tobytes())
            if orientation in TURNS:
                fresh = fresh.transpose(TURNS[orientation])
            out = io.BytesIO()
            fresh.save(out, format="JPEG", quality=JPEG_QUALITY)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _refuse(_("%(name)s: the image cannot be read."), checked.name) from exc


def attachments_clean(uploads: Sequence[Upload]) -> list[CleanFile]:
    """Check every file, then redraw the images. The first file refused stops the post
    before any picture is decoded."""
    checked = [_check(upload) for upload in uploads]
    cleaned = []
    for item in checked:
        if item.kind == "PDF":
            cleaned.append(CleanFile("application/pdf", "pdf", item.upload.data, item.name))
        else:
            cleaned.append(CleanFile("image/jpeg", "jpg", _redraw(item), item.name))
    return cleaned
