"""Hostile input at the command line: every class ends as one line on stderr and exit
2 (bad input) or 1 (a failed run), never a traceback, a wrong number or a lost model.

Oracles: the exit code and stderr of the real program, the bytes of files on disk
before and after, and micrograd's published learning-rate formula.
"""

import json
import os
import signal
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from chainrule import cli
from chainrule.cli import main
from chainrule.demo import MAX_STEPS, learning_rate, train_demo

SMALL_RUN = ["train", "--dataset", "xor", "--samples", "80", "--hidden", "8",
             "--epochs", "8", "--seed", "1", "--no-progress", "--no-plots"]


def run(argv, capsys):
    """Run in-process; returns (exit code, stdout, stderr)."""
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line(code, err, expected_code, *needles):
    assert code == expected_code, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err


def program(*argv, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "chainrule", *argv], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


# --- every path ends in one line: pipes, interrupts, bugs -----------------------------

@pytest.mark.parametrize("argv", [
    ["trace", "+".join(f"tanh(x{i}*w)" for i in range(60)), "w=1",
     *[f"x{i}=0.1" for i in range(60)]],
    ["gradcheck", "x*y", "--random", "3000"],
])
def test_a_closed_pipe_ends_in_one_line_and_exit_1(argv):
    process = program(*argv)
    first = process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    process.wait(timeout=120)
    err = process.stderr.read()
    assert first
    assert process.returncode == 1 and err.count("\n") == 1, err
    assert "broken pipe" in err and "Traceback" not in err and "Exception ignored" not in err


def test_an_interrupt_ends_in_one_line_and_exit_1_and_writes_nothing(tmp_path):
    process = program("train", "--samples", "2000", "--epochs", "5000", "--no-progress",
                      "--out", str(tmp_path))
    assert process.stdout.readline().startswith("training MLP")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 1 and err == "chainrule train: interrupted\n"
    assert not (tmp_path / "model.json").exists()


@pytest.mark.parametrize("raised,code,needle", [
    (KeyboardInterrupt(), 1, "interrupted"),
    (RuntimeError("boom"), 1, "RuntimeError: boom (this is a bug in chainrule"),
    (ZeroDivisionError("float division by zero"), 1, "ZeroDivisionError"),
    (RecursionError("maximum recursion depth exceeded"), 2, "nested too deeply"),
    (FileNotFoundError(2, "No such file or directory", "in.csv"), 2,
     "in.csv: No such file or directory"),
    (ValueError("line1\nline2"), 2, "line1 line2"),
    (ValueError("name " * 5000), 2, "more characters"),
])
def test_any_exception_from_a_command_is_one_line(monkeypatch, capsys, raised, code, needle):
    def explode(args):
        raise raised

    monkeypatch.setattr("chainrule.trace_cmd.run", explode)
    code_, _, err = run(["trace", "x", "x=1"], capsys)
    assert_one_line(code_, err, code, needle)
    assert len(err) < 1000


# --- train: --out is checked first; models are never lost -----------------------------

@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("good")
    assert main(SMALL_RUN + ["--out", str(out)]) == 0
    return out


def fresh_copy(good_run, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    for name in ("model.json", "metrics.json"):
        (out / name).write_bytes((good_run / name).read_bytes())
    return out


@pytest.mark.parametrize("make_out,needle", [
    (lambda tmp: (tmp / "file.txt").write_text("x") and tmp / "file.txt", "that is a file"),
    (lambda tmp: (tmp / "file.txt").write_text("x") and tmp / "file.txt" / "sub",
     "file.txt is a file, not a folder"),
    (lambda tmp: (tmp / "file.txt").write_text("x") and tmp / "file.txt" / "a" / "b",
     "file.txt is a file, not a folder"),
    (lambda tmp: (tmp / "model.json").mkdir() or tmp, "is a folder"),
])
def test_an_unusable_out_is_refused_before_training(tmp_path, capsys, make_out, needle):
    out = make_out(tmp_path)
    code, stdout, err = run(SMALL_RUN + ["--out", str(out)], capsys)
    assert_one_line(code, err, 2, f"--out {out}", needle)
    assert stdout == ""  # refused before "training MLP(...)"


def test_a_diverged_run_keeps_the_good_model(good_run, tmp_path, capsys):
    out = fresh_copy(good_run, tmp_path)
    before = (out / "model.json").read_bytes()
    code, _, err = run(["train", "--dataset", "xor", "--samples", "80", "--loss", "mse",
                        "--optimizer", "sgd", "--lr", "500", "--epochs", "3",
                        "--no-progress", "--no-plots", "--out", str(out)], capsys)
    assert_one_line(code, err, 1, "diverged", f"{out / 'model.json'} is kept as it was",
                    "metrics.diverged.json")
    assert (out / "model.json").read_bytes() == before
    assert json.loads((out / "metrics.diverged.json").read_text())["stopped"]


def test_a_worse_model_never_replaces_a_better_one(good_run, tmp_path, capsys):
    out = fresh_copy(good_run, tmp_path)
    before = (out / "model.json").read_bytes()
    recorded = nn.load(out / "model.json").metadata["test_accuracy"]
    worse = ["train", "--dataset", "xor", "--samples", "80", "--hidden", "8", "--epochs",
             "1", "--lr", "1e-6", "--seed", "1", "--no-progress", "--no-plots",
             "--out", str(out)]
    code, stdout, _ = run(worse, capsys)
    assert code == 0
    new = nn.load(out / "model.new.json").metadata["test_accuracy"]
    assert new < recorded  # the premise: this run really is worse
    assert (out / "model.json").read_bytes() == before
    assert f"kept {out / 'model.json'}" in stdout and "model.new.json" in stdout
    # --overwrite is the way out, and says nothing about keeping
    code, stdout, _ = run(worse + ["--overwrite"], capsys)
    assert code == 0 and "kept" not in stdout
    assert nn.load(out / "model.json").metadata["test_accuracy"] == new


def test_an_equal_or_better_run_replaces_the_model(good_run, tmp_path, capsys):
    out = fresh_copy(good_run, tmp_path)
    code, stdout, _ = run(SMALL_RUN + ["--out", str(out)], capsys)  # same run: equal score
    assert code == 0 and "kept" not in stdout and not (out / "model.new.json").exists()


@pytest.mark.parametrize("content", [
    b"my own notes, not a model",
    b'{"format": "chainrule.model", "metadata": {"dataset": "moons", "test_accuracy": 1}}',
    b"[" * 100000,
])
def test_a_file_we_cannot_compare_with_is_kept(tmp_path, capsys, content):
    out = tmp_path / "run"
    out.mkdir()
    (out / "model.json").write_bytes(content)
    code, stdout, _ = run(SMALL_RUN + ["--out", str(out)], capsys)
    assert code == 0 and (out / "model.json").read_bytes() == content
    assert nn.load(out / "model.new.json").nin == 2 and "--overwrite" in stdout


def test_metrics_follow_the_umask(tmp_path, capsys):
    old = os.umask(0o027)
    try:
        assert main(SMALL_RUN + ["--out", str(tmp_path)]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "metrics.json").stat().st_mode & 0o777 == 0o640


# --- flags: NaN, inf, negative, huge ----------------------------------------------------

@pytest.mark.parametrize("flag,value", [
    ("--noise", "nan"), ("--noise", "inf"), ("--noise", "-inf"), ("--noise", "-0.1"),
    ("--noise", "1e400"), ("--noise", "1e300"),
    ("--l1", "-1"), ("--l2", "-5e-4"), ("--l2", "nan"), ("--weight-decay", "-1"),
    ("--l2", "1e300"), ("--l1", "1e300"), ("--weight-decay", "1e300"),
    ("--val-split", "nan"), ("--val-split", "1.5"), ("--test-split", "-0.1"),
    ("--test-split", "inf"), ("--test-split", "0"),
    ("--lr", "nan"), ("--lr", "inf"), ("--lr", "0"), ("--lr", "-1"), ("--lr", "1e308"),
    ("--epochs", "nan"), ("--epochs", "1e9"), ("--epochs", "-1"), ("--epochs", "9" * 5000),
    ("--batch-size", "0"), ("--batch-size", "nan"), ("--batch-size", "1e99"),
    ("--seed", "-1"), ("--seed", "nan"), ("--seed", "10" * 30),
    ("--samples", "5"), ("--samples", "1e12"), ("--samples", "999999999"),
    ("--dropout", "1"), ("--dropout", "nan"), ("--clip-norm", "0"), ("--clip-norm", "inf"),
    ("--hidden", "100000"), ("--hidden", "4096,4096"), ("--hidden", "8,-1"),
    ("--early-stopping", "-1"),
])
def test_absurd_training_flags_are_one_line_naming_the_flag(tmp_path, capsys, flag, value):
    code, stdout, err = run(["train", flag, value, "--out", str(tmp_path)], capsys)
    assert_one_line(code, err, 2, flag)
    assert stdout == "" and not (tmp_path / "model.json").exists()


def test_splits_that_leave_no_training_rows_are_refused(tmp_path, capsys):
    code, _, err = run(["train", "--val-split", "0.6", "--test-split", "0.5",
                        "--out", str(tmp_path)], capsys)
    assert_one_line(code, err, 2, "leave no data for training")


@pytest.mark.parametrize("argv,needle", [
    (["--eps", "nan"], "--eps"), (["--eps", "0"], "--eps"), (["--eps", "-1e-6"], "--eps"),
    (["--eps", "1e-300"], "larger --eps"), (["--atol", "-1"], "--atol"),
    (["--atol", "0"], "--atol: 0 must be greater than 0"),
    (["--rtol", "inf"], "--rtol"), (["--random", "-1"], "--random"),
    (["--random", "1e9"], "--random"), (["--seed", "nan"], "--seed"),
    (["--range", "nan", "1"], "--range"), (["--range", "2", "1"], "--range"),
    (["--range", "-1e308", "1e308"], "--range"),
])
def test_absurd_gradcheck_flags_are_one_line(capsys, argv, needle):
    code, _, err = run(["gradcheck", "x*x", "x=1", *argv], capsys)
    if "--random" in argv or "--range" in argv:
        code, _, err = run(["gradcheck", "x*x", *argv], capsys)
    assert_one_line(code, err, 2, needle)


@pytest.mark.parametrize("low,high", [("-1e-3", "1"), ("-2", "-1e-3"), ("-.5", ".5")])
def test_negative_numbers_are_read_as_values(capsys, low, high):
    code, out, err = run(["gradcheck", "x*x", "--random", "3", "--range", low, high], capsys)
    assert code == 0, err
    points = [float(line.split("x=")[1].split(":")[0]) for line in out.splitlines()
              if line.startswith("point")]
    assert len(points) == 3 and all(float(low) <= x <= float(high) for x in points)


@pytest.mark.parametrize("point", ["1e300,1e300", "x=1e200,y=1e200"])
def test_gradcheck_where_the_step_rounds_away_is_one_line(capsys, point):
    values = point.split(",") if "=" in point else [f"x={point.split(',')[0]}",
                                                    f"y={point.split(',')[1]}"]
    code, _, err = run(["gradcheck", "x*y", *values], capsys)
    assert_one_line(code, err, 2)


@pytest.mark.parametrize("error", [ZeroDivisionError("float division by zero"),
                                   ValueError("gradcheck: eps rounds away"),
                                   OverflowError("math range error")])
def test_any_library_error_in_gradcheck_is_one_line_exit_2(monkeypatch, capsys, error):
    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr("chainrule.gradcheck_cmd.gradcheck", failing)
    code, _, err = run(["gradcheck", "x*x", "x=2"], capsys)
    assert_one_line(code, err, 2, "x=2", str(error))


def test_lists_of_thousands_of_names_are_capped(capsys):
    names = [f"v{i}" for i in range(200)]  # the parser takes up to 1000 characters
    code, _, err = run(["gradcheck", "+".join(names)], capsys)
    assert_one_line(code, err, 2, "no value for v0, v1", "and 192 more")
    assert len(err) < 1000
    code, _, err = run(["trace", "+".join(names), "v0=1"], capsys)
    assert_one_line(code, err, 2)
    assert len(err) < 1000


# --- the demo's schedule ------------------------------------------------------------------

@given(st.integers(1, MAX_STEPS), st.data())
def test_the_demo_learning_rate_stays_between_0_1_and_1(steps, data):
    k = data.draw(st.integers(0, steps - 1))
    assert 0.1 - 1e-12 <= learning_rate(k, steps) <= 1.0
    if steps <= 100:  # micrograd's own formula, unchanged where it is valid
        assert learning_rate(k, steps) == 1.0 - 0.9 * k / 100


def test_the_demo_descends_past_step_111(monkeypatch):
    # micrograd's formula turns negative at step 112; with it the loss would climb there
    rates = []
    monkeypatch.setattr("chainrule.demo.learning_rate",
                        lambda k, steps: rates.append(learning_rate(k, steps)) or rates[-1])
    from chainrule import demo

    monkeypatch.setattr(demo, "demo_loss", _tiny_loss(demo.demo_loss))
    train_demo(steps=150, log=None)
    assert len(rates) == 150 and min(rates) > 0


def _tiny_loss(real_loss):
    def loss(model, X, y):  # 5 points keep 150 steps fast; the schedule is the subject
        return real_loss(model, X[:5], y[:5])
    return loss


@pytest.mark.parametrize("steps", [0, -1, MAX_STEPS + 1, 1.5])
def test_train_demo_refuses_absurd_steps(steps):
    with pytest.raises(ValueError, match=f"steps={steps!r}"):
        train_demo(steps=steps, log=None)


@pytest.mark.parametrize("argv,needle", [
    (["--steps", "0"], "--steps"), (["--steps", "1e9"], "--steps"),
    (["--steps", "10001"], "--steps"), (["--seed", "nan"], "--seed"),
])
def test_absurd_demo_flags_are_one_line(capsys, argv, needle):
    code, stdout, err = run(["demo", *argv], capsys)
    assert_one_line(code, err, 2, needle)
    assert stdout == ""


def test_the_demo_refuses_a_file_as_out_before_training(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    code, stdout, err = run(["demo", "--out", str(target)], capsys)
    assert_one_line(code, err, 2, "that is a file")
    assert stdout == ""


# --- predict: rows and model files ----------------------------------------------------

@pytest.mark.parametrize("rows,needle", [
    ("0.5,nan\n", "line 1, column 2: nan is not a finite number"),
    ("x0,x1\n0.5,0.5\ninf,0.5\n", "line 3, column 1: inf"),
    ("0.5,0.5\n-inf,1\n", "line 2, column 1: -inf"),
    ("0.5,1e400\n", "line 1, column 2: 1e400"),
    ("0.5,NaN\n", "column 2: NaN"),
    ("0.5,0.5\n1,a\n", "line 2, column 2: 'a' is not a number"),
    ("0.5," + "9" * 200_000 + "\n", "line 1"),
    ("0.5,\x000.5\n", "line 1"),
])
def test_csv_rows_that_are_not_finite_numbers_are_refused(good_run, tmp_path, capsys,
                                                          rows, needle):
    path = tmp_path / "rows.csv"
    path.write_text(rows)
    code, stdout, err = run(["predict", str(good_run / "model.json"), "--csv", str(path)],
                            capsys)
    assert_one_line(code, err, 2, f"--csv {path}", needle)
    assert "nan" not in stdout


def test_a_csv_that_is_not_text_is_refused(good_run, tmp_path, capsys):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"\xff\xfe0.5,0.5\n")
    code, _, err = run(["predict", str(good_run / "model.json"), "--csv", str(path)], capsys)
    assert_one_line(code, err, 2, "not UTF-8")


@pytest.mark.parametrize("point", ["nan,1", "1,inf", "-inf,0", "1e400,0"])
def test_points_that_are_not_finite_are_refused(good_run, capsys, point):
    code, _, err = run(["predict", str(good_run / "model.json"), f"--point={point}"], capsys)
    assert_one_line(code, err, 2, "--point", "finite")


def _outputs_overflow(model_path, row) -> bool:
    """The oracle: do the model's raw outputs on this row stay finite?"""
    import math

    from nn.data import scaler_from_dict

    model = nn.load(model_path)
    try:
        scaled = scaler_from_dict(model.metadata["scaler"]).transform([row])[0]
        return not all(math.isfinite(o) for o in model.forward_data(scaled))
    except (ValueError, OverflowError):
        return True


@pytest.mark.parametrize("row,overflows", [([1e300, -1e300], False),
                                           ([1e308, 1e308], True),
                                           ([-1.7e308, 1e308], True)])
def test_a_point_whose_outputs_overflow_is_refused_never_nan(good_run, capsys, row,
                                                            overflows):
    path = good_run / "model.json"
    assert _outputs_overflow(path, row) == overflows  # the premise
    code, stdout, err = run(["predict", str(path), f"--point={row[0]!r},{row[1]!r}"],
                            capsys)
    assert "nan" not in stdout.lower()
    if overflows:
        assert_one_line(code, err, 2, "input row 1", "overflow")
    else:
        assert code == 0 and "p = " in stdout


def tampered(good_run, tmp_path, change):
    document = json.loads((good_run / "model.json").read_text())
    change(document)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("change,needle", [
    (lambda d: d.update(metadata=[1, 2]), "metadata"),
    (lambda d: d["metadata"].update(loss="hack"), "loss"),
    (lambda d: d["metadata"].update(loss=["cross_entropy"]), "loss"),
    (lambda d: d["metadata"]["scaler"].update(offset=[float("nan"), 0.0]), "scaler"),
    (lambda d: d["metadata"]["scaler"].update(scale=[0.0, 1.0]), "scaler"),
    (lambda d: d["metadata"]["scaler"].update(offset=[1.0]), "scaler"),
    (lambda d: d["metadata"]["scaler"].pop("offset"), "scaler"),
    (lambda d: d["metadata"].update(scaler="standard"), "scaler"),
])
def test_tampered_metadata_is_refused_naming_the_file(good_run, tmp_path, capsys, change,
                                                      needle):
    path = tampered(good_run, tmp_path, change)
    code, stdout, err = run(["predict", str(path), "--point", "0.5,0.5"], capsys)
    assert_one_line(code, err, 2, f"model file {path}", needle)
    assert stdout == ""


@pytest.mark.parametrize("change", [
    lambda d: d["metadata"].update(settings=[1]),
    lambda d: d["metadata"]["settings"].pop("dataset"),
    lambda d: d["metadata"]["settings"].update(dataset="mnist"),
    lambda d: d["metadata"]["settings"].update(samples=10**9),
    lambda d: d["metadata"]["settings"].update(samples="300"),
    lambda d: d["metadata"]["settings"].update(test_split=float("nan")),
    lambda d: d["metadata"]["settings"].update(val_split=0.9, test_split=0.5),
    lambda d: d["metadata"]["settings"].update(noise=1e308),
])
def test_tampered_settings_are_refused_by_evaluate(good_run, tmp_path, capsys, change):
    path = tampered(good_run, tmp_path, change)
    code, _, err = run(["predict", str(path), "--evaluate"], capsys)
    assert_one_line(code, err, 2, str(path))


@pytest.mark.parametrize("text", ["[" * 100_000, '{"format": ' + "9" * 5000 + "}",
                                  "", "null", '{"format": "chainrule.model", "version": 1}'])
def test_broken_model_files_are_one_line(tmp_path, capsys, text):
    path = tmp_path / "model.json"
    path.write_text(text)
    code, _, err = run(["predict", str(path), "--point", "0.5,0.5"], capsys)
    assert_one_line(code, err, 2, str(path))


def test_the_registry_imports_every_command_one_way():
    # command modules never import chainrule.cli back (issue 9): read their sources
    import chainrule

    folder = os.path.dirname(chainrule.__file__)
    for module_name, _ in cli.SUBCOMMANDS.values():
        source = open(os.path.join(folder, module_name.split(".")[1] + ".py")).read()
        assert "chainrule.cli" not in source and "from .cli" not in source, module_name


def test_metrics_are_written_atomically(tmp_path, monkeypatch):
    from chainrule import run_files

    target = tmp_path / "metrics.json"
    target.write_text('{"old": true}\n')

    from nn import model_file

    def disk_full(fd):  # the new text is written, then the disk fills before it is safe
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_file.os, "fsync", disk_full)
    with pytest.raises(OSError):
        run_files.write_json(target, {"new": 1})
    assert target.read_text() == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temp file left


def test_every_test_the_promises_section_names_exists():
    """The promises page cites tests; a renamed or deleted test breaks this one."""
    import re
    from pathlib import Path

    from readme_text import page_section

    section = page_section("promises.md", "What chainrule promises")
    cited, current = [], None
    for file_name, test_name in re.findall(r"`(test_\w+\.py)?(?:::)?(test_\w+)?`", section):
        current = file_name or current
        if test_name:
            cited.append((current, test_name))
    assert len(cited) >= 15
    tests = Path(__file__).resolve().parent
    for file_name, test_name in cited:
        assert re.search(rf"^def {test_name}\(", (tests / file_name).read_text(),
                         flags=re.M), f"{file_name}::{test_name} is cited but missing"


@pytest.mark.parametrize("argv", [["trace", "x*x", "x=1"],
                                  ["gradcheck", "x*x", "--random", "3"]])
def test_a_full_device_is_a_failed_run_not_bad_input(argv):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "chainrule", *argv], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == f"chainrule {argv[0]}: failed: cannot write (No space left on " \
                            "device)\n"


@pytest.mark.parametrize("argv,needle", [
    (["predict", "/dev/zero", "--point", "1,2"], "model file /dev/zero: is not a regular file"),
    (["predict", "MODEL", "--csv", "/dev/zero"], "--csv /dev/zero, line 1: longer than"),
    (["predict", ".", "--point", "1,2"], ".: that is a folder"),
    (["predict", "MODEL", "--csv", "."], "--csv .: that is a folder"),
])
def test_endless_or_odd_files_are_refused_without_reading_them_whole(good_run, capsys, argv,
                                                                     needle):
    argv = [str(good_run / "model.json") if a == "MODEL" else a for a in argv]
    code, _, err = run(argv, capsys)
    assert_one_line(code, err, 2, needle)


def test_an_oversized_model_file_is_refused_before_parsing(tmp_path, capsys, monkeypatch):
    from chainrule import predict_cmd

    path = tmp_path / "model.json"
    path.write_text(" " * 2000)
    monkeypatch.setattr(predict_cmd, "MAX_MODEL_BYTES", 1000)
    code, _, err = run(["predict", str(path), "--point", "1,2"], capsys)
    assert_one_line(code, err, 2, "is 2000 bytes; a model file holds at most 1000")


def test_stdin_and_row_counts_are_bounded(good_run, tmp_path, capsys, monkeypatch):
    from chainrule import rows

    monkeypatch.setattr(rows, "MAX_ROWS", 3)
    path = tmp_path / "rows.csv"
    path.write_text("1,2\n" * 4)
    code, _, err = run(["predict", str(good_run / "model.json"), "--csv", str(path)], capsys)
    assert_one_line(code, err, 2, "more than 3 rows")
    process = subprocess.run([sys.executable, "-m", "chainrule", "predict",
                              str(good_run / "model.json"), "--csv", "-"],
                             input="0" * 1_200_000, capture_output=True, text=True,
                             timeout=120)
    assert process.returncode == 2
    assert process.stderr.startswith("chainrule predict: error: --csv -, line 1: longer")


def test_settings_of_another_data_set_are_refused_by_evaluate(good_run, tmp_path, capsys):
    pytest.importorskip("sklearn")
    path = tampered(good_run, tmp_path,
                    lambda d: d["metadata"]["settings"].update(dataset="digits"))
    code, _, err = run(["predict", str(path), "--evaluate"], capsys)
    assert_one_line(code, err, 2, "digits data set of its settings has 64 features but the "
                    "model takes 2")


def test_non_finite_metrics_are_written_as_null_not_lost(tmp_path):
    from chainrule.run_files import write_json

    write_json(tmp_path / "metrics.json", {"loss": {"train": float("inf")},
                                           "history": [1.0, float("nan")]})
    assert json.loads((tmp_path / "metrics.json").read_text()) == {
        "loss": {"train": None}, "history": [1.0, None]}


@pytest.mark.parametrize("argv,needle", [
    (["trace", "x", "x=1", "--svg", "FILE/x.svg"], "--svg FILE/x.svg: FILE is a file"),
    (["trace", "x", "x=1", "--html", "FILE/a/b.html"], "--html FILE/a/b.html: FILE is a file"),
    (["trace", "x", "x=1", "--frames", "FILE/f"], "--frames FILE/f: FILE is a file"),
    (["trace", "x", "x=1", "--html", "DIR"], "--html DIR: that is a folder"),
    (["trace", "x", "x=1", "--svg", "/proc/1/x.svg"], "/proc/1 is not writable"),
    (["demo", "--out", "FILE/x"], "--out FILE/x: FILE is a file"),
])
def test_output_paths_are_checked_before_any_work(tmp_path, capsys, argv, needle):
    target = tmp_path / "file.txt"
    target.write_text("x")
    swap = {"FILE": str(target), "DIR": str(tmp_path)}
    argv = [swap.get(a.split("/")[0], a.split("/")[0]) + a[len(a.split("/")[0]):]
            if a.split("/")[0] in swap else a for a in argv]
    needle = needle.replace("FILE", str(target)).replace("DIR", str(tmp_path))
    code, stdout, err = run(argv, capsys)
    assert_one_line(code, err, 2, needle)
    assert stdout == ""  # nothing traced or trained before the refusal


@pytest.mark.parametrize("argv,expected", [
    (["gradcheck", "-x*y", "x=1", "y=2"], "PASSED"),
    (["trace", "-log(z)", "z=0.5"], "d/dz = -2.0"),
    (["trace", "-2*x", "x=1"], "d/dx = -2.0"),
])
def test_a_leading_minus_is_a_value_not_an_option(capsys, argv, expected):
    code, out, err = run(argv, capsys)
    assert code == 0 and expected in out, err


def test_a_negative_first_number_in_a_point_needs_no_equals_sign(good_run, capsys):
    code, out, err = run(["predict", str(good_run / "model.json"), "--point", "-1,2",
                          "--point", "-.5,-1e-3"], capsys)
    assert code == 0 and out.startswith("-1,2 -> class") and "-0.5,-0.001 -> class" in out


def test_a_closed_stdout_is_a_failed_run_in_one_line():
    result = subprocess.run(["sh", "-c", f'exec "{sys.executable}" -m chainrule trace x x=1 '
                             ">&-"], stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == ("chainrule trace: failed: standard output is closed; redirect "
                             "it to a file or /dev/null instead\n")


def test_a_fifo_named_model_json_is_kept_and_never_read(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    os.mkfifo(out / "model.json")  # reading it would block forever
    code, stdout, _ = run(SMALL_RUN + ["--out", str(out)], capsys)
    assert code == 0 and "--overwrite" in stdout
    assert (out / "model.json").is_fifo() and nn.load(out / "model.new.json").nin == 2


@pytest.mark.parametrize("module_name", ["chainrule.common", "chainrule.rows",
                                         "chainrule.run_files", "chainrule.demo"])
def test_the_docstring_examples_of_the_cli_helpers_hold(module_name):
    import doctest
    import importlib

    failures, tries = doctest.testmod(importlib.import_module(module_name))
    assert tries > 0 and failures == 0


@given(st.integers(-10**6, 10**6), st.sampled_from(["{}", "{}.0", "{:e}", " {} "]))
def test_whole_numbers_are_read_in_any_spelling_and_range_checked(number, spelling):
    import argparse

    from chainrule.common import int_between

    text = spelling.format(number)
    if float(text) != number:  # "{:e}" rounds big numbers to 7 digits: not this number
        return
    parse = int_between(-1000, 1000)
    if -1000 <= number <= 1000:
        assert parse(text) == number
    else:
        with pytest.raises(argparse.ArgumentTypeError, match="out of range"):
            parse(text)


@pytest.mark.parametrize("text", ["2.5", "nan", "inf", "1e400", "x", "", "0x10", "1/2"])
def test_what_is_not_a_whole_number_is_refused(text):
    import argparse

    from chainrule.common import int_between

    with pytest.raises(argparse.ArgumentTypeError, match="is not a whole number"):
        int_between(-1000, 1000)(text)
