#!/usr/bin/env python3
"""Draws Pruuf's app icons (public/icons/*.png) from the same shapes as
public/favicon.svg: a green tile with a white tick. Pure Python (zlib only), so
it runs anywhere; the PNGs are committed, this is how to remake them.

  python3 scripts/make-icons.py
"""
import math
import os
import struct
import zlib

GREEN = (0x1B, 0x5E, 0x20)
WHITE = (0xFF, 0xFF, 0xFF)
# The tick of favicon.svg, in a 64-unit box: M18 33 l9 9 19-20, 7 units wide.
TICK = [(18, 33), (27, 42), (46, 22)]
STROKE = 7


def seg_dist(px, py, a, b):
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def rounded_rect_dist(px, py, size, radius):
    """Signed distance to a rounded square of side `size` (negative inside)."""
    half = size / 2
    qx, qy = abs(px - half) - (half - radius), abs(py - half) - (half - radius)
    outside = math.hypot(max(qx, 0), max(qy, 0))
    return outside + min(max(qx, qy), 0) - radius


def draw(size, maskable):
    # A maskable icon fills its square and keeps the tick in the middle 80 %.
    scale = size / 64 * (0.72 if maskable else 1.0)
    offset = (size - 64 * scale) / 2
    radius = 0 if maskable else 16 * size / 64
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            edge = rounded_rect_dist(px, py, size, radius) if radius else -1
            alpha = max(0.0, min(1.0, 0.5 - edge))
            ux, uy = (px - offset) / scale, (py - offset) / scale
            d = min(seg_dist(ux, uy, TICK[i], TICK[i + 1]) for i in range(2))
            tick = max(0.0, min(1.0, (STROKE / 2 - d) * scale + 0.5))
            colour = [round(g + (w - g) * tick) for g, w in zip(GREEN, WHITE)]
            row += bytes(colour) + bytes([round(alpha * 255)])
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "public", "icons")
    os.makedirs(root, exist_ok=True)
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),
    ]:
        with open(os.path.join(root, name), "wb") as f:
            f.write(draw(size, maskable))
        print("wrote public/icons/" + name)


if __name__ == "__main__":
    main()
