"""MNIST's IDX files (``train-images-idx3-ubyte``, gzip or not) as ``(X, y)``.

>>> import gzip, os, struct, tempfile
>>> folder = tempfile.mkdtemp()
>>> images, labels = os.path.join(folder, "img.gz"), os.path.join(folder, "lab")
>>> _ = gzip.open(images, "wb").write(struct.pack(">4B3I", 0, 0, 8, 3, 2, 2, 2)
...                                    + bytes([0, 64, 128, 255, 1, 2, 3, 4]))
>>> _ = open(labels, "wb").write(struct.pack(">4BI", 0, 0, 8, 1, 2) + bytes([7, 3]))
>>> X, y = load_idx(images, labels)
>>> X, y
([[0.0, 64.0, 128.0, 255.0], [1.0, 2.0, 3.0, 4.0]], [7, 3])

Each image is one flat row in (rows, columns) order, the pixels as stored (0-255 for
MNIST: divide by 255 to scale).  A file that is not IDX, is cut short, or does not
match its partner is an :class:`IDXError` naming the file, the problem and the fix.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from typing import Optional, Union

__all__ = ["load_idx", "read_idx", "IDXError", "IDX_TYPES"]

PathLike = Union[str, os.PathLike]

# the type code (the magic number's third byte) -> (struct format, bytes per item, name)
IDX_TYPES = {0x08: ("B", 1, "unsigned byte"), 0x09: ("b", 1, "signed byte"),
             0x0B: ("h", 2, "short"), 0x0C: ("i", 4, "int"),
             0x0D: ("f", 4, "float"), 0x0E: ("d", 8, "double")}


class IDXError(ValueError):
    """An IDX file that cannot be read, or images and labels that do not belong together."""


def _fail(path: PathLike, problem: str) -> IDXError:
    return IDXError(f"IDX file {path}: {problem}; give MNIST-format files (e.g. "
                    "train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz)")


def _read_bytes(path: PathLike) -> bytes:
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise _fail(path, f"is a damaged or truncated gzip file ({error})") from None


def read_idx(path: PathLike, limit: Optional[int] = None) -> tuple[tuple, list]:
    """``(shape, items)``: the dimensions the header declares (the first cut to ``limit``
    when given) and the items as a flat list of numbers, in file order."""
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise _fail(path, f"is {len(raw)} bytes long, shorter than the 4-byte magic number")
    zero, code, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00":
        raise _fail(path, f"starts with bytes {raw[:4].hex()}, not an IDX magic number "
                          "(00 00, a type code, the number of dimensions)")
    if code not in IDX_TYPES:
        raise _fail(path, f"has type code 0x{code:02x}; IDX knows "
                          + ", ".join(f"0x{c:02x} ({t[2]})" for c, t in IDX_TYPES.items()))
    if ndim < 1:
        raise _fail(path, "declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise _fail(path, f"is truncated: its header of {ndim} dimensions needs {header} "
                          f"bytes, the file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    form, size, name = IDX_TYPES[code]
    per_item = 1
    for n in shape[1:]:
        per_item *= n
    count = shape[0] if limit is None else min(shape[0], limit)
    need = header + shape[0] * per_item * size
    if len(raw) < need:
        raise _fail(path, f"is truncated: shape {'x'.join(map(str, shape))} of {name}s needs "
                          f"{need} bytes, the file has {len(raw)}")
    if len(raw) > need:
        raise _fail(path, f"has {len(raw) - need} bytes beyond the shape "
                          f"{'x'.join(map(str, shape))} its header declares")
    body = raw[header:header + count * per_item * size]
    items = list(body) if form == "B" else list(struct.unpack(f">{count * per_item}{form}",
                                                                body))
    return (count, *shape[1:]), items


def load_idx(images: PathLike, labels: PathLike, limit: Optional[int] = None
             ) -> tuple[list[list[float]], list[int]]:
    """``(X, y)`` from an images file (n x rows x columns ...) and a labels file (n):
    each image a flat row of floats, each label an int; ``limit`` keeps the first n."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 1):
        raise ValueError(f"load_idx(limit={limit!r}): limit is a number of images, >= 1")
    image_shape, pixels = read_idx(images, limit)
    label_shape, label_items = read_idx(labels, limit)
    if len(image_shape) < 2:
        raise _fail(images, f"has shape {'x'.join(map(str, image_shape))}: one number per "
                            "example, which is a labels file; pass the images first")
    if len(label_shape) != 1:
        raise _fail(labels, f"has shape {'x'.join(map(str, label_shape))}, not one label per "
                            "example; pass the labels second")
    if image_shape[0] != label_shape[0]:
        raise IDXError(f"IDX files {images} and {labels}: {image_shape[0]} images but "
                       f"{label_shape[0]} labels; give the labels that belong to the images")
    if any(int(t) != t or t < 0 for t in label_items):
        raise _fail(labels, "holds labels that are not non-negative integers")
    per_image = len(pixels) // image_shape[0] if image_shape[0] else 0
    X = [[float(v) for v in pixels[i * per_image:(i + 1) * per_image]]
         for i in range(image_shape[0])]
    return X, [int(t) for t in label_items]
