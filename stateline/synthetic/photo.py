"""Tiny synthetic licence photos: 24x32 four-colour PNG silhouettes, built with zlib and struct.

A photo is one of a few dozen head-and-shoulders shapes painted with a palette of four colours
(background, skin, hair, clothes). The shapes are compressed once; each photo then costs one
small palette chunk, so a million of them take seconds.
"""

from __future__ import annotations

import struct
import zlib
from functools import cache

WIDTH = 24
HEIGHT = 32

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BACKGROUNDS = ((196, 214, 230), (230, 230, 230), (210, 225, 205), (235, 225, 200))
_SKINS = (
    (255, 224, 196),
    (241, 194, 160),
    (224, 172, 130),
    (198, 134, 90),
    (160, 100, 60),
    (120, 75, 45),
    (90, 56, 36),
)
_HAIRS = ((20, 20, 20), (80, 50, 30), (140, 90, 50), (200, 160, 90), (170, 70, 30), (180, 180, 180))
_CLOTHES = ((30, 40, 90), (120, 20, 30), (40, 90, 50), (60, 60, 60), (200, 200, 210), (90, 60, 120))

_HEAD_WIDTHS = (5, 6, 7)
_HAIR_STYLES = 4  # bald, short, long, tall
_SHOULDERS = 2  # narrow, broad
SHAPES = len(_HEAD_WIDTHS) * _HAIR_STYLES * _SHOULDERS
VARIANTS = SHAPES * len(_BACKGROUNDS) * len(_SKINS) * len(_HAIRS) * len(_CLOTHES)
"""How many different photos there are; ``portrait(v)`` for ``v`` in ``range(VARIANTS)``."""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _pixel(x: int, y: int, head: int, hair: int, broad: int) -> int:
    """Palette index at (x, y): 0 background, 1 skin, 2 hair, 3 clothes."""
    dx, dy = x - 11.5, y - 13
    in_head = (dx / head) ** 2 + (dy / 8) ** 2 <= 1
    shoulder = 9 + 2 * broad
    if y >= 24 and abs(dx) <= shoulder - max(0, 27 - y):
        return 3
    if hair == 1 and in_head and dy < -4:
        return 2
    if hair == 2 and (dx / (head + 1)) ** 2 + ((dy + 1) / 9) ** 2 <= 1 and (dy < -4 or not in_head):
        return 2
    if hair == 3 and (dx / head) ** 2 + ((dy + 2) / 9) ** 2 <= 1 and dy < -5:
        return 2
    if in_head or (abs(dx) <= 2 and 20 <= y < 24):
        return 1
    return 0


@cache
def _image_data(shape: int) -> bytes:
    """The compressed IDAT payload of one shape: 2 bits per pixel, filter 0 on every row."""
    head = _HEAD_WIDTHS[shape % len(_HEAD_WIDTHS)]
    hair = (shape // len(_HEAD_WIDTHS)) % _HAIR_STYLES
    broad = shape // (len(_HEAD_WIDTHS) * _HAIR_STYLES)
    raw = bytearray()
    for y in range(HEIGHT):
        raw.append(0)
        for x in range(0, WIDTH, 4):
            byte = 0
            for i in range(4):
                byte = (byte << 2) | _pixel(x + i, y, head, hair, broad)
            raw.append(byte)
    return _chunk(b"IDAT", zlib.compress(bytes(raw), 9))


_HEADER = _SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", WIDTH, HEIGHT, 2, 3, 0, 0, 0))
_END = _chunk(b"IEND", b"")


@cache
def portrait(variant: int) -> bytes:
    """The PNG for ``variant`` (0 to ``VARIANTS - 1``), its shape and colours read from its digits.

    Cached: a population shares its few thousand distinct photos, as it shares names.
    """
    if not 0 <= variant < VARIANTS:
        raise ValueError(f"variant must be in range({VARIANTS})")
    variant, shape = divmod(variant, SHAPES)
    variant, background = divmod(variant, len(_BACKGROUNDS))
    variant, skin = divmod(variant, len(_SKINS))
    variant, hair = divmod(variant, len(_HAIRS))
    clothes = variant % len(_CLOTHES)
    palette = bytes((*_BACKGROUNDS[background], *_SKINS[skin], *_HAIRS[hair], *_CLOTHES[clothes]))
    return _HEADER + _chunk(b"PLTE", palette) + _image_data(shape) + _END
