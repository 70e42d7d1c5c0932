"""Hostile sweep, the command line: output paths that would destroy data, and what
reaches stderr.

The contract: an output flag never replaces the command's own input (also through a
symlink or another spelling of the path) and never replaces a saved model with
another kind of file; each refusal is one line, exit 2, before any work, and the
file on disk is unchanged byte for byte.
"""

import contextlib
import io
import math
import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from chainrule.cli import main


def run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.json"
    nn.MLP(2, [3, 2], seed=0).save(path)
    return path


# every flag that writes one file, with the rest of its command line
WRITERS = [
    ("trace", ["x*w", "x=1", "w=2", "--html"]),
    ("trace", ["x*w", "x=1", "w=2", "--svg"]),
    ("network", ["--input", "1,2", "--html"]),
    ("network", ["--input", "1,2", "--svg"]),
]


@pytest.mark.parametrize("command, argv", WRITERS)
@pytest.mark.parametrize("suffix", [".json", ".html", ".svg"])
def test_no_output_flag_replaces_a_saved_model(command, argv, suffix, model_file, capsys):
    target = model_file.with_suffix(suffix)
    if suffix != ".json":
        os.replace(model_file, target)  # a model saved under any name is still a model
    before = target.read_bytes()
    code, out, err = run([command, *argv, target], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"{argv[-1]} {target}:" in err
    if suffix == ".svg" or argv[-1] == "--html":
        assert "that file is a saved chainrule model" in err, err
    else:  # --svg model.json or model.html: the picture's format is refused first
        assert "saved chainrule model" in err or "end the file name" in err, err
    assert target.read_bytes() == before


@pytest.mark.parametrize("spelling", ["same", "symlink", "dotted"])
def test_export_never_writes_over_its_own_model(spelling, model_file, capsys):
    pytest.importorskip("torch")
    before = model_file.read_bytes()
    out = {"same": model_file,
           "symlink": model_file.parent / "link.pt",
           "dotted": model_file.parent / "." / model_file.name}[spelling]
    if spelling == "symlink":
        out.symlink_to(model_file)
    code, stdout, err = run(["export", model_file, "--torch", out], capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "that is also the input" in err and "give the output another name" in err
    assert model_file.read_bytes() == before and stdout == ""


def test_export_to_a_fresh_name_still_works(model_file, capsys):
    torch = pytest.importorskip("torch")
    code, out, err = run(["export", model_file, "--torch", model_file.with_suffix(".pt")],
                         capsys)
    assert code == 0, err
    state = torch.load(model_file.with_suffix(".pt"), weights_only=True)["state_dict"]
    weights = [p.data for p in nn.load(model_file).parameters()]
    assert sum(t.numel() for t in state.values()) == len(weights)


def test_an_html_page_over_an_older_page_is_fine(tmp_path, capsys):
    page = tmp_path / "page.html"
    page.write_text("<p>old</p>")
    code, out, err = run(["trace", "x*x", "x=3", "--html", page], capsys)
    assert code == 0, err
    assert "old" not in page.read_text()


def test_a_warning_is_one_line_that_names_the_command(tmp_path, capsys):
    # a 500-node chain is summarized when drawn; Python printed the warning as two
    # lines: the file and line number of chainrule's source, then the source line
    code, out, err = run(["trace", "x" + "+x" * 499, "x=1", "--svg", tmp_path / "g.svg"],
                         capsys)
    assert code == 0
    assert err.splitlines() == [err.rstrip("\n")] and err.startswith("chainrule trace: warning: ")
    assert "drawing the 400 nodes nearest the output" in err and ".py:" not in err
    assert (tmp_path / "g.svg").read_text().rstrip().endswith("</svg>")


def test_the_warning_display_is_left_as_the_caller_had_it(capsys):
    import warnings
    before = warnings.showwarning
    run(["trace", "x*x", "x=1"], capsys)
    assert warnings.showwarning is before


@pytest.mark.parametrize("command", ["trace", "gradcheck"])
@pytest.mark.parametrize("dashes", [1, 2, 3, 7, 40])
@pytest.mark.parametrize("operand", ["x*w", "(x*w)", "tanh(x*w)"])
def test_an_expression_that_starts_with_dashes_is_an_expression(command, dashes, operand,
                                                                capsys):
    """'---x' and '--x*w' are expressions (no option is spelled so); argparse took any
    token that starts with '--' for an unknown option."""
    text = "-" * dashes + operand
    code, out, err = run([command, text, "x=0.5", "w=-1.5"], capsys)
    assert code == 0, err
    if command == "trace":  # d/dx of (-1)**dashes * f(x*w), f the identity or tanh
        slope = 1 - math.tanh(0.5 * -1.5) ** 2 if operand.startswith("tanh") else 1.0
        expected = (-1) ** dashes * slope * -1.5
        name, equals, shown = out.splitlines()[-2].split()
        assert (name, equals) == ("d/dx", "=") and float(shown) == pytest.approx(expected, 1e-5)


def test_a_double_dash_word_that_could_be_an_option_says_how_to_write_it(capsys):
    code, out, err = run(["trace", "--x", "x=1"], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "unrecognized arguments: --x" in err and "chainrule trace -- --x x=1" in err


@pytest.mark.parametrize("content", [b"", b"\n\n", b"x0,x1\n", b"1;2\n", b"\x00\x01\x02",
                                     b'"1,2\n', b"  ,  \n"])
def test_a_csv_without_rows_of_numbers_says_what_was_read(content, model_file, tmp_path,
                                                          capsys):
    csv_file = tmp_path / "in.csv"
    csv_file.write_bytes(content)
    code, out, err = run(["predict", model_file, "--csv", csv_file], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and out == "", err
    assert f"--csv {csv_file}: no rows of numbers" in err and "read as a header" in err


@pytest.mark.parametrize("argv", [
    ["trace", "x*x", "x=1", "--svg", "a\x00.svg"],
    ["trace", "x*x", "x=1", "--html", "a\x00.html"],
    ["trace", "x*x", "x=1", "--frames", "f\x00"],
    ["network", "--input", "1,2", "--html", "a\x00.html"],
    ["train", "--out", "a\x00b", "--epochs", "1"],
])
def test_a_nul_in_an_output_name_is_refused_before_any_output(argv, capsys, tmp_path,
                                                              monkeypatch):
    """The tables used to print in full, then 'error: embedded null byte'."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv, capsys)
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    assert f"{argv[-2] if argv[0] != 'train' else '--out'} " in err
    assert "cannot hold a NUL byte" in err and list(tmp_path.iterdir()) == []


def test_a_nul_in_an_input_name_is_one_clear_line(model_file, capsys):
    for argv in (["predict", f"{model_file}\x00", "--point", "1,2"],
                 ["predict", model_file, "--csv", "in\x00.csv"]):
        code, out, err = run(argv, capsys)
        assert code == 2 and len(err.splitlines()) == 1 and "holds a NUL byte" in err, err


# --- an in-process fuzz whose values are paths and hostile text ---------------------

FILE_OPTIONS = {"trace": ["--svg", "--html", "--frames"], "network": ["--svg", "--html",
                "--frames"], "export": ["--torch"], "predict": ["--csv"], "gradcheck": [],
                "train": ["--out"], "demo": ["--out"]}
HOSTILE_TEXT = ["\u202ex*w", "<script>x</script>", "x\n*w", "'x'", "x" * 5000, "1" * 400,
                "ｘ*w", "--", "-", "--x", "x=1", "w=2", "\x1b[31mx", "%s%n", "${x}"]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_paths_and_hostile_text_never_lose_a_model_or_print_a_traceback(data, tmp_path_factory):
    """Every output flag aimed at the model, its folder, a pipe, a missing folder or
    the input itself; text with RTL marks, escapes and 5,000 characters as expressions
    and values: exit 0, 1 or 2, one line on failure, and the model file unchanged."""
    folder = tmp_path_factory.mktemp("fuzz")
    model = folder / "model.json"
    nn.MLP(2, [3, 2], seed=0).save(model)
    before = model.read_bytes()
    (folder / "in.csv").write_text("x0,x1\n0.5,1\n")
    os.mkfifo(folder / "pipe")  # stands for /dev/null, which a test must never risk
    places = [str(model), str(folder), str(folder / "missing" / "deep" / "o.svg"),
              str(folder / "in.csv"), str(folder / "o.html"), str(folder / "o.svg"), "."]
    command = data.draw(st.sampled_from(sorted(FILE_OPTIONS)), label="command")
    argv = [command]
    if command in ("trace", "gradcheck"):
        argv += [data.draw(st.sampled_from(HOSTILE_TEXT + ["x*w"]), label="expression"),
                 "x=0.5", "w=-1"]
    elif command in ("predict", "export"):
        argv.append(data.draw(st.one_of(st.just(str(model)), st.sampled_from(places)),
                              label="model"))
    elif command == "network":
        argv += ["--input", data.draw(st.sampled_from(["1,2", "1,nan", "\u202e1,2"]))]
    elif command == "train":
        argv += ["--epochs", "1", "--samples", "30", "--no-progress", "--no-plots"]
    else:
        argv += ["--steps", "2"]
    for option in data.draw(st.lists(st.sampled_from(FILE_OPTIONS[command] or ["--eps"]),
                                     max_size=2, unique=True), label="options"):
        # the model itself half of the time: it is the place that must never be lost
        pipe = [] if option == "--csv" else [str(folder / "pipe")]  # reading one would wait
        target = st.one_of(st.just(str(model)),
                           st.sampled_from(places + pipe + HOSTILE_TEXT[:4]))
        argv += [option, data.draw(target, label=option)]
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(argv)
    finally:
        os.chdir(cwd)
    message = err.getvalue()
    assert code in (0, 1, 2), (argv, message)
    assert "Traceback" not in message and "bug in chainrule" not in message, (argv, message)
    if code != 0:
        assert len(message.splitlines()) == 1 and message.startswith("chainrule"), (argv, message)
    if not (command == "train" and "--overwrite" in argv):
        assert model.read_bytes() == before, argv
    assert stat.S_ISFIFO(os.stat(folder / "pipe").st_mode), argv  # never replaced by a file


@pytest.mark.parametrize("via", ["itself", "a symlink"])
@pytest.mark.parametrize("argv", [["trace", "x*x", "x=1", "--svg"],
                                  ["trace", "x*x", "x=1", "--html"],
                                  ["network", "--input", "1,2", "--html"]])
def test_an_output_never_replaces_a_device_or_a_pipe(argv, via, tmp_path, capsys):
    """As root, `--html /dev/null` (and nn.save(model, "/dev/null")) put a regular file
    in place of the machine's /dev/null.  A FIFO stands in for the device here."""
    pipe = tmp_path / ("pipe.svg" if "--svg" in argv else "pipe")
    os.mkfifo(pipe)
    target = pipe
    if via == "a symlink":
        target = tmp_path / "link.svg" if "--svg" in argv else tmp_path / "link.html"
        target.symlink_to(pipe)
    code, out, err = run([*argv, target], capsys)
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    assert "that is not a regular file (a device or a pipe)" in err
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


def test_nn_save_refuses_a_device_or_a_pipe_and_keeps_a_symlink(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    model = nn.MLP(2, [2], seed=0)
    with pytest.raises(OSError, match="is not a regular file"):
        model.save(pipe)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    with pytest.raises(IsADirectoryError, match="is a folder"):
        model.save(tmp_path)
    real = tmp_path / "real.json"
    link = tmp_path / "link.json"
    model.save(real)
    link.symlink_to(real)
    nn.MLP(2, [2], seed=1).save(link)  # writes through the link, which stays a link
    assert link.is_symlink() and nn.load(real).parameters()[0].data != \
        model.parameters()[0].data


@pytest.mark.parametrize("hidden", ["4,,4", ",4", "4,", " , "])
def test_a_missing_hidden_size_is_a_typo_not_a_smaller_network(hidden, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run(["train", "--hidden", hidden, "--epochs", "1", "--out", str(out)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "a size is missing between commas" in err and not out.exists()


def test_an_empty_hidden_is_a_linear_model(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, _ = run(["train", "--hidden", "", "--epochs", "1", "--no-progress", "--out", str(out)],
                  capsys)
    model = nn.load(out / "model.json")
    assert code == 0 and [len(layer.neurons) for layer in model.layers] == [2]


def test_train_refuses_a_network_past_the_model_limit_before_building_it(tmp_path, capsys):
    from nn.model_file import MAX_PARAMETERS

    # 303,902 parameters: over the model file's limit, under the CLI's old 500,000
    code, _, err = run(["train", "--hidden", "1000,300", "--epochs", "1",
                        "--out", tmp_path / "run"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"303,902 parameters; a chainrule model holds at most {MAX_PARAMETERS:,}" in err
