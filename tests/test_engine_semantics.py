"""The engine's contract with its user, checked against PyTorch where PyTorch has one:
repeated backward(), thread-local grad mode, the + and * short paths on hostile
operands, non-finite gradients, and the collector left working for the program."""

import gc
import tracemalloc

from autograd import Value

# --- gc_paused(promote=True) leaves the program's garbage collectable ----------------


def test_the_programs_cyclic_garbage_is_reclaimed_while_it_calls_the_model():
    from nn import MLP

    model = MLP(2, [8, 8, 1], seed=0)
    x = [Value(0.5), Value(-0.3)]
    alive = [0]

    class Cycle:  # the program's own garbage: a self-referencing object with a payload
        def __init__(self):
            self.me = self
            self.payload = bytearray(10_000)
            alive[0] += 1

        def __del__(self):
            alive[0] -= 1

    assert gc.isenabled()
    tracemalloc.start()
    try:
        for i in range(600):
            Cycle()
            model(x)  # runs gc_paused(promote=True) on every call
            if i == 100:
                base, _ = tracemalloc.get_traced_memory()
        now, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 500 leaked cycles would hold 5 MB; before the fix every one of them was kept
    assert alive[0] <= 10
    assert now - base < 1_000_000
