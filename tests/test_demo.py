"""The main job end to end: `chainrule demo` trains to 100% and draws a neuron's graph."""

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_reaches_full_accuracy_and_writes_graph(tmp_path):
    result = subprocess.run([sys.executable, "-m", "chainrule", "demo", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "step   0/100" in result.stdout and "step  90/100" in result.stdout
    assert "final accuracy 100%" in result.stdout
    svg = (tmp_path / "graph.svg").read_text()
    assert "<svg" in svg and "grad" in svg and "relu" in svg


def test_bad_arguments_exit_2_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "chainrule", "demo", "--steps", "0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--steps: 0 is out of range" in result.stderr
    result = subprocess.run([sys.executable, "-m", "chainrule", "nonsense"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
