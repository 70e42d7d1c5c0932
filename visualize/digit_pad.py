"""The classroom's ``?digits`` lesson: a digit drawn with the mouse, scaled to 8x8 the
way the digits data set was made, and classified by a small model chainrule trained.

>>> strokes = [[(50, 10), (50, 90)]]                # a "1": one stroke, top to bottom
>>> pixels = to_digits_8x8(strokes)
>>> len(pixels), pixels[24:32]                      # 64 counts of 0..16; row 4:
(64, [0, 0, 0, 12, 12, 0, 0, 0])
>>> result = classify(pixels)
>>> len(result["probabilities"]), result["digit"] == max(range(10),
...     key=result["probabilities"].__getitem__)
(10, True)
>>> probabilities_svg(result["probabilities"]).startswith("<svg ")
True

**How the digits set was made** (scikit-learn's ``load_digits`` is the test part of
UCI's "Optical Recognition of Handwritten Digits", optdigits; Alpaydin and Kaynak,
1998): NIST's programs cut each digit out of a scanned form as a 32x32 bitmap,
size-normalized and centred; "the 32x32 bitmaps are divided into nonoverlapping
blocks of 4x4 and the number of on pixels are counted in each block.  This
generates an input matrix of 8x8 where each element is an integer in the range
0..16" (the data set's description).  :func:`to_digits_8x8` does the same to the
pad's ink: the bounding box of the ink, scaled (nearest pixel, aspect ratio kept) so
its longer side spans the 32 pixels, centred, then 4x4 blocks counted.  Strokes are
first drawn into a 32x32 bitmap with a pen about as thick as the data set's (a
fifth of the drawing's longer side).

The model (``digit_pad_model.json`` beside this module, chainrule's model file) is an
``MLP(64, [32, 10])`` trained by :func:`nn.fit` on the split of ``chainrule train
--dataset digits``, its test rows held out (``docs/bench/train_digit_pad_model.py``
retrains it); :func:`classify` reads its metadata's scaler (pixels / 16) and returns the
softmax probabilities and every layer's activations, pure Python.
"""

from __future__ import annotations

import math
from numbers import Real
from pathlib import Path
from typing import Optional, Sequence

from nn.data import scaler_from_dict
from nn.losses import softmax
from nn.serialize import load

from .lesson_svg import NEGATIVE, POSITIVE, circle, line, mix, rect, svg_document, text

__all__ = ["to_digits_8x8", "strokes_to_grid", "ink_grid", "digit_to_grid", "classify",
           "probabilities_svg", "activations_svg", "pixels_svg", "load_model", "MODEL_PATH",
           "DigitPadError", "FRAME", "BLOCK"]

FRAME, BLOCK = 32, 4          # the data set's bitmap side and block side
PEN = 1 / 5                   # the pen's width as a share of the drawing's longer side
MAX_GRID, MAX_POINTS = 1024, 20_000
MODEL_PATH = Path(__file__).with_name("digit_pad_model.json")
INK, PAPER = "#1b1b1b", "#ffffff"


class DigitPadError(ValueError):
    """Input the digit pad cannot use; the message is one line saying how to fix it."""


def _fail(problem: str) -> DigitPadError:
    return DigitPadError(f"digit pad: {problem}")


def _finite(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


# --- ink to 8x8 -----------------------------------------------------------------------


def ink_grid(grid: Sequence[Sequence[float]]) -> list[list[int]]:
    """A rectangular grid of ink (0/1, booleans or a share of ink in [0, 1]) as rows of
    0/1, on where the ink is at least one half."""
    if isinstance(grid, (str, bytes)) or not isinstance(grid, Sequence) or not grid:
        raise _fail("the ink is empty: give rows of 0/1 pixels, e.g. a 32x32 grid")
    width = None
    rows = []
    if len(grid) > MAX_GRID:
        raise _fail(f"the grid has {len(grid)} rows; at most {MAX_GRID}")
    for r, row in enumerate(grid):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise _fail(f"row {r} is {type(row).__name__}, not a list of pixels")
        if width is None:
            width = len(row)
            if not 1 <= width <= MAX_GRID:
                raise _fail(f"row 0 has {width} pixels; give 1 to {MAX_GRID} per row")
        elif len(row) != width:
            raise _fail(f"row {r} has {len(row)} pixels but row 0 has {width}: the grid "
                        "must be rectangular")
        for c, value in enumerate(row):
            if not (isinstance(value, bool) or (_finite(value) and 0 <= value <= 1)):
                raise _fail(f"pixel ({r}, {c}) is {value!r:.30}; give 0/1 or ink in [0, 1]")
        rows.append([1 if value >= 0.5 else 0 for value in row])
    return rows


def strokes_to_grid(strokes: Sequence[Sequence[Sequence[float]]],
                    size: int = FRAME) -> list[list[int]]:
    """Strokes (each a list of ``(x, y)`` points, y downwards as on a screen, in any
    units) drawn into a ``size`` x ``size`` 0/1 bitmap: fitted to the frame with the
    aspect ratio kept, with a pen :data:`PEN` of the drawing's longer side wide."""
    if isinstance(size, bool) or not isinstance(size, int) or not 8 <= size <= MAX_GRID:
        raise _fail(f"strokes_to_grid(size={size!r:.30}): give a whole number of pixels from 8 "
                    f"to {MAX_GRID}")
    points = _stroke_points(strokes)
    xs, ys = [p[0] for s in points for p in s], [p[1] for s in points for p in s]
    span = max(max(xs) - min(xs), max(ys) - min(ys))
    if not math.isfinite(span):
        raise _fail(f"the points span {span} units; keep the coordinates within about 1e300")
    if span == 0:
        span = 1.0  # a dot: draw it one pen wide
    radius = PEN * span / 2
    scale = size / (span + 2 * radius)
    # the drawing's centre goes to the frame's centre
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    grid = [[0] * size for _ in range(size)]
    r = radius * scale
    for stroke in points:
        mapped = [((x - cx) * scale + size / 2, (y - cy) * scale + size / 2) for x, y in stroke]
        segments = list(zip(mapped, mapped[1:])) or [(mapped[0], mapped[0])]
        for a, b in segments:
            _draw_segment(grid, a, b, r)
    return grid


def _stroke_points(strokes) -> list[list[tuple[float, float]]]:
    if isinstance(strokes, (str, bytes)) or not isinstance(strokes, Sequence):
        raise _fail(f"strokes are {type(strokes).__name__}; give a list of strokes, each a "
                    "list of (x, y) points")
    out, count = [], 0
    for s, stroke in enumerate(strokes):
        if isinstance(stroke, (str, bytes)) or not isinstance(stroke, Sequence):
            raise _fail(f"stroke {s} is {type(stroke).__name__}, not a list of (x, y) points")
        points = []
        for point in stroke:
            if isinstance(point, (str, bytes)) or not isinstance(point, Sequence) \
                    or len(point) != 2 or not all(_finite(v) for v in point):
                raise _fail(f"stroke {s} has the point {point!r:.40}; a point is two finite "
                            "numbers (x, y)")
            points.append((float(point[0]), float(point[1])))
        count += len(points)
        if count > MAX_POINTS:
            raise _fail(f"the strokes have more than {MAX_POINTS} points; send fewer")
        if points:
            out.append(points)
    if not out:
        raise _fail("nothing is drawn: draw a digit first")
    return out


def _draw_segment(grid: list, a: tuple, b: tuple, r: float) -> None:
    """Turn on every pixel whose centre is within ``r`` of the segment ``ab``."""
    size = len(grid)
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    low_x, high_x = max(0, int(min(ax, bx) - r)), min(size - 1, int(max(ax, bx) + r) + 1)
    low_y, high_y = max(0, int(min(ay, by) - r)), min(size - 1, int(max(ay, by) + r) + 1)
    r2 = r * r
    for row in range(low_y, high_y + 1):
        py = row + 0.5
        for col in range(low_x, high_x + 1):
            px = col + 0.5
            t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy)
                                                      / length2))
            ex, ey = ax + t * dx - px, ay + t * dy - py
            if ex * ex + ey * ey <= r2:
                grid[row][col] = 1


def _fit_to_frame(grid: list[list[int]]) -> list[list[int]]:
    """The ink's bounding box scaled (nearest pixel) so its longer side is FRAME pixels,
    the aspect ratio kept (to an even number of pixels), centred in a FRAME x FRAME
    bitmap."""
    on_rows = [r for r, row in enumerate(grid) if any(row)]
    if not on_rows:
        raise _fail("the grid has no ink: draw a digit first")
    on_cols = [c for c in range(len(grid[0])) if any(row[c] for row in grid)]
    top, left = on_rows[0], on_cols[0]
    height, width = on_rows[-1] - top + 1, on_cols[-1] - left + 1
    longer = max(height, width)
    # the shorter side rounded to an even number of pixels, so it centres exactly
    new_h = max(2, 2 * round(height * FRAME / longer / 2))
    new_w = max(2, 2 * round(width * FRAME / longer / 2))
    off_r, off_c = (FRAME - new_h) // 2, (FRAME - new_w) // 2
    frame = [[0] * FRAME for _ in range(FRAME)]
    for i in range(new_h):
        source = grid[top + (2 * i + 1) * height // (2 * new_h)]
        for j in range(new_w):
            frame[off_r + i][off_c + j] = source[left + (2 * j + 1) * width // (2 * new_w)]
    return frame


def to_digits_8x8(ink, fit: bool = True) -> list[int]:
    """The 64 pixels (row by row, each 0..16) the digits set would hold for this ink.

    ``ink`` is a grid of 0/1 pixels (any rectangular size, e.g. the pad's 32x32 or
    64x64) or a list of strokes (lists of ``(x, y)`` points).  With ``fit`` (the data
    set's way) the ink's bounding box is first scaled and centred into 32x32; with
    ``fit=False`` the grid must already be 32x32 and only the 4x4 blocks are counted.

    >>> to_digits_8x8([[1] * 32 for _ in range(32)], fit=False)[:3]
    [16, 16, 16]
    """
    if _looks_like_strokes(ink):
        grid = strokes_to_grid(ink)
    else:
        grid = ink_grid(ink)
    if fit:
        grid = _fit_to_frame(grid)
    elif len(grid) != FRAME or len(grid[0]) != FRAME:
        raise _fail(f"fit=False counts the blocks of a {FRAME}x{FRAME} grid, but this one is "
                    f"{len(grid)}x{len(grid[0])}; use fit=True to scale it")
    side = FRAME // BLOCK
    return [sum(grid[BLOCK * i + a][BLOCK * j + b] for a in range(BLOCK) for b in range(BLOCK))
            for i in range(side) for j in range(side)]


def _looks_like_strokes(ink) -> bool:
    """Strokes are lists of points (pairs); a grid's rows hold numbers.  Only empty
    lists (a click that drew nothing) count as strokes too."""
    if isinstance(ink, (str, bytes)) or not isinstance(ink, Sequence) or not ink:
        return False
    if all(isinstance(s, Sequence) and not isinstance(s, (str, bytes)) and not s for s in ink):
        return True
    for stroke in ink:
        if isinstance(stroke, Sequence) and not isinstance(stroke, (str, bytes)):
            for point in stroke:
                return isinstance(point, Sequence) and not isinstance(point, (str, bytes))
    return False


def digit_to_grid(pixels: Sequence[float]) -> list[list[int]]:
    """A digits-set image (64 counts of 0..16) as a 32x32 0/1 bitmap with that many
    pixels on in each 4x4 block (row by row within the block): the inverse of the
    block count, for showing a data-set digit on the pad."""
    counts = _check_pixels(pixels)
    grid = [[0] * FRAME for _ in range(FRAME)]
    side = FRAME // BLOCK
    for index, count in enumerate(counts):
        i, j = divmod(index, side)
        for k in range(round(count)):
            a, b = divmod(k, BLOCK)
            grid[BLOCK * i + a][BLOCK * j + b] = 1
    return grid


# --- the model --------------------------------------------------------------------------

_MODEL = None


def load_model(path: Optional[Path] = None):
    """The shipped model (loaded once), or the model file at ``path``."""
    global _MODEL
    if path is not None:
        return load(path)
    if _MODEL is None:
        _MODEL = load(MODEL_PATH)
    return _MODEL


def _check_pixels(pixels) -> list[float]:
    """64 numbers in [0, 16], flat or as 8 rows of 8."""
    if isinstance(pixels, (str, bytes)) or not isinstance(pixels, Sequence) or not pixels:
        raise _fail(f"the pixels are {pixels!r:.30}; give 64 numbers of 0..16 (or 8 rows of 8)")
    if len(pixels) == 8 and all(isinstance(row, Sequence) and not isinstance(row, (str, bytes))
                                for row in pixels):
        if any(len(row) != 8 for row in pixels):
            raise _fail("8 rows of pixels, but not 8 in each; give 8 rows of 8 numbers")
        pixels = [v for row in pixels for v in row]
    if len(pixels) != 64:
        raise _fail(f"{len(pixels)} pixels; the digits set's images have 64 (8x8)")
    for index, value in enumerate(pixels):
        if not _finite(value) or not 0 <= value <= 16:
            raise _fail(f"pixel {index} is {value!r:.30}; each is a number of 0..16 "
                        "(the on pixels of its 4x4 block)")
    return [float(v) for v in pixels]


def classify(pixels_8x8: Sequence[float], model=None) -> dict:
    """``{"digit", "probabilities", "activations", "pixels"}`` for one 8x8 image (0..16).

    ``activations`` holds each layer's outputs after its activation, input first: the
    scaled pixels, the hidden layer, then the output layer's scores (logits);
    ``probabilities`` is their softmax.
    """
    model = model or load_model()
    pixels = _check_pixels(pixels_8x8)
    scaler = (getattr(model, "metadata", None) or {}).get("scaler")
    x = scaler_from_dict(scaler).transform([pixels])[0] if scaler else pixels
    activations = [x]
    for layer in model.layers:
        x = layer.outputs_data(x)
        activations.append(x)
    probabilities = softmax(x)
    digit = max(range(len(probabilities)), key=probabilities.__getitem__)
    return {"digit": digit, "probabilities": probabilities, "activations": activations,
            "pixels": pixels}


# --- pictures --------------------------------------------------------------------------


def probabilities_svg(probabilities: Sequence[float], width: float = 300,
                      height: float = 150) -> str:
    """One bar per digit, as tall as its probability; the most likely one dark."""
    if len(probabilities) != 10 or not all(_finite(p) and 0 <= p <= 1 for p in probabilities):
        raise _fail("probabilities_svg needs the 10 probabilities classify() returns")
    best = max(range(10), key=probabilities.__getitem__)
    slot, bottom, top = width / 10, height - 18, 16
    parts = []
    for digit, p in enumerate(probabilities):
        bar = (bottom - top) * p
        colour = "#0877bd" if digit == best else "#9ecae1"
        parts.append(rect(digit * slot + 4, bottom - bar, slot - 8, bar, colour,
                          f'data-digit="{digit}" data-probability="{p!r}"'))
        parts.append(text(digit * slot + slot / 2, height - 4, str(digit), 12, "middle"))
        parts.append(text(digit * slot + slot / 2, bottom - bar - 3, f"{100 * p:.0f}%", 9,
                          "middle"))
    return svg_document(width, height, parts, kind="probabilities",
                        title=f"the model says {best} ({100 * probabilities[best]:.1f}%)")


def pixels_svg(pixels_8x8: Sequence[float], size: float = 120) -> str:
    """The 8x8 image as the model sees it, 0 white to 16 black."""
    pixels = _check_pixels(pixels_8x8)
    return svg_document(size, size, _pixel_cells(pixels, 0, 0, size), kind="pixels",
                        title="the 8x8 image")


def _pixel_cells(pixels: list[float], x0: float, y0: float, size: float) -> list[str]:
    cell = size / 8
    return [rect(x0 + (k % 8) * cell, y0 + (k // 8) * cell, cell + 0.05, cell + 0.05,
                 mix(PAPER, INK, v / 16)) for k, v in enumerate(pixels)]


def activations_svg(result: dict, model=None, width: float = 420, height: float = 320) -> str:
    """The network at work: the 8x8 input, each hidden neuron shaded by its activation
    (darkest: the layer's largest) and the 10 outputs by probability.  Between the last
    two layers, an edge for each contribution ``w * a`` to an output's score of at least
    a tenth of the largest, as wide as its size and coloured by its sign."""
    model = model or load_model()
    activations, probabilities = result["activations"], result["probabilities"]
    pixels = _check_pixels(result["pixels"])
    columns = len(activations)
    gap = (width - 170) / max(columns - 2, 1)
    places = []  # per drawn layer: the (x, y) of each neuron
    for column in range(1, columns):
        step = (height - 30) / len(activations[column])
        x = 120 + gap * (column - 1)
        places.append([(x, 22 + step * (row + 0.5)) for row in range(len(activations[column]))])
    parts = []
    if columns >= 3:
        inputs, layer = activations[-2], model.layers[-1]
        contributions = [[w.data * a for w, a in zip(neuron.w, inputs)]
                         for neuron in layer.neurons]
        largest = max([abs(c) for row in contributions for c in row] + [1e-300])
        for k, row in enumerate(contributions):
            for j, c in enumerate(row):
                if abs(c) >= largest / 10:
                    (xa, ya), (xb, yb) = places[-2][j], places[-1][k]
                    parts.append(line(xa, ya, xb, yb, POSITIVE if c > 0 else NEGATIVE,
                                      0.3 + 3.0 * abs(c) / largest, 'stroke-opacity="0.7"'))
    parts += _pixel_cells(pixels, 4, (height - 96) / 2, 96)
    parts.append(text(52, (height - 96) / 2 - 6, "input 8x8", 10, "middle"))
    for column in range(1, columns):
        values = activations[column] if column < columns - 1 else probabilities
        top = max(max(abs(v) for v in values), 1e-12)
        radius = min(7.0, (height - 30) / len(values) / 2 - 0.5)
        for row, ((x, y), value) in enumerate(zip(places[column - 1], values)):
            parts.append(circle(x, y, radius, mix(PAPER, INK, abs(value) / top),
                                f'stroke="#888888" stroke-width="0.6" '
                                f'data-layer="{column}" data-activation="{value!r}"'))
            if column == columns - 1:
                parts.append(text(x + 12, y + 4, f"{row}  {100 * value:.0f}%", 10))
        label = "output" if column == columns - 1 else f"hidden {column}"
        parts.append(text(places[column - 1][0][0], 12, label, 10, "middle"))
    return svg_document(width, height, parts, kind="activations",
                        title=f"activations: the model says {result['digit']}")

