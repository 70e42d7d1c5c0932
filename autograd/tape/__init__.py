"""The compiled tape: trace a per-example function once, replay it over a whole batch.

The scalar engine builds a fresh graph of Values for every example.  But for a
model and its loss the graph has the same *shape* for every example: only the
numbers at its input leaves change.  So trace it once; its topological order is
a program, a flat list of (op, operand slots, output slot).  Replay that program
on numpy arrays whose columns are the examples of a batch, with the rules of the
same ops table (``m = numpy``), forward and backward:

>>> from autograd import Value
>>> from autograd.tape import compile
>>> w, b = Value(0.5, "w"), Value(0.1, "b")
>>> tape = compile(lambda x, y: (w * x + b - y) ** 2, (1.0, 2.0), params=[w, b])
>>> tape.forward([1.0, 2.0, 3.0], [2.0, 1.0, 0.0])     # three examples at once
array([1.96, 0.01, 2.56])
>>> tape.backward()         # adds d(sum of the three losses)/dp into each p.grad
>>> round(w.grad, 10), round(b.grad, 10)
(7.2, 0.6)

The same numbers as the scalar engine, example by example (the tests check this
to 1e-12 on random models and batches).  Leaves that are listed in ``params`` are
broadcast over the batch and their gradients are summed over it (pass
``weights=1/N`` to :meth:`Tape.backward` for a mean); leaves made from the
example's numbers take one column of the batch each; every other leaf is a
constant.

**What a trace cannot see.**  Python code that reads ``.data`` of a traced value
and branches on it (``x if x.data > 0 else 0.01 * x``) takes one path while
tracing, and the tape would replay that path for every row.  :func:`compile`
notices such reads and refuses them, naming the file and line; so are draws from
Python's ``random`` (a Dropout in training mode outside ``fit``, which instead feeds
its masks to the tape as inputs), and a second trace catches other randomness.  :meth:`Tape.verify`
checks a replay against the scalar engine on sample rows.

**Where the speed is.**  The replay groups nodes of the same op at the same depth
into one numpy call (the 16 relus of a layer are one ``maximum``), fuses chains of
``+`` into one n-ary sum, and turns a group of sums of ``parameter * value``
products -- the 16 neurons ``b + w . h`` of a layer -- into one matrix product,
whose backward is two more (``W.T @ g`` for the values, ``g @ h.T`` for the
weights, already summed over the batch).  Operands are read through strided views
instead of copies when their slots line up, which the slot layout arranges.  The
fusions are the table's ``add`` and ``mul`` as numpy's sum and matrix product
(the tests check those two rows once, not each compile); every other op,
including ones added to the table later, runs its own forward and derivative
rules with ``m = numpy`` (a row's ``array_derivatives`` where it has them: relu's
slope is a boolean mask that ``mask * upstream`` casts in the same pass).  A node
whose gradient is a single row is read where it is, never copied.
``grouped=False`` keeps the plain one-node-at-a-time interpreter (and the scalar
rules): the readable reference.

Domain errors are per row: ``log`` of a negative entry raises the table's
:class:`~autograd.ops.OpDomainError`, naming the op, the value and the batch row.

The package, one room per step:

* :mod:`.tracing` -- run ``fn`` once on Values; the graph as numbers;
* :mod:`.compiler` -- :func:`compile`: refuse what a replay cannot reproduce;
* :mod:`.replay` -- :class:`Tape`: batches in, outputs and gradients out;
* :mod:`.interpreter` -- the one-node-at-a-time replay (the reference);
* :mod:`.plan` and :mod:`.groups` -- the grouped replay: fusion passes, then one
  numpy call per group; :mod:`.readers` -- strided views into its buffers;
* :mod:`.errors` -- the errors, and the batch row named in each.
"""

from autograd.install_check import install_command

try:
    import numpy  # noqa: F401  (the tape's one dependency, an optional extra)
except ImportError:
    raise ImportError("the compiled tape (fit(compile=True), train --compile, autograd.tape) "
                      "needs numpy, which is optional: " + install_command("fast")) from None

from .compiler import compile, compile_tape  # noqa: E402
from .errors import TapeMismatchError, TapeTraceError  # noqa: E402
from .interpreter import Interpreter  # noqa: E402
from .plan import GroupedPlan  # noqa: E402
from .replay import Tape  # noqa: E402

__all__ = ["Tape", "compile", "compile_tape", "TapeTraceError", "TapeMismatchError",
           "Interpreter", "GroupedPlan"]
