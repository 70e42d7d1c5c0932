"""Training plots are real pictures (oracle: matplotlib's own PNG reader).

Properties: each plot writes a PNG that decodes, has the expected size range and is
not blank; bad input and a missing matplotlib give errors that say what to do.
"""

import sys

import pytest

from nn import MLP, confusion_matrix, fit, predict
from nn.data import make_blobs, make_moons

matplotlib = pytest.importorskip("matplotlib")
plots = pytest.importorskip("visualize.plots")
image = pytest.importorskip("matplotlib.image")


@pytest.fixture(scope="module")
def run():
    X, y = make_moons(60, seed=0)
    model = MLP(2, [8, 8, 2], init="he", seed=0)
    history = fit(model, X, y, lr=0.05, epochs=4, batch_size=10, val_split=0.25,
                  early_stopping=2, progress=False)
    return model, X, y, history


def _picture(path):
    pixels = image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 200 and pixels.shape[1] > 300
    assert pixels[..., :3].std() > 0.05  # not a blank canvas
    return pixels


def test_history_and_gradient_flow_pictures(run, tmp_path):
    model, X, y, history = run
    _picture(plots.plot_history(history, tmp_path / "loss.png", title="t"))
    _picture(plots.plot_history(history.to_dict(), tmp_path / "loss2.png"))
    _picture(plots.plot_gradient_flow({"a": history, "b": history}, tmp_path / "flow.png"))
    empty = {"epochs": [1], "grad_norms": [[]]}
    with pytest.raises(ValueError, match="run 'x' recorded no gradient norms"):
        plots.plot_gradient_flow({"x": empty}, tmp_path / "none.png")


def test_decision_boundary_picture_and_its_input_check(run, tmp_path):
    model, X, y, _ = run
    _picture(plots.plot_decision_boundary(model, X, y, tmp_path / "b.png", resolution=40))
    with pytest.raises(ValueError, match="needs 2-D points"):
        plots.plot_decision_boundary(model, [[1.0, 2.0, 3.0]], [0], tmp_path / "c.png")


def test_confusion_matrix_picture(tmp_path):
    X, y = make_blobs(60, centers=3, seed=0)
    model = MLP(2, [6, 3], init="he", seed=0)
    fit(model, X, y, epochs=3, progress=False)
    _picture(plots.plot_confusion_matrix(confusion_matrix(y, predict(model, X)),
                                         tmp_path / "cm.png"))


def test_missing_matplotlib_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert not plots.plotting_available()
    with pytest.raises(ImportError, match=r"pip install '\.\[plot\]' in your chainrule"):
        plots.plot_history({"epochs": []}, tmp_path / "x.png")


def test_plotting_leaves_the_users_matplotlib_backend_alone(tmp_path):
    # A notebook's inline backend must survive a chainrule plot; pyplot is never loaded.
    script = (
        "import sys, matplotlib\n"
        "matplotlib.use('svg')\n"
        "from visualize.plots import plot_confusion_matrix\n"
        f"plot_confusion_matrix([[3, 1], [0, 4]], {str(tmp_path / 'h.png')!r})\n"
        "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)\n"
    )
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["svg", "False"]
    assert (tmp_path / "h.png").stat().st_size > 1000
