"""The model file itself: versioned JSON, written atomically, read back within limits.

This module knows the file, not the classes: it writes any model that offers
``architecture()`` and ``named_parameters()``, and reads a file back into a checked
JSON document.  :mod:`nn.serialize` turns that document into an MLP.  (The split
keeps ``Module.save`` from importing the module that imports ``Module``.)

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "bad.json")
>>> _ = open(path, "w").write('{"format": "chainrule.model", "version": ' + "9" * 400 + "}")
>>> read_document(path)
Traceback (most recent call last):
...
nn.model_file.ModelFileError: model file ...: holds an integer literal 400 digits long ...

A file read here is never larger than :data:`MAX_FILE_BYTES`, never nested deeper
than :data:`MAX_DEPTH`, holds no integer literal longer than :data:`MAX_INT_DIGITS`
digits and no NaN or infinity anywhere; each refusal is a :class:`ModelFileError`
that names the file and the reason.
"""

from __future__ import annotations

import errno
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Optional, Union

__all__ = ["ModelFileError", "FORMAT", "VERSION", "READABLE_VERSIONS", "MAX_FILE_BYTES",
           "MAX_DEPTH", "MAX_INT_DIGITS", "MAX_PARAMETERS", "write_model", "read_document",
           "write_atomically"]

FORMAT = "chainrule.model"
VERSION = 2  # 2: parameters by name ("L1.N2.w1"); 1: per-layer weight and bias arrays
READABLE_VERSIONS = (1, 2)

# Limits on what a model file may ask of the reader.  The largest model worth training
# on a scalar engine is far below them (250,000 parameters are ~10 MB of JSON; parsing
# a hostile 16 MB file of empty lists costs ~0.5 GB, which bounds what a file can ask).
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32          # a model file is 6 levels deep; metadata gets room to spare
MAX_INT_DIGITS = 300    # a float's range; longer literals only cost time to convert
MAX_PARAMETERS = 250_000

PathLike = Union[str, os.PathLike]


class ModelFileError(ValueError):
    """A model file that cannot be read: corrupt, truncated, of another version, too big."""


def fail(path: PathLike, problem: str) -> ModelFileError:
    """The one shape of every model-file error: the file, the problem, the way out."""
    return ModelFileError(f"model file {path}: {problem}; re-create it with model.save() "
                          "or `chainrule train`")


# --- writing ------------------------------------------------------------------------


def write_model(model: Any, path: PathLike, metadata: Optional[dict] = None) -> None:
    """Write ``model`` (an MLP) and its JSON-able ``metadata`` to ``path`` atomically."""
    if not hasattr(model, "architecture") or not hasattr(model, "named_parameters"):
        raise TypeError(f"save: {type(model).__name__} has no architecture() to save; "
                        "save an MLP")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"save: metadata is a {type(metadata).__name__}; give a dict")
    parameters = {}
    for name, parameter in model.named_parameters():
        if not math.isfinite(parameter.data):
            raise ValueError(f"save: parameter {name} is {parameter.data}, so {path} would "
                             "not be valid JSON; train with a smaller learning rate or "
                             "gradient clipping")
        parameters[name] = parameter.data
    try:
        meta_text = json.dumps(metadata or {}, indent=1, allow_nan=False)
    except ValueError:
        raise ValueError(f"save: metadata holds a NaN or infinite number, which {path} "
                         "cannot store as JSON; replace it with None or a string") from None
    except (TypeError, RecursionError) as error:
        raise TypeError(f"save: metadata is not JSON-serializable ({error}); keep it to "
                        "dicts, lists, strings and numbers") from None
    document = {"format": FORMAT, "version": VERSION, "architecture": model.architecture(),
                "parameters": parameters, "metadata": json.loads(meta_text)}
    write_atomically(path, json.dumps(document, indent=1, allow_nan=False) + "\n")


def write_atomically(path: PathLike, text: Union[str, bytes]) -> None:
    """Write ``text`` (or bytes) to a temporary file beside ``path``, then ``os.replace`` it
    into place: a crash mid-write never leaves half a file.  The file gets the mode
    ``open()`` would give it: an existing file's own mode, else 0o666 minus the umask.
    Every file chainrule writes (models, metrics, pictures, checkpoints) goes through here."""
    # A symlink stays a link: what it points to is replaced.  A folder, a device, a pipe
    # or a socket is refused: os.replace would put a regular file in its place (as
    # root, save(model, "/dev/null") replaced the machine's /dev/null).
    path = Path(os.path.realpath(path))
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder; give a file name", str(path))
    if path.exists() and not path.is_file():
        raise OSError(errno.EINVAL, "is not a regular file (a device, a pipe or a socket), "
                      "which writing a file would replace; give a file name", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8") if isinstance(text, str) else text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp_name, mode)  # mkstemp makes 0600; a model file is no secret
        os.replace(temp_name, path)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    # Reading the umask means setting it; /proc avoids even that brief process-wide change.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


# --- reading ------------------------------------------------------------------------


class _LongInteger(Exception):
    def __init__(self, digits: int):
        self.digits = digits


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _LongInteger(digits)
    return int(text)


def read_document(path: PathLike) -> dict:
    """The JSON document of a model file, within the limits above and of a known version.

    Opening the file can raise ``OSError`` (missing, a folder, no permission); every
    problem with what the file holds is a :class:`ModelFileError`.
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise fail(path, f"is {size:,} bytes, above the {MAX_FILE_BYTES:,}-byte limit "
                             "for a model file (is it a model.json?)")
        chunks, total = [], 0
        while total <= MAX_FILE_BYTES:  # a pipe or a device reports no size: count
            chunk = handle.read(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    if total > MAX_FILE_BYTES:
        raise fail(path, f"is above the {MAX_FILE_BYTES:,}-byte limit for a model file")
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise fail(path, "is not UTF-8 text (is it a model.json?)") from None
    try:
        document = json.loads(text, parse_int=_bounded_int)
    except _LongInteger as error:
        raise fail(path, f"holds an integer literal {error.digits} digits long (at most "
                         f"{MAX_INT_DIGITS} are read)") from None
    except RecursionError:
        raise fail(path, f"is nested too deeply (at most {MAX_DEPTH} levels are read)"
                   ) from None
    except json.JSONDecodeError as error:
        raise fail(path, f"is not valid JSON (truncated or corrupt? {error.msg} at line "
                         f"{error.lineno}, column {error.colno})") from None
    except ValueError as error:  # e.g. a float literal the parser cannot convert
        raise fail(path, f"is not valid JSON ({error})") from None
    problem = _tree_problem(document)
    if problem:
        raise fail(path, problem)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise fail(path, f"is not a chainrule model (expected \"format\": \"{FORMAT}\")")
    version = document.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise ModelFileError(
            f"model file {path} has format version {short(version)}, but this chainrule "
            f"reads versions {', '.join(map(str, READABLE_VERSIONS))}; re-save the model with "
            "the chainrule that trained it, or upgrade chainrule")
    return document


def _tree_problem(document: Any) -> Optional[str]:
    """Too deep, or a NaN/infinity somewhere: the first such place, by its path.

    Only containers go on the stack, each with a link to its parent, so a path is
    spelled out only for the place reported (a hostile file cannot make paths cost
    memory)."""
    if not isinstance(document, (dict, list)):
        return None  # not a model at all; the format check says so
    stack: list = [(document, None, None, 1)]  # (container, key, parent entry, depth)
    while stack:
        entry = stack.pop()
        node, depth = entry[0], entry[3]
        for key, child in (node.items() if isinstance(node, dict) else enumerate(node)):
            if isinstance(child, float) and not math.isfinite(child):
                return (f"holds {child} at {_path(entry, key)}; a model file holds only "
                        "finite numbers")
            if isinstance(child, (dict, list)):
                if depth >= MAX_DEPTH:
                    return (f"is nested more than {MAX_DEPTH} levels deep (at "
                            f"{_path(entry, key)})")
                stack.append((child, key, entry, depth + 1))
    return None


def _path(entry: tuple, key: Any) -> str:
    keys = [key]
    while entry is not None and entry[2] is not None:
        keys.append(entry[1])
        entry = entry[2]
    text = ""
    for part in reversed(keys):
        if part is None:
            continue
        text += f"[{part}]" if isinstance(part, int) else \
            (f".{short(part, 30)[1:-1]}" if text else short(part, 30)[1:-1])
    return text or "the top"


def short(value: Any, limit: int = 60) -> str:
    """A value as an error message shows it: containers by size, long text cut."""
    text = repr(value) if not isinstance(value, (dict, list)) else \
        f"a {type(value).__name__} of {len(value)}"
    return text if len(text) <= limit else text[:limit - 3] + "..."
