"""The costliest appeal posts the upload limits accept, next to hashing the same bytes.

Each post carries three files at a limit: pictures with the most pixels allowed, and files
of the largest size allowed with content that compresses badly. Prints one JSON object.
Run by benchmarks/run.py (DJANGO_SETTINGS_MODULE=benchmarks.settings).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial

import numpy as np


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()


def _encoded(array: np.ndarray, fmt: str, max_bytes: int) -> bytes:
    from PIL import Image

    image = Image.fromarray(array)
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, format="PNG")
    else:
        image.save(out, format="JPEG", quality=95)
    data = out.getvalue()
    if len(data) > max_bytes:
        raise SystemExit(f"bench: a {fmt} of {len(data)} bytes is over the limit; shrink it")
    return data


def _posts(max_bytes: int) -> dict[str, list[bytes]]:
    from reviews.uploads import JPEG_PIXELS_MAX, PNG_PIXELS_MAX

    rng = np.random.default_rng(7)

    def side(pixels: int) -> tuple[int, int]:
        width = int((pixels * 4 / 3) ** 0.5)
        return width, pixels // width

    def flat(pixels: int) -> np.ndarray:
        width, height = side(pixels)
        return np.full((height, width, 3), 128, np.uint8)

    def photo(pixels: int) -> np.ndarray:
        width, height = side(pixels)
        x = np.linspace(0, 255, width, dtype=np.float32)
        y = np.linspace(0, 255, height, dtype=np.float32)
        base = np.stack(
            [np.add.outer(y, x) / 2, np.tile(x, (height, 1)), np.tile(y[:, None], (1, width))], -1
        )
        return (base + rng.integers(0, 12, base.shape)).clip(0, 255).astype(np.uint8)

    def noise(pixels: int) -> np.ndarray:
        width, height = side(pixels)
        return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)

    return {
        "PNG, most pixels": [_encoded(flat(PNG_PIXELS_MAX), "PNG", max_bytes)] * 3,
        "PNG, largest file": [_encoded(noise(1_650_000), "PNG", max_bytes)] * 3,
        "JPEG, most pixels": [_encoded(flat(JPEG_PIXELS_MAX), "JPEG", max_bytes)] * 3,
        "JPEG, largest photo": [_encoded(photo(12_000_000), "JPEG", max_bytes)] * 3,
        "JPEG, largest file": [_encoded(noise(4_200_000), "JPEG", max_bytes)] * 3,
    }


def _hash_all(files: list[bytes]) -> list[bytes]:
    return [hashlib.sha256(data).digest() for data in files]


def _timed(run: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    _setup_django()
    from django.conf import settings

    from reviews.uploads import Upload, attachments_clean

    results: dict[str, float] = {}
    worst_ms, worst_hash_ms = 0.0, 0.0
    for name, files in _posts(settings.APPEAL_ATTACHMENT_MAX_BYTES).items():
        uploads = [Upload(f"{n}.bin", data) for n, data in enumerate(files)]
        ms = _timed(partial(attachments_clean, uploads))
        hash_ms = _timed(partial(_hash_all, files))
        results[f"appeal post, 3 × {name} (ms)"] = round(ms, 1)
        if ms > worst_ms:
            worst_ms, worst_hash_ms = ms, hash_ms
    results["worst accepted appeal post (ms)"] = round(worst_ms, 1)
    results["worst post / hashing its bytes ratio"] = round(worst_ms / worst_hash_ms, 1)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
