"""Appellants' evidence files: JPEG, PNG or PDF, recognised by their content, never by their
name. Images are decoded and encoded again, which drops their metadata (GPS position,
camera, author) and anything hidden after the picture."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from antifraud.errors import InvalidInput

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PDF_MAGIC = b"%PDF-"
# Large enough for any phone photo, small enough that a decompression bomb is refused.
MAX_PIXELS = 40_000_000


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


def _reencode(data: bytes, fmt: str, name: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != fmt:
                raise UploadRefused(
                    _("%(name)s: the content is not the image it claims to be.") % {"name": name}
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise UploadRefused(_("%(name)s: the picture is too large.") % {"name": name})
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if fmt == "JPEG":
                upright.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
            else:
                keep = "RGBA" if upright.mode in ("RGBA", "LA", "P") else "RGB"
                upright.convert(keep).save(out, format="PNG", optimize=True)
            return out.getvalue()
    except UploadRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UploadRefused(_("%(name)s: the image cannot be read.") % {"name": name}) from exc


def _check_pdf(data: bytes, name: str) -> None:
    if not data.startswith(PDF_MAGIC) or b"%%EOF" not in data[-2048:]:
        raise UploadRefused(_("%(name)s: this is not a PDF document.") % {"name": name})


def attachment_clean(upload: Upload) -> CleanFile:
    name = (upload.name or "file")[:200]
    limit = settings.APPEAL_ATTACHMENT_MAX_BYTES
    if len(upload.data) > limit:
        raise UploadRefused(
            _("%(name)s: a file may be at most %(mb)d MB.")
            % {"name": name, "mb": limit // (1024 * 1024)}
        )
    if not upload.data:
        raise UploadRefused(_("%(name)s: the file is empty.") % {"name": name})
    head = upload.data[:16]
    if head.startswith(JPEG_MAGIC):
        return CleanFile("image/jpeg", "jpg", _reencode(upload.data, "JPEG", name), name)
    if head.startswith(PNG_MAGIC):
        return CleanFile("image/png", "png", _reencode(upload.data, "PNG", name), name)
    if head.startswith(PDF_MAGIC):
        _check_pdf(upload.data, name)
        return CleanFile("application/pdf", "pdf", upload.data, name)
    raise UploadRefused(_("%(name)s: only JPEG, PNG or PDF files are accepted.") % {"name": name})
