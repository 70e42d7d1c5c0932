"""nn.data.load_idx: MNIST's IDX files.

Oracle: files the tests write themselves with ``struct`` from known numbers (the format
as MNIST's page describes it: 00 00, a type code, the number of dimensions, big-endian
sizes, then the items), plain and gzipped; damaged copies (hypothesis cuts, flips and
pads them) must give one IDXError line, never a wrong data set or a traceback.
"""

import gzip
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn.data import IDXError, load_idx

FORMATS = {0x08: "B", 0x09: "b", 0x0B: "h", 0x0C: "i", 0x0D: "f", 0x0E: "d"}


def idx_bytes(items, shape, code=0x08) -> bytes:
    header = struct.pack(">4B", 0, 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape)
    return header + struct.pack(f">{len(items)}{FORMATS[code]}", *items)


def write(path, data: bytes, zipped: bool):
    path.write_bytes(gzip.compress(data) if zipped else data)
    return path


@given(n=st.integers(1, 5), rows=st.integers(1, 4), cols=st.integers(1, 4),
       code=st.sampled_from(sorted(FORMATS)), zipped=st.booleans(), data=st.data())
def test_load_idx_reads_back_what_was_written(tmp_path_factory, n, rows, cols, code, zipped,
                                             data):
    folder = tmp_path_factory.mktemp("idx")
    if code in (0x0D, 0x0E):
        element = st.integers(-1000, 1000).map(lambda v: v / 8)  # exact in a float32
    else:
        low, high = {0x08: (0, 255), 0x09: (-128, 127), 0x0B: (-2**15, 2**15 - 1),
                     0x0C: (-2**31, 2**31 - 1)}[code]
        element = st.integers(low, high)
    pixels = data.draw(st.lists(element, min_size=n * rows * cols, max_size=n * rows * cols))
    labels = data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    images = write(folder / "images", idx_bytes(pixels, (n, rows, cols), code), zipped)
    label_file = write(folder / "labels", idx_bytes(labels, (n,)), zipped)
    X, y = load_idx(images, label_file)
    assert y == labels
    assert X == [[float(v) for v in pixels[i * rows * cols:(i + 1) * rows * cols]]
                 for i in range(n)]
    X2, y2 = load_idx(images, label_file, limit=1)
    assert (X2, y2) == (X[:1], y[:1])


@pytest.fixture
def good_files(tmp_path):
    images = write(tmp_path / "images", idx_bytes(list(range(2 * 3 * 3)), (2, 3, 3)), False)
    labels = write(tmp_path / "labels", idx_bytes([1, 0], (2,)), False)
    return images, labels


@pytest.mark.parametrize("damage, message", [
    (lambda b: b"\x08\x03" + b[2:], "not an IDX magic number"),
    (lambda b: b[:2] + b"\x0a" + b[3:], "type code 0x0a"),
    (lambda b: b[:-1], "is truncated: shape 2x3x3"),
    (lambda b: b[:9], "is truncated: its header of 3 dimensions"),
    (lambda b: b[:3], "shorter than the 4-byte magic"),
    (lambda b: b + b"\x00", "1 bytes beyond the shape"),
])
def test_a_damaged_images_file_is_one_clear_error(good_files, damage, message):
    images, labels = good_files
    images.write_bytes(damage(images.read_bytes()))
    with pytest.raises(IDXError, match=message) as error:
        load_idx(images, labels)
    assert "\n" not in str(error.value) and str(images) in str(error.value)


def test_images_and_labels_must_match(good_files, tmp_path):
    images, labels = good_files
    three = write(tmp_path / "three", idx_bytes([1, 0, 2], (3,)), False)
    with pytest.raises(IDXError, match="2 images but 3 labels"):
        load_idx(images, three)
    with pytest.raises(IDXError, match="which is a labels file; pass the images first"):
        load_idx(labels, images)


def test_a_truncated_gzip_is_one_clear_error(good_files):
    images, labels = good_files
    images.write_bytes(gzip.compress(images.read_bytes())[:-6])
    with pytest.raises(IDXError, match="damaged or truncated gzip"):
        load_idx(images, labels)


@given(cut=st.integers(0, 40), flips=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 255)),
                                              max_size=3), tail=st.binary(max_size=4))
def test_corrupted_files_give_an_idx_error_or_a_consistent_data_set(tmp_path_factory, cut,
                                                                   flips, tail):
    folder = tmp_path_factory.mktemp("bad")
    raw = bytearray(idx_bytes(list(range(2 * 3 * 3)), (2, 3, 3)))
    for at, value in flips:
        if at < len(raw):
            raw[at] = value
    data = bytes(raw[:len(raw) - cut]) + tail
    images = write(folder / "images", data, False)
    labels = write(folder / "labels", idx_bytes([1, 0], (2,)), False)
    try:
        X, y = load_idx(images, labels)
    except IDXError as error:
        assert "\n" not in str(error)
    else:  # it read: then it is a whole, consistent data set of two examples
        assert len(X) == len(y) == 2 and len(X[0]) == len(X[1])
