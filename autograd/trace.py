"""The teaching record: the forward pass as a table, the backward pass as steps.

>>> from autograd.expr import build
>>> out = build("a*b + a", a=2.0, b=-3.0)
>>> print(forward_table(out))
#  node     op     inputs  value
1  a        input  -         2.0
2  b        input  -        -3.0
3  a*b      mul    a, b     -6.0
4  a*b + a  add    a*b, a   -4.0
>>> steps = backward_steps(out)
>>> step = steps[1]                     # the node a*b, second in reverse order
>>> step.node, step.upstream
('a*b', 1.0)
>>> print(step.contributions[0].formula_text())
d(a*b)/da = b = -3.0
>>> [(c.node, c.amount) for c in steps.received("a")]   # two paths reach a
[('a*b + a', 1.0), ('a*b', -3.0)]
>>> steps.gradients()
{'a': -2.0, 'b': 2.0}

Each :class:`BackwardStep` is one node, visited in reverse topological order: the
``upstream`` gradient that has arrived at it (final by then), and one
:class:`Contribution` per parent -- the local derivative as a formula and as a
number, the product ``local * upstream`` passed back, and the parent's running
total after the ``+=``.  ``print(steps)`` gives an aligned terminal table.

:func:`backward_steps` runs the backward pass itself (from zeroed grads, as
``backward()`` after ``zero_grad()`` would), reading the same rules from the ops
table, so the ``.grad`` of every node afterwards equals what ``backward()`` gives.
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

from . import notation
from .graph import topological_order
from .notation import format_number, substitute
from .ops import OPS, Op
from .value import Value, local_derivatives

__all__ = [
    "forward_table",
    "ForwardRow",
    "ForwardTable",
    "backward_steps",
    "BackwardStep",
    "BackwardTrace",
    "Contribution",
    "table_text",
    "node_names",
    "format_number",
    "operand_names",
]

MAX_NAME = 20  # an unlabelled node is named by its formula when that is this short
MAX_SUM_TERMS = 6  # an upstream sum longer than this shows its first and last terms


def operand_names(op: Op) -> tuple[str, ...]:
    """The letters the op's formulas use for its operands, read from its rules.

    >>> operand_names(OPS["mul"]), operand_names(OPS["pow"]), operand_names(OPS["rpow"])
    (('a', 'b'), ('a', 'n'), ('c', 'a'))
    """
    for rule in op.derivatives:
        if rule is None:
            continue
        try:
            params = list(inspect.signature(rule).parameters)
        except (TypeError, ValueError):
            break
        if len(params) == op.arity + 2:  # (m, out, *operands)
            return tuple(params[2:])
    try:
        params = list(inspect.signature(op.forward).parameters)
        if len(params) == op.arity + 1:  # (m, *operands)
            return tuple(params[1:])
    except (TypeError, ValueError):
        pass
    return tuple("abcdefgh"[:op.arity])


def node_names(nodes: Sequence[Value], unique: bool = True) -> dict:
    """A unique, readable name per node: its label, else its formula, never a serial.

    An unlabelled constant is named by its value; a formula longer than
    ``MAX_NAME`` shortens its long operands to ``…``.  A name shared by several
    nodes gets `` (2nd)``, `` (3rd)`` ... on its later uses (unless ``unique`` is
    False: a picture that boxes each neuron can leave the plain labels).

    >>> a = Value(1.0, "a"); c = a * a; d = c + 2.0
    >>> list(node_names([a, c, d._prev[1], d]).values())
    ['a', 'a*a', '2.0', 'a*a + 2.0']
    """
    base: dict = {}
    for node in nodes:
        name = node.label
        if not name and node._op in OPS:
            parents = [base.get(p, "?") for p in node._prev]
            name = notation.write(OPS[node._op], parents)
            if len(name) > MAX_NAME:
                name = notation.write(OPS[node._op], [n if len(n) <= MAX_NAME // 2 else "…"
                                                      for n in parents])
        base[node] = name or format_number(node.data)
    if not unique:
        return base
    seen: dict = {}
    names = {}
    for node, name in base.items():
        seen[name] = seen.get(name, 0) + 1
        names[node] = name if seen[name] == 1 else f"{name} ({_ordinal(seen[name])})"
    return names


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def table_text(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = (),
               width: Optional[int] = None) -> str:
    """Aligned columns; column indexes in ``right`` are right-aligned (numbers).

    With ``width`` (a terminal's columns), the widest columns wrap until the table fits:
    a formula breaks before its ``=`` signs, then between words, and a row takes as many
    lines as its tallest cell.

    >>> print(table_text(["node", "local derivative"], [["t", "d(t)/dx = 1 - t**2 = 0.42"]],
    ...                  width=22))
    node  local derivative
    t     d(t)/dx
            = 1 - t**2
            = 0.42
    """
    table = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    if width is not None:
        widths = _fit_widths(table, widths, width - 2 * (len(header) - 1))
        table = [[_wrap(c, w) for c, w in zip(row, widths)] for row in table]
        widths = [max(len(line) for row in table for line in row[i])   # a long word stays
                  for i in range(len(header))]
    else:
        table = [[[c] for c in row] for row in table]
    lines = []
    for k, row in enumerate(table):
        for line in range(max(len(cell) for cell in row)):
            cells = [(cell[line] if line < len(cell) else "") for cell in row]
            cells = [c.rjust(w) if i in right and k else c.ljust(w)
                     for i, (c, w) in enumerate(zip(cells, widths))]
            lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _fit_widths(table: list, widths: list, room: int) -> list:
    """Narrow columns one character at a time until the table fits ``room``, each time
    the column where the fewest cells have to wrap (the widest of those): one long cell
    wraps alone instead of every row (the narrowest a column gets is its longest word)."""
    columns = [[len(c) for c in column] for column in zip(*table)]
    floors = [max(max((len(w) + 2 for c in column for w in c.split()), default=0), 4)
              for column in zip(*table)]
    widths = list(widths)
    while sum(widths) > room:
        shrinkable = [i for i, w in enumerate(widths) if w > floors[i]]
        if not shrinkable:
            break
        cheapest = min(shrinkable, key=lambda i: (sum(n >= widths[i] for n in columns[i]),
                                                  -widths[i]))
        widths[cheapest] -= 1
    return widths


def _wrap(cell: str, width: int) -> list:
    """``cell`` as lines of at most ``width``: before each `` = `` first, then words."""
    if len(cell) <= width:
        return [cell]
    parts = cell.split(" = ")
    pieces = [parts[0]] + ["  = " + p for p in parts[1:]]
    lines: list = []
    for piece in pieces:
        if lines and len(lines[-1]) + len(piece) - 1 <= width and not piece.startswith("  = "):
            lines[-1] += piece
        elif len(piece) <= width:
            lines.append(piece)
        else:
            lines.extend(textwrap.wrap(piece, width, subsequent_indent="  ",
                                       break_long_words=False, break_on_hyphens=False,
                                       drop_whitespace=True) or [piece])
    return lines


# --- the forward pass ----------------------------------------------------------------


@dataclass(frozen=True)
class ForwardRow:
    """One node of the forward pass: ``name = op(inputs) = value``."""

    index: int              # 1-based position in topological order
    name: str
    op: str                 # the op's name, or "input" for a leaf
    inputs: tuple           # the parents' names
    value: float
    formula: str            # e.g. "a*b"; the name for a leaf


class ForwardTable(Sequence):
    """The forward pass, one :class:`ForwardRow` per node in topological order."""

    def __init__(self, rows: Sequence[ForwardRow]):
        self.rows = tuple(rows)

    def __getitem__(self, index):
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        return self.text()

    def text(self, width: Optional[int] = None) -> str:
        """The table; with ``width``, wrapped to fit that many columns."""
        body = [[str(r.index), r.name, r.op, ", ".join(r.inputs) or "-",
                 format_number(r.value)] for r in self.rows]
        return table_text(["#", "node", "op", "inputs", "value"], body, right=(4,),
                          width=width)

    def __repr__(self) -> str:
        return f"<ForwardTable of {len(self.rows)} nodes>"


def forward_table(root: Value) -> ForwardTable:
    """Every node ``root`` depends on, parents first, with its op, inputs and value.

    >>> x = Value(2.0, "x"); y = (x * x).tanh(); y.label = "y"
    >>> [(r.name, r.op, r.inputs) for r in forward_table(y)]
    [('x', 'input', ()), ('x*x', 'mul', ('x', 'x')), ('y', 'tanh', ('x*x',))]
    """
    nodes = topological_order(root)
    names = node_names(nodes)
    rows = []
    for index, node in enumerate(nodes, 1):
        parents = tuple(names[p] for p in node._prev)
        if node._op in OPS:
            formula = notation.write(OPS[node._op], parents)
        else:
            formula = names[node]
        rows.append(ForwardRow(index, names[node], node._op or "input", parents, node.data,
                               formula))
    return ForwardTable(rows)


# --- the backward pass ---------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """What one node sends to one parent: ``parent.grad += local * upstream``.

    ``local`` is ``None`` for a constant operand (the ``2`` of ``x**2``): nothing
    flows to it and ``amount`` is 0.
    """

    node: str                 # the node sending the gradient
    node_formula: str         # how that node is computed from its parents, e.g. "x*w"
    parent: str               # the node receiving it
    parent_index: int         # the parent's 1-based position in topological order
    position: int             # which operand of the op (0-based)
    formula: str              # the local derivative with node names, e.g. "w"
    generic: str              # the same in the table's letters, e.g. "d(a*b)/da = b"
    local: Optional[float]
    upstream: float
    amount: float             # local * upstream
    total_before: float       # parent.grad before the +=
    total_after: float        # parent.grad after the +=

    def formula_text(self) -> str:
        """``d(x*w)/dx = w = -3.0``: the derivative, its formula and its number."""
        if self.local is None:
            return f"{self.parent} is a constant: no gradient"
        return f"{self._derivative()} = {self.formula} = {format_number(self.local)}"

    def _derivative(self) -> str:
        # a plain name reads d(x*w)/dx; anything else gets its brackets, tanh(x) too
        return f"d({self.node_formula})/d{self.parent}" \
            if self.parent.isidentifier() \
            else f"d({self.node_formula})/d({self.parent})"

    def update_text(self) -> str:
        """``x.grad += -3.0 * 1.0 = -3.0  ->  -3.0``: the ``+=`` and the running total."""
        if self.local is None:
            return f"{self.parent}: constant, no grad"
        return (f"{self.parent}.grad += {format_number(self.local)} * "
                f"{format_number(self.upstream)} = {format_number(self.amount)}  "
                f"-> {format_number(self.total_after)}")


@dataclass(frozen=True)
class BackwardStep:
    """One node of the backward pass, visited once its gradient is final."""

    step: int                 # 1-based step number
    index: int                # the node's 1-based position in topological order
    node: str
    op: str                   # op name, or "input"
    formula: str              # how the node is computed, e.g. "x*w"
    value: float
    upstream: float           # d(root)/d(node), final at this step
    received: tuple           # the Contributions that summed to upstream (empty for the root)
    contributions: tuple      # one Contribution per parent

    def upstream_text(self) -> str:
        """``1.0 (seed)``, or the sum it came from: ``-2.0 = 1.0 + -3.0``."""
        if not self.received:
            return f"{format_number(self.upstream)} (seed)" \
                if self.step == 1 else f"{format_number(self.upstream)} (nothing flows here)"
        if len(self.received) == 1:
            return format_number(self.upstream)
        parts = [format_number(c.amount) for c in self.received]
        if len(parts) > MAX_SUM_TERMS:  # a node used 500 times: one line, not 500 terms
            hidden = len(parts) - MAX_SUM_TERMS + 1
            parts = parts[:MAX_SUM_TERMS - 2] + [f"... {hidden} more ..."] + parts[-1:]
        return f"{format_number(self.upstream)} = {' + '.join(parts)}"

    def to_dict(self) -> dict:
        """Plain data for JSON (the HTML stepper uses it)."""
        return {
            "step": self.step, "index": self.index, "node": self.node, "op": self.op,
            "formula": self.formula, "value": self.value, "upstream": self.upstream,
            "upstream_text": self.upstream_text(),
            "received": [{"from": c.node, "amount": c.amount} for c in self.received],
            "contributions": [{
                "parent": c.parent, "parent_index": c.parent_index, "local": c.local,
                "formula": c.formula_text(), "generic": c.generic, "amount": c.amount,
                "total_before": c.total_before, "total_after": c.total_after,
                "update": c.update_text()} for c in self.contributions],
        }

    def rows(self) -> list[list[str]]:
        """This step's lines of the printed table."""
        head = [str(self.step), self.node, self.upstream_text()]
        if not self.contributions:
            what = "leaf: its grad is final" if self.op == "input" else "no parents"
            return [head + [what, "", "", ""]]
        out = []
        for k, c in enumerate(self.contributions):
            first = head if k == 0 else ["", "", ""]
            if c.local is None:
                out.append(first + [c.formula_text(), "", "", ""])
                continue
            out.append(first + [c.formula_text(),
                                f"{format_number(c.local)} * {format_number(c.upstream)}"
                                f" = {format_number(c.amount)}",
                                c.parent,
                                f"{format_number(c.total_before)} + {format_number(c.amount)}"
                                f" = {format_number(c.total_after)}"])
        return out

    def __str__(self) -> str:
        return table_text(STEP_HEADER, self.rows())


STEP_HEADER = ["step", "node", "upstream", "local derivative", "passed back", "parent",
               "parent grad +="]


class BackwardTrace(Sequence):
    """The backward pass as :class:`BackwardStep` s, in the order they happen."""

    def __init__(self, steps: Sequence[BackwardStep], nodes: Sequence[Value], names: dict):
        self.steps = tuple(steps)
        self.nodes = tuple(nodes)          # topological order; step k visits nodes[-k]
        self.names = names

    def __getitem__(self, index):
        return self.steps[index]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[BackwardStep]:
        return iter(self.steps)

    def step_of(self, name: str) -> BackwardStep:
        """The step that visits the node called ``name``."""
        for step in self.steps:
            if step.node == name:
                return step
        known = ", ".join(s.node for s in self.steps[:12])
        raise KeyError(f"no node named {name!r} in this trace; nodes are {known} ...")

    def received(self, name: str) -> tuple:
        """Every contribution the node called ``name`` received, in order."""
        return self.step_of(name).received

    def gradients(self) -> dict:
        """The final gradient of every input (leaf) that is not a constant, by name."""
        out = {}
        for step in reversed(self.steps):
            if step.op == "input" and (step.received or step.step == 1):
                out[step.node] = step.upstream
        return out

    def grads_after(self, step_number: int) -> list:
        """Every node's grad (in topological order) after ``step_number`` steps ran.

        Step 0 is the moment the seed ``root.grad = 1`` is set.
        """
        if not 0 <= step_number <= len(self.steps):
            raise IndexError(f"step {step_number}: this trace has steps 0 to {len(self.steps)}")
        grads = [0.0] * len(self.nodes)
        grads[-1] = 1.0
        for step in self.steps[:step_number]:
            for c in step.contributions:
                if c.local is not None:
                    grads[c.parent_index - 1] = c.total_after
        return grads

    def __str__(self) -> str:
        return self.text()

    def text(self, width: Optional[int] = None) -> str:
        """The table; with ``width`` (a terminal's columns), wrapped to fit it."""
        rows = [row for step in self.steps for row in step.rows()]
        return table_text(STEP_HEADER, rows, width=width)

    def __repr__(self) -> str:
        return f"<BackwardTrace of {len(self.steps)} steps>"


def backward_steps(root: Value) -> BackwardTrace:
    """Run backprop from ``root`` one node at a time and record every step.

    Every grad in the graph is set to 0 first, so the record starts where
    ``backward()`` after ``zero_grad()`` starts.  Afterwards each node's ``.grad``
    holds d(root)/d(node), exactly as ``backward()`` leaves it.

    >>> x = Value(0.5, "x"); y = x.tanh(); y.label = "y"
    >>> print(backward_steps(y)[0].contributions[0].formula_text())
    d(tanh(x))/dx = 1 - tanh(x)**2 = 0.786448
    """
    nodes = topological_order(root)
    names = node_names(nodes)
    position = {node: index for index, node in enumerate(nodes, 1)}
    for node in nodes:
        node.grad = 0.0
    root.grad = 1.0
    received: dict = {node: [] for node in nodes}
    steps = []
    for step_number, node in enumerate(reversed(nodes), 1):
        upstream = node.grad
        parent_names = [names[p] for p in node._prev]
        contributions = []
        if node._op in OPS and node._prev:
            op = OPS[node._op]
            letters = operand_names(op)
            generic_node = notation.write(op, letters)
            node_formula = notation.write(op, parent_names)
            locals_ = local_derivatives(node)
            for k, (parent, local) in enumerate(zip(node._prev, locals_)):
                before = parent.grad
                amount = 0.0 if local is None else local * upstream
                if local is not None:
                    parent.grad += amount
                formula = op.formulas[k] if k < len(op.formulas) else None
                generic = (f"d({generic_node})/d{letters[k]} = {formula}"
                           if formula is not None else f"{letters[k]} is a constant")
                contribution = Contribution(
                    node=names[node], node_formula=node_formula, parent=names[parent],
                    parent_index=position[parent], position=k,
                    formula=substitute(formula, letters, parent_names) if formula else "",
                    generic=generic, local=local, upstream=upstream, amount=amount,
                    total_before=before, total_after=parent.grad)
                contributions.append(contribution)
                if local is not None:
                    received[parent].append(contribution)
        formula = (notation.write(OPS[node._op], parent_names) if node._op in OPS
                   else names[node])
        steps.append(BackwardStep(
            step=step_number, index=position[node], node=names[node],
            op=node._op or "input", formula=formula, value=node.data, upstream=upstream,
            received=tuple(received[node]), contributions=tuple(contributions)))
    return BackwardTrace(steps, nodes, names)
