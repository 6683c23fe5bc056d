"""Small generated photos for the demo: a car, a building, a part or a gadget, drawn with
Pillow from a seeded random generator, so the same seed draws the same pictures."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 160, 120

MOTIF_BY_CATEGORY = {
    "cars": "car",
    "auto_parts": "part",
    "apartments": "building",
    "houses": "house",
    "short_term_rental": "room",
    "long_term_rental": "room",
    "electronics": "gadget",
    "home_goods": "gadget",
    "clothing": "gadget",
    "services": "chart",
}


def _colour(rng: random.Random, lo: int = 30, hi: int = 230) -> tuple[int, int, int]:
    return (rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(lo, hi))


def _backdrop(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    top, bottom = _colour(rng, 120, 240), _colour(rng, 60, 180)
    horizon = rng.randint(55, 85)
    for y in range(HEIGHT):
        t = y / HEIGHT
        base = top if y < horizon else bottom
        shade = tuple(int(c * (0.8 + 0.4 * t)) % 256 for c in base)
        draw.line([(0, y), (WIDTH, y)], fill=shade)
    # Scattered marks make every picture's perceptual hash its own.
    for _ in range(rng.randint(6, 14)):
        x, y, r = rng.randint(0, WIDTH), rng.randint(0, HEIGHT), rng.randint(3, 16)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=_colour(rng))


def _car(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    x, y = rng.randint(15, 40), rng.randint(55, 70)
    body = _colour(rng)
    draw.rounded_rectangle([x, y, x + 100, y + 28], radius=8, fill=body)
    draw.polygon([(x + 22, y), (x + 35, y - 18), (x + 70, y - 18), (x + 85, y)], fill=body)
    draw.rectangle([x + 38, y - 14, x + 67, y - 2], fill=(190, 220, 240))
    for wx in (x + 22, x + 78):
        draw.ellipse([wx - 11, y + 18, wx + 11, y + 40], fill=(25, 25, 25))


def _building(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    x, w, h = rng.randint(25, 60), rng.randint(50, 80), rng.randint(70, 100)
    draw.rectangle([x, HEIGHT - h, x + w, HEIGHT], fill=_colour(rng, 120, 220))
    for wy in range(HEIGHT - h + 8, HEIGHT - 8, 14):
        for wx in range(x + 6, x + w - 8, 14):
            draw.rectangle(
                [wx, wy, wx + 7, wy + 8],
                fill=(250, 240, 180) if rng.random() > 0.4 else (60, 70, 90),
            )


def _house(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    x, y = rng.randint(30, 60), rng.randint(55, 70)
    draw.rectangle([x, y, x + 70, y + 45], fill=_colour(rng, 140, 230))
    draw.polygon([(x - 8, y), (x + 35, y - 30), (x + 78, y)], fill=_colour(rng, 90, 160))
    draw.rectangle([x + 28, y + 20, x + 42, y + 45], fill=(90, 60, 40))


def _room(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    draw.rectangle([0, 80, WIDTH, HEIGHT], fill=_colour(rng, 120, 200))
    x = rng.randint(10, 60)
    draw.rounded_rectangle([x, 60, x + 80, 95], radius=6, fill=_colour(rng))
    draw.rectangle(
        [x + 95, 20, x + 140, 55], fill=(200, 230, 250), outline=(255, 255, 255), width=3
    )


def _part(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    cx, cy, r = rng.randint(60, 100), rng.randint(50, 70), rng.randint(25, 40)
    colour = _colour(rng, 80, 180)
    for angle in range(0, 360, 30):
        draw.pieslice(
            [cx - r - 8, cy - r - 8, cx + r + 8, cy + r + 8], angle, angle + 12, fill=colour
        )
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    draw.ellipse([cx - r // 3, cy - r // 3, cx + r // 3, cy + r // 3], fill=(40, 40, 40))


def _gadget(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    x, y = rng.randint(40, 80), rng.randint(15, 30)
    draw.rounded_rectangle([x, y, x + 45, y + 85], radius=8, fill=(30, 30, 35))
    draw.rectangle([x + 4, y + 8, x + 41, y + 72], fill=_colour(rng, 100, 250))


def _chart(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    points = [(10 + i * 20, 100 - i * rng.randint(5, 12)) for i in range(8)]
    draw.line(points, fill=(20, 160, 60), width=4)


_MOTIFS = {
    "car": _car,
    "building": _building,
    "house": _house,
    "room": _room,
    "part": _part,
    "gadget": _gadget,
    "chart": _chart,
}


def photo_draw(rng: random.Random, category: str) -> bytes:
    """A JPEG of about 4 KB showing something that fits the category."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    _backdrop(draw, rng)
    _MOTIFS[MOTIF_BY_CATEGORY.get(category, "gadget")](draw, rng)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
