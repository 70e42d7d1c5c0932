"""A hypothesis fuzz of the command line, run as real processes.

Property: whatever argv hypothesis builds for any subcommand, mixing valid and absurd
flags and values, the program ends within a time bound with exit code 0, 1 or 2,
never prints a traceback, and a non-zero exit comes with exactly one line on stderr
that starts with "chainrule".  Settings are chosen cheap (tiny data, one epoch, no
plots) so the whole fuzz stays well under a minute; CHAINRULE_FUZZ_EXAMPLES runs more.
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.cli import SUBCOMMANDS, build_parser, main

REPO = str(Path(__file__).resolve().parent.parent)
EXAMPLES = int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", "10"))
SECONDS = 90  # per run; the cheapest settings take well under a second of CPU

NUMBERS = ["0", "1", "2", "-1", "0.5", "-1e-3", "nan", "-nan", "inf", "-inf", "1e400",
           "1e-300", "1e9", "9" * 40, "", "x", "1,2", "--", "0x10", "1_0"]
JUNK = st.text(alphabet="-=,.eE0123456789xnaif \t\\\"'é", max_size=10)  # argv holds no NUL


# Flags whose valid values cost time: junk like "9999" would be a valid, slow run.
COSTLY = {"--steps", "--epochs", "--samples", "--random", "--early-stopping"}


def value(flag, pool):
    if flag in COSTLY:
        return st.sampled_from(pool + NUMBERS)
    return st.one_of(st.sampled_from(pool), st.sampled_from(NUMBERS), JUNK)


def flag_list(pools: dict, max_size: int = 4):
    """A list of ``[flag, value]`` pairs, a bare flag now and then, or stray tokens."""
    pair = st.sampled_from(sorted(pools)).flatmap(
        lambda flag: st.tuples(st.just(flag), value(flag, pools[flag])).map(list)
        if pools[flag] is not None else st.just([flag]))
    stray = st.one_of(JUNK, st.sampled_from(["--help-me", "-x", "--", "-"])).map(
        lambda token: [token])
    items = st.lists(st.one_of(pair, pair, pair, stray), max_size=max_size)
    return items.map(lambda lists: [token for group in lists for token in group])


@contextlib.contextmanager
def scratch():
    folder = tempfile.mkdtemp(prefix="chainrule-fuzz-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check(argv, stdin=""):
    with scratch() as cwd:  # a stray output path such as "--out 0" lands in scratch
        result = subprocess.run([sys.executable, "-m", "chainrule", *argv], input=stdin,
                                capture_output=True, text=True, timeout=SECONDS, cwd=cwd,
                                env={**os.environ, "PYTHONWARNINGS": "default",
                                     "PYTHONPATH": REPO})  # this checkout, from any cwd
    err = result.stderr
    assert result.returncode in (0, 1, 2), (argv, result.returncode, err)
    assert "Traceback" not in err and "Exception ignored" not in err, (argv, err)
    if result.returncode != 0:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("chainrule"), (argv, err)
    return result


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A trained model, broken models and CSV files of every kind."""
    root = tmp_path_factory.mktemp("fuzz")
    assert main(["train", "--dataset", "moons", "--samples", "40", "--hidden", "4",
                 "--epochs", "2", "--no-progress", "--no-plots", "--out", str(root)]) == 0
    paths = {"model": root / "model.json", "file": root / "metrics.json", "dir": root}
    for name, text in {"garbage.json": "not json", "nested.json": "[" * 50_000,
                       "empty.json": "", "good.csv": "x0,x1\n0.5,0.5\n-1,2\n",
                       "nan.csv": "0.5,nan\n", "wide.csv": ",".join(["1"] * 5000) + "\n",
                       "huge.csv": "1," + "9" * 200_000 + "\n", "nul.csv": "1,\x002\n"
                       }.items():
        (root / name).write_text(text)
        paths[name] = root / name
    return {key: str(path) for key, path in paths.items()}


# Subcommands with a fuzz of their own (below, and network's in test_network_cli.py); any
# other registered one (export, say) is fuzzed from its own argparse options.
DEDICATED = {"demo", "trace", "gradcheck", "train", "predict", "network"}
GENERIC = sorted(set(SUBCOMMANDS) - DEDICATED)
POSITIONALS = ["x*x", "tanh(x*w + b)", "x=1", "w=-2", "nan", "", "-1"]


def options_of(command: str) -> list:
    """The argparse actions of one subcommand, read from the real parser."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [a for a in subparsers.choices[command]._actions
            if not isinstance(a, argparse._HelpAction)]


def generic_argv(command: str, files: dict, data) -> list:
    pool = NUMBERS + POSITIONALS + [files["model"], files["good.csv"], files["dir"]]
    argv = [command]
    for action in options_of(command):
        choices = list(action.choices or []) + ["nope"] if action.choices else pool
        count = (action.nargs if isinstance(action.nargs, int)
                 else 1 if action.nargs in (None, "?") else data.draw(st.integers(0, 2)))
        values = [data.draw(st.sampled_from(choices)) for _ in range(count)]
        if not action.option_strings:
            argv += values
        elif data.draw(st.booleans()):
            argv += [action.option_strings[-1], *values]
    return argv


@pytest.mark.parametrize("command", GENERIC or [None])
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_any_other_registered_subcommand(files, command, data):
    if command is None:  # every registered subcommand has a dedicated fuzz below
        assert set(SUBCOMMANDS) == DEDICATED
        return
    check(generic_argv(command, files, data))


EXPRESSIONS = ["x*x", "tanh(x*w + b)", "log(x)", "-log(z)", "x/y", "relu(x) + x**3",
               "exp(x*1e3)", "x # comment", "__import__('os')", "((((x))))", "1+2", ""]
BINDINGS = ["x=1", "x=-2", "x=nan", "x=1e400", "w=0.5", "b=1", "y=0", "z=-1", "x", "=1",
            "x=1=2", "1x=2", "x=1e300", "y=1e-320"]


@settings(max_examples=EXAMPLES)
@given(st.sampled_from(EXPRESSIONS) | JUNK, st.lists(st.sampled_from(BINDINGS), max_size=3),
       st.data())
def test_gradcheck_argv(expression, bindings, data):
    flags = data.draw(flag_list({"--random": ["0", "3", "-1"], "--seed": ["0", "7"],
                                 "--eps": ["1e-6", "1e-300", "0"], "--atol": ["1e-5"],
                                 "--rtol": ["1e-3"], "--range": ["-1e-3", "3"]}))
    check(["gradcheck", *flags, "--", expression, *bindings])


@settings(max_examples=EXAMPLES)
@given(st.sampled_from(EXPRESSIONS) | JUNK, st.lists(st.sampled_from(BINDINGS), max_size=3),
       st.data())
def test_trace_argv(expression, bindings, data):
    with scratch() as folder:
        flags = data.draw(flag_list({"--svg": [f"{folder}/g.svg", f"{folder}/g.txt", folder],
                                     "--html": [f"{folder}/s.html", folder],
                                     "--frames": [f"{folder}/frames", "/dev/null"]}, 3))
        check(["trace", *flags, "--", expression, *bindings])


@settings(max_examples=EXAMPLES)
@given(st.data())
def test_train_argv(files, data):
    with scratch() as folder:
        # an earlier model in --out: none, a good one, or junk (never to be lost)
        earlier = data.draw(st.sampled_from([None, files["model"], files["garbage.json"]]))
        if earlier:
            shutil.copy(earlier, os.path.join(folder, "model.json"))
        argv = train_once(folder, data)
        if earlier and "--overwrite" not in argv:
            assert_not_replaced_by_worse(earlier, os.path.join(folder, "model.json"))


def assert_not_replaced_by_worse(earlier: str, now: str) -> None:
    with open(earlier, "rb") as before, open(now, "rb") as after:
        if before.read() == after.read():
            return
    # replaced: only a model of the same data set that scored at least as well may do that
    old, new = (json.loads(open(path).read())["metadata"] for path in (earlier, now))
    assert old["dataset"] == new["dataset"], (old["dataset"], new["dataset"])
    assert new["test_accuracy"] >= old["test_accuracy"]


def train_once(folder, data):
    flags = data.draw(flag_list({
        "--dataset": ["moons", "circles", "spiral", "xor", "blobs", "mnist"],
        "--samples": ["10", "24", "5"], "--noise": ["0", "0.1", "-0.1"],
        "--hidden": ["4", "2,2", "0", "4096,4096", "x", ""],
        "--activation": ["relu", "tanh", "nope"], "--init": ["he", "xavier", "zero"],
        "--loss": ["cross_entropy", "bce", "hinge", "multi_margin", "mse", "l1"],
        "--optimizer": ["sgd", "momentum", "nesterov", "adam", "adamw", "lbfgs"],
        "--lr": ["0.01", "100", "0"], "--epochs": ["1", "2"], "--batch-size": ["1", "8"],
        "--val-split": ["0", "0.2", "0.99"], "--test-split": ["0.2", "0"],
        "--early-stopping": ["0", "1"], "--dropout": ["0.1", "1"],
        "--weight-decay": ["0.01"], "--l1": ["1e-4"], "--l2": ["1e-4", "-1"],
        "--clip-norm": ["1"], "--scale": ["standard", "minmax", "none", "log"],
        "--seed": ["0", "3"], "--out": [folder, "/dev/null/x", "/dev/null"],
        "--compile": None, "--overwrite": None,
    }, 5))
    base = ["train", "--samples", "24", "--epochs", "1", "--hidden", "4", "--no-progress",
            "--no-plots", "--out", folder]
    check(base + flags)
    return base + flags


@settings(max_examples=EXAMPLES)
@given(st.data())
def test_predict_argv(files, data):
    model = data.draw(st.sampled_from([files["model"], files["model"], files["garbage.json"],
                                       files["nested.json"], files["empty.json"],
                                       files["dir"], files["file"], "missing.json"]))
    csvs = [files[name] for name in ("good.csv", "nan.csv", "wide.csv", "huge.csv",
                                     "nul.csv")]
    flags = data.draw(flag_list({"--point": ["0.5,0.5", "-1,2", "nan,1", "1e308,1e308",
                                             "1", "1,2,3"],
                                 "--csv": csvs + ["-", "missing.csv", files["dir"]],
                                 "--evaluate": None, "--json": None}))
    stdin = data.draw(st.sampled_from(["", "0.5,0.5\n", "nan,1\n", "a,b\n"]))
    check(["predict", model, *flags], stdin=stdin)


@settings(max_examples=max(EXAMPLES // 2, 1))
@given(st.data())
def test_demo_argv(data):
    with scratch() as folder:
        flags = data.draw(flag_list({"--steps": ["1", "0", "10001"], "--seed": ["1", "-1"],
                                     "--out": [folder, "/dev/null", "/dev/null/x"]}, 3))
        check(["demo", "--steps", "1", "--out", folder, *flags])
