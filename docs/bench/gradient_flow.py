"""Vanishing gradients, measured: a deep sigmoid MLP next to ReLU with He init.

    .venv/bin/python docs/bench/gradient_flow.py [OUT.png]

Trains two MLPs of the same shape, 2 -> 8 hidden layers of 16 -> 2, on moons with
plain SGD for 15 epochs; ``fit`` records each layer's gradient L2 norm per epoch.
Prints the norms of the first and last layer and the final accuracy of each, and
draws docs/training-gradient-flow.png (needs matplotlib).
"""

import sys
import time

from nn import MLP, accuracy, fit, predict
from nn.data import StandardScaler, make_moons, train_test_split
from visualize.plots import plot_gradient_flow

DEPTH, WIDTH, EPOCHS = 8, 16, 15


def main(out: str = "docs/training-gradient-flow.png") -> None:
    X, y = make_moons(200, noise=0.1, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    runs = {}
    for name, activation, init in (("sigmoid + Xavier", "sigmoid", "xavier"),
                                   ("ReLU + He", "relu", "he")):
        model = MLP(2, [WIDTH] * DEPTH + [2], activation=activation, init=init, seed=0)
        started = time.perf_counter()
        history = fit(model, X_train, y_train, optimizer="sgd", lr=0.1, epochs=EPOCHS,
                      batch_size=16, seed=0, progress=False)
        first, last = history.grad_norms[0][0], history.grad_norms[0][-1]
        print(f"{name:17s} epoch-1 gradient norm: first layer {first:.2e}, last layer "
              f"{last:.2e} (ratio {first / last:.1e}); test accuracy "
              f"{accuracy(y_test, predict(model, X_test)):.1%} after {EPOCHS} epochs "
              f"({time.perf_counter() - started:.1f} s)")
        runs[name] = history
    title = f"{DEPTH} hidden layers of {WIDTH}, moons, SGD lr 0.1"
    print(f"wrote {plot_gradient_flow(runs, out, title=title)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
