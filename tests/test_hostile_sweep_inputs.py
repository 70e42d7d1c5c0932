"""Hostile inputs, one shared validation per kind (issue 20, items 1, 6 and 9).

Property: a bad label, row entry, tape batch, CSV file, size flag or graph size gets
the same refusal on every path that takes it (scalar fit, compiled fit, evaluate,
predict, Tape.forward, the CLI), as one clear line, never a bare OverflowError,
AttributeError or a silently dropped row.  Oracle: the scalar path's refusal, and
for CSV the rows hypothesis wrote.
"""

import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from autograd.tape import compile
from chainrule.common import CommandError
from chainrule.rows import read_csv
from nn import MLP, evaluate, fit, predict

REPO = str(Path(__file__).resolve().parent.parent)
X4 = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
BAD_LABELS = [0.5, 1.9, -1, 2, "1", b"1", [1], True, None, math.nan, math.inf, 10**400,
              np.float64(0.5)]
BAD_ENTRIES = ["1.5", b"3", 10**400, math.nan, -math.inf, None, True, 1j, [1.0]]


def _refusal(call):
    try:
        call()
    except (TypeError, ValueError) as error:
        return type(error), str(error)
    return None


@settings(max_examples=30)
@given(st.sampled_from(BAD_LABELS), st.integers(0, 3))
def test_a_bad_class_label_is_refused_alike_by_both_engines(bad, row):
    y = [0, 1, 1, 0]
    y[row] = bad
    answers = [_refusal(lambda c=c: fit(MLP(2, [3, 2], seed=0), X4, y, epochs=1,
                                         progress=False, compile=c)) for c in (False, True)]
    assert answers[0] is not None and answers[0] == answers[1]  # before: compiled trained
    assert answers[0][1].startswith((f"fit: the label at row {row} ", "fit: labels go up to",
                                     f"fit: the data targets contain {bad} at row {row}"))
    assert _refusal(lambda: evaluate(MLP(2, [3, 2], seed=0), X4, y)) == (
        answers[0][0], answers[0][1].replace("fit:", "evaluate:", 1)
        .replace(" before training", ""))


@settings(max_examples=30)
@given(st.sampled_from(BAD_ENTRIES), st.integers(0, 3), st.integers(0, 1))
def test_a_bad_row_entry_is_refused_alike_on_every_path(bad, row, column):
    X = [list(r) for r in X4]
    X[row][column] = bad
    model = MLP(2, [3, 2], seed=0)
    answers = {who: _refusal(call) for who, call in {
        "fit": lambda: fit(model, X, [0, 1, 1, 0], epochs=1, progress=False),
        "fit compiled": lambda: fit(model, X, [0, 1, 1, 0], epochs=1, progress=False,
                                    compile=True),
        "predict": lambda: predict(model, X)}.items()}
    kind, message = answers["fit"]
    assert f"at row {row}, column {column}" in message and "\n" not in message
    assert answers["fit compiled"] == (kind, message)
    assert answers["predict"] == (kind, message.replace("fit:", "predict:", 1)
                                  .replace(" before training", ""))


@settings(max_examples=30)
@given(st.sampled_from(["1.5", b"3", 10**400, "x"]), st.booleans())
def test_tape_forward_refuses_text_bytes_and_huge_ints_in_one_line(bad, as_params):
    w = Value(1.5, "w")
    tape = compile(lambda x: [x * w], (1.0,), [w])
    call = (lambda: tape.forward([1.0], params=[bad])) if as_params else (
        lambda: tape.forward([1.0, bad]))
    with pytest.raises((TypeError, ValueError), match=r"^Tape\.forward: (params|batch "
                       r"argument 0) entry [01] is .*(not a number|beyond the float range)"):
        call()
    assert tape.forward([1.0], params=[2.0]).tolist() == [2.0]  # before: AttributeError


ROWS = st.lists(st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 3)),
                         min_size=1, max_size=3), min_size=1, max_size=5).filter(
    lambda rows: len({len(r) for r in rows}) == 1)


@settings(max_examples=40)
@given(ROWS, st.booleans(), st.sampled_from(["\n", "\r\n"]), st.integers(0, 3),
       st.booleans())
def test_csv_bytes_bom_crlf_blank_lines_and_header_keep_every_row(rows, bom, newline, blanks,
                                                                 header):
    text = newline.join(([",".join(f"x{i}" for i in range(len(rows[0])))] if header else [])
                        + [",".join(repr(v) for v in r) for r in rows]) + newline * (1 + blanks)
    path = Path(tempfile.mkdtemp(prefix="chainrule-csv-")) / "rows.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    assert read_csv(str(path)) == rows  # before: a BOM on one column dropped the first row


@settings(max_examples=30)
@given(st.sampled_from(["1e400", "0.5\x00", "\x00", "9" * 400, "nan", "0x1p3", "1,,2"]))
def test_hostile_csv_bytes_are_one_line_naming_the_line(cell):
    path = Path(tempfile.mkdtemp(prefix="chainrule-csv-")) / "bad.csv"
    path.write_text(f"0.5,1\n{cell},2\n", encoding="utf-8")
    try:
        rows = read_csv(str(path))
    except CommandError as error:
        assert str(error).startswith(f"--csv {path}, line 2") and "\n" not in str(error)
    else:
        assert all(math.isfinite(v) for r in rows for v in r)


@settings(max_examples=25)
@given(st.lists(st.one_of(st.integers(1, 9).map(str),
                          st.characters(categories=["Nd", "No"]).filter(
                              lambda c: not c.isascii())), min_size=2, max_size=4))
def test_size_flags_with_unicode_digits_name_the_flag(parts):
    from chainrule.common import size_list

    text = ",".join(parts)
    if all(p.isascii() for p in parts):
        assert size_list("--sizes", text, 64, 9) == [int(p) for p in parts]
    else:
        with pytest.raises(CommandError, match=r"^--sizes '.*': .*is not a whole number"):
            size_list("--sizes", text, 64, 9)  # before: int('²') in network's parser


def test_network_sizes_with_a_superscript_is_a_flag_error_not_a_bug(capsys):
    from chainrule.cli import main

    assert main(["network", "--sizes=²,3,1", "--input", "1,1"]) == 2
    assert capsys.readouterr().err.startswith("chainrule network: error: --sizes '²,3,1'")


def test_predict_csv_stdin_closed_names_the_flag(tmp_path):
    MLP(1, [2], seed=0).save(tmp_path / "m.json")
    done = subprocess.run([sys.executable, "-m", "chainrule", "predict",
                           str(tmp_path / "m.json"), "--csv", "-"],
                          capture_output=True, text=True, cwd=REPO,
                          preexec_fn=lambda: __import__("os").close(0), timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("chainrule predict: error: --csv -: standard input is "
                                  "closed") and "bug" not in done.stderr


@pytest.mark.parametrize("steps", [1_000, 200_000])
def test_the_stepper_counts_before_it_traces(steps, tmp_path):
    from visualize.stepper import write_stepper

    x = Value(1.0, "x")
    y = x
    for _ in range(steps):
        y = y + 1.0
    started = time.process_time()
    with pytest.raises(ValueError, match="more than 300 nodes; the stepper .* stops at 300"):
        write_stepper(y, tmp_path / "s.html")
    # counting stops at the limit: far under the 12-20 s the whole trace took
    assert time.process_time() - started < 0.5
    assert not (tmp_path / "s.html").exists()
