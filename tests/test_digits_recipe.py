"""The digits recipe of ``benchmarks/train_digits.py``, step for step against PyTorch.

The benchmark reports chainrule's test accuracy beside PyTorch's for the same recipe
(MLP(64, [32, 10]), ReLU, He init, cross entropy, Adam lr 0.005, batch 16, L2 5e-4).
The two runs draw different initial weights and batch orders, so their accuracies differ
by seed noise.  This test removes the noise: PyTorch starts from chainrule's initial
weights (``to_torch``) and takes fit's own shuffled batches, and after two epochs
(136 Adam steps) both hold the same parameters.  So any accuracy gap between the two
systems in the benchmark comes from the draws, not from the training.
"""

import random

import pytest

from nn import MLP, fit, to_torch
from nn.data import StandardScaler, load_digits, train_val_test_split

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

EPOCHS, BATCH, LR, L2 = 2, 16, 0.005, 5e-4


def _digits():
    X, y = load_digits()
    X_train, _, _, y_train, _, _ = train_val_test_split(X, y, 0.2, 0.2, seed=0)
    return StandardScaler().fit(X_train).transform(X_train), list(y_train)


def _torch_run(model, X, y, seed):
    """The benchmark's PyTorch loop, fed fit's batch order (``random.Random(seed)``
    shuffles one index list per epoch, as ``nn.data.batches`` does)."""
    net = to_torch(model)
    params = list(net.parameters())
    optimizer = torch.optim.Adam(params, lr=LR, foreach=False)
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
    rng = random.Random(seed)
    for _ in range(EPOCHS):
        order = list(range(len(X)))
        rng.shuffle(order)
        for start in range(0, len(order), BATCH):
            rows = torch.tensor(order[start:start + BATCH])
            loss = torch.nn.functional.cross_entropy(net(Xt[rows]), yt[rows])
            loss = loss + L2 * sum((p * p).sum() for p in params)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "scalar"])
def test_the_digits_recipe_takes_pytorchs_steps(compiled):
    X, y = _digits()
    if not compiled:  # the scalar engine: the same recipe on the first 160 rows
        X, y = X[:160], y[:160]
    model = MLP(64, [32, 10], init="he", seed=3)
    net = _torch_run(model, X, y, seed=3)
    fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=LR, epochs=EPOCHS,
        batch_size=BATCH, l2=L2, seed=3, progress=False, compile=compiled)
    ours, theirs = to_torch(model), net
    for mine, torchs in zip(ours.parameters(), theirs.parameters()):
        assert mine.detach().numpy() == pytest.approx(torchs.detach().numpy(),
                                                      rel=1e-9, abs=1e-11)
    probe = torch.tensor(X[:50], dtype=torch.float64)
    assert ours(probe).argmax(1).tolist() == theirs(probe).argmax(1).tolist()
