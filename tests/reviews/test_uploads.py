"""Appellants' files: every metadata segment is gone after the redraw, and every file of a post
is checked before any picture is decoded."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image, PngImagePlugin

from reviews import uploads
from reviews.uploads import (
    JPEG_PIXELS_MAX,
    PNG_PIXELS_MAX,
    STORED_SIDE_MAX,
    Upload,
    UploadRefused,
    attachments_clean,
)
from tests.appeal_fixtures import EXECUTABLE, PDF_BYTES, jpeg_bytes, png_bytes

SECRET_PLACE = b"GPS 43.2567N 76.9286E home of the appellant"


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def with_segments(jpeg: bytes, *segments: bytes) -> bytes:
    """The JPEG with segments inserted right after its start-of-image marker."""
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the start of the scan."""
    markers, at = [0xD8], 2
    while at < len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        at += 2 + struct.unpack(">H", data[at + 2 : at + 4])[0]
    return markers


def test_a_jpeg_keeps_no_metadata_segment():
    dirty = with_segments(
        jpeg_bytes(gps=True),
        segment(0xFE, SECRET_PLACE),  # COM: the comment the review found surviving
        segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + SECRET_PLACE),  # XMP
        segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"\x00" * 64),  # ICC profile
        segment(0xED, b"Photoshop 3.0\x00" + SECRET_PLACE),  # IPTC
        segment(0xEF, SECRET_PLACE),  # any other application segment
    )
    assert SECRET_PLACE in dirty
    [clean] = attachments_clean([Upload("IMG_0001.jpg", dirty)])
    assert clean.content_type == "image/jpeg"
    assert SECRET_PLACE not in clean.data
    markers = jpeg_markers(clean.data)
    assert 0xFE not in markers
    # Only JFIF's APP0 among the application segments.
    assert [m for m in markers if 0xE0 <= m <= 0xEF] == [0xE0]
    with Image.open(io.BytesIO(clean.data)) as image:
        assert not image.getexif()
        assert "comment" not in image.info and "icc_profile" not in image.info


def test_a_png_keeps_no_text_exif_or_profile():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET_PLACE.decode())
    info.add_itxt("Location", SECRET_PLACE.decode())
    info.add_text("Author", SECRET_PLACE.decode(), zip=True)
    exif = Image.Exif()
    exif[0x010E] = SECRET_PLACE.decode()  # image description
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 255, 128)).save(
        out, format="PNG", pnginfo=info, exif=exif.tobytes(), icc_profile=b"\x00" * 128
    )
    dirty = out.getvalue()
    assert SECRET_PLACE in dirty
    [clean] = attachments_clean([Upload("screen.png", dirty)])
    assert clean.content_type == "image/jpeg"
    assert SECRET_PLACE not in clean.data
    with Image.open(io.BytesIO(clean.data)) as image:
        assert not image.getexif() and image.size == (40, 30)
        # Transparent parts are laid on white.
        assert image.getpixel((0, 0))[0] > 100


def test_pictures_are_stored_upright_and_no_larger_than_the_limit():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # taken rotated: to be turned 90°
    Image.new("RGB", (4000, 1000), (10, 200, 10)).save(out, format="JPEG", exif=exif.tobytes())
    [clean] = attachments_clean([Upload("tall.jpg", out.getvalue())])
    with Image.open(io.BytesIO(clean.data)) as image:
        width, height = image.size
    assert height <= STORED_SIDE_MAX and height >= STORED_SIDE_MAX // 2
    assert height == 4 * width  # turned upright: 1000 × 4000, scaled down


def flat_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 120, 120)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def redraws(monkeypatch) -> list[str]:
    """The names of the files whose pictures were decoded and drawn again."""
    seen: list[str] = []
    redraw = uploads._redraw

    def spy(checked):
        seen.append(checked.name)
        return redraw(checked)

    monkeypatch.setattr(uploads, "_redraw", spy)
    return seen


def test_a_picture_over_the_limit_is_refused_from_its_header(redraws):
    too_many = flat_png(4000, PNG_PIXELS_MAX // 4000 + 1)
    assert len(too_many) < 200_000  # small as a file, large as a picture
    with pytest.raises(UploadRefused, match="too large"):
        attachments_clean([Upload("bomb.png", too_many)])
    assert redraws == []


def test_a_jpeg_over_its_limit_is_refused_too(redraws):
    out = io.BytesIO()
    side = int(JPEG_PIXELS_MAX**0.5) + 10
    Image.new("L", (side, side), 128).save(out, format="JPEG", quality=10)
    with pytest.raises(UploadRefused, match="too large"):
        attachments_clean([Upload("huge.jpg", out.getvalue())])
    assert redraws == []


@pytest.mark.parametrize(
    "bad",
    [
        Upload("last.exe", EXECUTABLE),
        Upload("last.png", flat_png(4000, PNG_PIXELS_MAX // 4000 + 1)),
        Upload("last.pdf", b"%PDF-1.7\nno end"),
        Upload("last.jpg", b"\xff\xd8\xff" + png_bytes()),
    ],
)
def test_one_bad_file_refuses_the_post_before_any_picture_is_decoded(redraws, bad):
    good = [Upload("a.jpg", jpeg_bytes()), Upload("b.png", png_bytes())]
    with pytest.raises(UploadRefused, match="last"):
        attachments_clean([*good, bad])
    assert redraws == []


def test_a_post_within_the_limits_is_accepted(redraws):
    cleaned = attachments_clean(
        [
            Upload("a.jpg", jpeg_bytes()),
            Upload("b.png", flat_png(3000, PNG_PIXELS_MAX // 3000)),
            Upload("c.pdf", PDF_BYTES),
        ]
    )
    assert [c.content_type for c in cleaned] == ["image/jpeg", "image/jpeg", "application/pdf"]
    assert redraws == ["a.jpg", "b.png"]
    assert cleaned[2].data == PDF_BYTES
