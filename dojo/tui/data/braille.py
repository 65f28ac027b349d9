"""A line plot in Unicode braille: each character cell holds 2x4 dots, so a 60x8 cell chart
has 120x32 points of resolution. Pure numpy; the widget only turns masks into characters."""

from __future__ import annotations

import numpy as np

BRAILLE_BASE = 0x2800
# Dot bit of the sub-row (0..3, top first) and sub-column (0..1) within one cell.
DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.int32)


def scale(values: np.ndarray, lo: float, hi: float, pixels: int) -> np.ndarray:
    """Pixel coordinate 0..pixels-1 of each value in [lo, hi] (clipped)."""
    span = hi - lo if hi > lo else 1.0
    return np.clip(np.rint((np.asarray(values, dtype=float) - lo) / span * (pixels - 1)), 0, pixels - 1).astype(
        np.int64
    )


def plot(
    x: np.ndarray, y: np.ndarray, width: int, height: int, x_range: tuple[float, float], y_range: tuple[float, float]
) -> np.ndarray:
    """(height, width) braille dot masks of the line through the points (x, y).

    Each pixel column keeps the highest sample that falls in it, so a one-bucket spike is never
    averaged away; columns between samples are interpolated and neighbours joined by a vertical
    run, so the line reads as one stroke."""
    cells = np.zeros((height, width), dtype=np.int32)
    ok = ~np.isnan(np.asarray(y, dtype=float))
    if width <= 0 or height <= 0 or not ok.any():
        return cells
    px_w, px_h = 2 * width, 4 * height
    col = scale(np.asarray(x)[ok], *x_range, px_w)
    row_up = scale(np.asarray(y)[ok], *y_range, px_h)  # 0 at the bottom
    best = np.full(px_w, -1)
    np.maximum.at(best, col, row_up)
    present = np.flatnonzero(best >= 0)
    cols = np.arange(present[0], present[-1] + 1)
    ys = (px_h - 1) - np.rint(np.interp(cols, present, best[present])).astype(np.int64)  # 0 at the top
    prev = np.concatenate([ys[:1], ys[:-1]])
    lo, hi = np.minimum(prev, ys), np.maximum(prev, ys)
    rows = np.arange(px_h)[:, None]
    dots = np.zeros((px_h, px_w), dtype=bool)
    dots[:, cols] = (rows >= lo) & (rows <= hi)
    bits = dots.reshape(height, 4, width, 2) * DOT_BITS[None, :, None, :]
    return bits.sum(axis=(1, 3))


def cell_row(value: float, y_range: tuple[float, float], height: int) -> int:
    """The character row (0 at the top) where a horizontal line at `value` falls."""
    up = int(scale(np.array([value]), *y_range, 4 * height)[0])
    return ((4 * height - 1) - up) // 4
