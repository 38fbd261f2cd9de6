"""Synthetic photos decode as the PNGs they claim to be."""

from __future__ import annotations

import struct
import zlib

import pytest

from stateline.synthetic.photo import HEIGHT, VARIANTS, WIDTH, portrait


def chunks(png: bytes) -> dict[bytes, bytes]:
    found, at = {}, 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data)
        found[kind] = data
        at += 12 + length
    return found


def test_a_portrait_is_a_valid_palette_png() -> None:
    png = portrait(12345)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    parts = chunks(png)
    assert list(parts) == [b"IHDR", b"PLTE", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBB", parts[b"IHDR"][:10]) == (WIDTH, HEIGHT, 2, 3)
    raw = zlib.decompress(parts[b"IDAT"])
    assert len(raw) == HEIGHT * (1 + WIDTH // 4)
    assert len(parts[b"PLTE"]) == 12


def test_portraits_are_deterministic_and_vary() -> None:
    assert portrait(7) == portrait(7)
    assert len({portrait(v) for v in range(0, VARIANTS, 97)}) == len(range(0, VARIANTS, 97))


def test_a_variant_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        portrait(VARIANTS)
