"""A safe little expression language: ``"tanh(x*w + b)"`` -> a Value graph.

>>> e = parse("tanh(x*w + b)")
>>> e.variables
('x', 'w', 'b')
>>> out = e.build(x=2.0, w=-3.0, b=6.88)
>>> out.label, round(out.data, 4)
('tanh(x*w + b)', 0.7064)
>>> [v.label for v in out._prev[0]._prev]
['x*w', 'b']

The text goes through :func:`ast.parse` (which only builds a syntax tree -- no
code object is made and nothing is run) and every node of that tree is checked
against a whitelist: numbers, variable names, ``+ - * / **``, unary minus,
parentheses, and calls of the ops in :data:`autograd.ops.OPS` that are written as
functions (``exp``, ``log``, ``tanh``, ``sigmoid``, ``relu`` ... whatever the
table holds).  The graph is then built by walking the checked tree with
:class:`Value` arithmetic.  ``eval``, ``exec`` and ``compile`` are never used.

Anything else is an :class:`ExprError` that names the offending text, its
column, and what is allowed:

>>> parse("x.__class__")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
autograd.expr.ExprError: attribute access 'x.__class__' at column 1 is not allowed in \
'x.__class__'; allowed: numbers, variable names, + - * / **, unary minus, parentheses and \
calls abs(), ...

Each variable becomes ONE leaf labelled by its name (a variable used twice is one
node reached by two paths); each intermediate node is labelled with its own
sub-expression, or ``n1``, ``n2`` ... when that text would be longer than
:data:`MAX_LABEL` (the output keeps its text up to :data:`MAX_ROOT_LABEL`
characters, and is called ``out`` beyond that).
"""

from __future__ import annotations

import ast
import math
import warnings
from dataclasses import dataclass
from numbers import Real
from typing import Mapping, Optional, Union

from . import notation
from .notation import cap_list, number_literal
from .ops import OPS, OpError
from .value import Value

__all__ = ["parse", "build", "Expression", "ExprError", "MAX_LENGTH", "MAX_LABEL", "MAX_ROOT_LABEL",
           "callable_ops"]

MAX_LENGTH = 1000  # characters; a teaching expression is a line, not a program
MAX_LABEL = 20     # longer sub-expressions are labelled n1, n2, ...
MAX_ROOT_LABEL = 40  # the output keeps its text up to this length, else it is "out"

# Each Python operator and the table's op that it builds (how it is written is op data).
_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}

_DESCRIPTIONS = {
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Lambda: "lambda",
    ast.Compare: "comparison", ast.BoolOp: "'and'/'or'", ast.IfExp: "'if ... else'",
    ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict", ast.Set: "set",
    ast.ListComp: "comprehension", ast.SetComp: "comprehension",
    ast.DictComp: "comprehension", ast.GeneratorExp: "generator expression",
    ast.JoinedStr: "f-string", ast.Starred: "star argument", ast.NamedExpr: "':=' assignment",
    ast.Await: "await", ast.Slice: "slice",
}


class ExprError(ValueError):
    """The expression text cannot be used; ``str()`` is one line naming the spot.

    ``text`` is the whole input, ``start``/``end`` the character span (0-based)
    of the offending part, or ``None`` when the problem is not at one place.
    :meth:`pointer` draws a caret under it.
    """

    def __init__(self, message: str, text: str = "", start: Optional[int] = None,
                 end: Optional[int] = None):
        super().__init__(message)
        self.text = text
        self.start = start
        self.end = end

    def pointer(self) -> str:
        """The text with ``^^^`` under the offending part (two lines), or ``''``.

        >>> try:
        ...     parse("tanh(x)[0]")
        ... except ExprError as error:
        ...     print(error.pointer())
        tanh(x)[0]
        ^^^^^^^^^^
        """
        if self.start is None or not self.text:
            return ""
        end = max(self.end if self.end is not None else self.start + 1, self.start + 1)
        return f"{self.text}\n{' ' * self.start}{'^' * (end - self.start)}"


def callable_ops() -> list[str]:
    """Names of the ops written as function calls, read from the ops table now.

    >>> "tanh" in callable_ops() and "add" not in callable_ops()
    True
    """
    return sorted(name for name, op in OPS.items() if not op.infix)


def _allowed() -> str:
    calls = ", ".join(f"{name}()" for name in callable_ops())
    return ("allowed: numbers, variable names, + - * / **, unary minus, parentheses "
            f"and calls {calls}")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass(frozen=True)
class _Node:
    """A checked node: what to do, where it is, its children and its canonical text."""

    kind: str            # "num", "var", "+", "-", "*", "/", "**", "neg", "call"
    start: int
    end: int
    children: tuple = ()
    number: float = 0.0
    name: str = ""       # variable name or op name
    text: str = ""       # canonical text, used as the node's label
    precedence: int = notation.ATOM  # how tightly the text binds (notation's levels)
    constant: bool = False  # no variables below


class Expression:
    """A checked expression.  :meth:`build` makes a fresh Value graph from it.

    >>> e = parse("(a + b)**2 / c")
    >>> e.variables
    ('a', 'b', 'c')
    >>> e.build({"a": 1, "b": 2, "c": 3}).data
    3.0
    """

    def __init__(self, text: str, root: _Node, variables: tuple):
        self.text = text
        self._root = root
        self.variables: tuple[str, ...] = variables

    def __repr__(self) -> str:
        return f"parse({self.text!r})"

    def build(self, values: Optional[Mapping[str, Union[float, Value]]] = None,
              **named: Union[float, Value]) -> Value:
        """The Value graph for these variable values; returns the output node.

        A value may be a number (a new leaf labelled by the variable's name is
        made) or a :class:`Value` you hold, so you can read its ``.grad`` later.

        >>> x = Value(3.0)
        >>> y = parse("x*x + 1").build(x=x)
        >>> y.backward(); x.label, x.grad
        ('x', 6.0)
        """
        given = dict(values or {})
        given.update(named)
        missing = [v for v in self.variables if v not in given]
        if missing:
            example = " ".join(f"{v}=1.0" for v in missing[:3])
            raise ExprError(f"no value for {cap_list(missing)} in {_short(self.text)!r}; "
                            f"give every variable a number, e.g. {example}", self.text)
        unknown = [k for k in given if k not in self.variables]
        if unknown:
            uses = cap_list(self.variables) if self.variables else "no variables"
            raise ExprError(f"{cap_list(unknown)} {'is' if len(unknown) == 1 else 'are'} "
                            f"not in {_short(self.text)!r}, which uses {uses}; "
                            "check the spelling", self.text)
        leaves = {}
        for name in self.variables:
            value = given[name]
            if isinstance(value, Value):
                if not value.label:
                    value.label = name
                leaves[name] = value
            elif isinstance(value, Real) and not isinstance(value, bool):
                number = float(value)
                if not math.isfinite(number):
                    raise ExprError(f"{name} = {number}: a variable needs a finite number",
                                    self.text)
                leaves[name] = Value(number, name)
            else:
                raise ExprError(f"{name} = {_short(repr(value))}: a variable needs a number "
                                f"or a Value, not {type(value).__name__}", self.text)
        return _Builder(self.text, leaves).run(self._root)


def parse(text: str) -> Expression:
    """Check ``text`` and return an :class:`Expression`; raises :class:`ExprError`.

    >>> parse("-log(sigmoid(z))").variables
    ('z',)
    >>> parse("2**x").build(x=3).data
    8.0
    """
    if not isinstance(text, str):
        raise ExprError(f"an expression must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is {len(text)} characters long; the limit is "
                        f"{MAX_LENGTH}: split it into smaller pieces", _short(text, 60))
    for index, ch in enumerate(text):
        if ch != " " and ch != "\t" and not ch.isprintable():
            raise ExprError(f"character {ch!r} at column {index + 1} is not allowed: write the "
                            "expression on one line with printable characters", text,
                            index, index + 1)
    if "#" in text:  # Python would drop a comment silently; here it is not part of the text
        index = text.index("#")
        raise ExprError(f"'#' at column {index + 1} of {_short(text)!r}: comments are not part "
                        "of the expression language; remove the '#' and what follows it",
                        text, index, len(text))
    stripped = text.lstrip(" \t")
    shift = len(text) - len(stripped)
    if not stripped.strip():
        raise ExprError("the expression is empty; write one such as tanh(x*w + b)", text)
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence": ours is the error
            warnings.simplefilter("ignore")
            tree = ast.parse(stripped, mode="eval")  # a syntax tree only: nothing is run
    except SyntaxError as error:
        reason = (error.msg or "invalid syntax").rstrip(".")
        if not error.offset:  # Python saw the end of the text while it wanted more
            column = len(text.rstrip())
            reason = "the expression ends too early; is an operand or ')' missing?"
        else:
            column = min(max(shift + error.offset - 1, 0), len(text))
        end = shift + (error.end_offset or 0) - 1
        raise ExprError(f"syntax error at column {column + 1} of {_short(text)!r}: {reason}; "
                        "write it like tanh(x*w + b) or (a + b)**2 / c", text, column,
                        end if end > column else None) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError(f"{_short(text)!r} is nested too deeply to read; "
                        "split it into smaller pieces", text) from None
    return _Checker(text, stripped, shift).run(tree)


def build(text: str, values: Optional[Mapping[str, Union[float, Value]]] = None,
          **named: Union[float, Value]) -> Value:
    """``parse(text).build(values, **named)`` in one call.

    >>> round(build("tanh(x*w + b)", x=2, w=-3, b=6.88).data, 4)
    0.7064
    """
    return parse(text).build(values, **named)


class _Checker:
    """Turn a Python syntax tree into checked :class:`_Node` s, or raise ExprError."""

    def __init__(self, text: str, stripped: str, shift: int):
        self.text = text
        self.encoded = stripped.encode("utf-8")
        self.shift = shift
        self.variables: dict[str, None] = {}

    def span(self, node: ast.AST) -> tuple[int, int]:
        # ast offsets count UTF-8 bytes of the (single) line; turn them into characters.
        def chars(byte_offset):
            return self.shift + len(self.encoded[:byte_offset].decode("utf-8", "replace"))
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None)
        return chars(start), chars(end if end is not None else len(self.encoded))

    def fail(self, node: ast.AST, what: str, hint: str = "") -> ExprError:
        start, end = self.span(node)
        piece = self.text[start:end]
        hint = f"{hint}; " if hint else ""
        return ExprError(f"{what} {_short(piece)!r} at column {start + 1} is not allowed in "
                         f"{_short(self.text)!r}; {hint}{_allowed()}", self.text, start, end)

    def run(self, tree: ast.Expression) -> Expression:
        root = _post_order(tree.body, self.operands, self.combine)
        return Expression(self.text, root, tuple(self.variables))

    def operands(self, node: ast.AST) -> list:
        """Refuse ``node`` if it is not allowed; else its operands, to check first."""
        if isinstance(node, (ast.Constant, ast.Name)):
            return []
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub):
                symbol = {ast.UAdd: "+", ast.Not: "not", ast.Invert: "~"}[type(node.op)]
                raise self.fail(node, f"unary {symbol}",
                                "only unary minus is allowed before a term")
            return [node.operand]
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise self.fail(node, "operator", "use + - * / or **")
            return [node.left, node.right]
        if isinstance(node, ast.Call):
            return self.call_arguments(node)
        what = _DESCRIPTIONS.get(type(node), type(node).__name__)
        raise self.fail(node, what)

    def combine(self, node: ast.AST, checked: list) -> _Node:
        """The checked node for ``node``, whose operands are already ``checked``."""
        start, end = self.span(node)
        if isinstance(node, ast.Constant):
            return self.number(node, start, end)
        if isinstance(node, ast.Name):
            return self.name(node, start, end)
        if isinstance(node, ast.UnaryOp):
            (operand,) = checked
            if operand.kind == "num":  # -3 is the number -3, not neg(3)
                return _number_node(-operand.number, start, end)
            op = OPS["neg"]
            return _Node("neg", start, end, (operand,), text=_write(op, operand),
                         precedence=op.precedence, constant=operand.constant)
        if isinstance(node, ast.BinOp):
            left, right = checked
            op = OPS[_BINARY[type(node.op)]]
            return _Node(op.symbol, start, end, (left, right), text=_write(op, left, right),
                         precedence=op.precedence, constant=left.constant and right.constant)
        op = OPS[node.func.id]
        args = tuple(checked)
        return _Node("call", start, end, args, name=op.name, text=_write(op, *args),
                     precedence=op.precedence, constant=all(arg.constant for arg in args))

    def number(self, node: ast.Constant, start: int, end: int) -> _Node:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "text" if isinstance(value, (str, bytes)) else type(value).__name__
            raise self.fail(node, f"{kind}", "only plain numbers are constants")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.fail(node, "the number", "it is too large for a float")
        return _number_node(number, start, end)

    def name(self, node: ast.Name, start: int, end: int) -> _Node:
        name = node.id
        if self.text[start:end] != name:  # Python folded it (NFKC): "ｘ" reads as "x"
            raise self.fail(node, "the name", f"Python reads it as {name!r}, so it would "
                            f"silently be the variable {name!r}; write {name!r} itself")
        if name in OPS and not OPS[name].infix:
            raise self.fail(node, "the function name",
                            f"call it, e.g. {name}(x)")
        if name.startswith("__"):
            raise self.fail(node, "the reserved name", "names may not start with __")
        self.variables.setdefault(name, None)
        return _Node("var", start, end, name=name, text=name)

    def call_arguments(self, node: ast.Call) -> list:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self.fail(func, "calling", "call a function by its name, e.g. tanh(x)")
        name = func.id
        op = OPS.get(name)
        if op is None or op.infix:
            raise self.fail(func, "the unknown function")
        if node.keywords:
            raise self.fail(node.keywords[0], "the keyword argument",
                            f"write {name}(x) with the argument alone")
        if len(node.args) != op.arity:
            raise self.fail(node, f"a call with {len(node.args)} argument(s)",
                            f"{name} takes {op.arity}")
        return list(node.args)


def _post_order(root, operands, combine):
    """``combine(node, [results of its operands])`` for every node, children first.

    A loop with its own stack rather than recursion: ``x + x + ... + x`` is a
    chain as deep as it is long, and Python's call stack would run out first.
    """
    stack: list = [(root, None)]
    results: list = []
    while stack:
        node, children = stack.pop()
        if children is None:
            children = operands(node)
            stack.append((node, children))
            stack.extend((child, None) for child in reversed(children))
        else:
            first = len(results) - len(children)
            done = combine(node, results[first:])
            del results[first:]
            results.append(done)
    return results[0]


def _number_node(number: float, start: int, end: int) -> _Node:
    text = number_literal(number)
    level = notation.UNARY if text.startswith("-") else notation.ATOM
    return _Node("num", start, end, number=number, text=text, constant=True, precedence=level)


def _write(op, *children: _Node) -> str:
    """The canonical text of ``op`` over checked children (parenthesized by the table)."""
    return notation.write(op, [c.text for c in children], [c.precedence for c in children])


class _Builder:
    """Walk checked nodes with Value arithmetic, labelling every new node."""

    def __init__(self, text: str, leaves: dict):
        self.text = text
        self.leaves = leaves
        self.counter = 0

    def label(self, value: Value, node: _Node) -> Value:
        if len(node.text) <= MAX_LABEL:
            value.label = node.text
        else:
            self.counter += 1
            while f"n{self.counter}" in self.leaves:
                self.counter += 1
            value.label = f"n{self.counter}"
        return value

    def run(self, root: _Node) -> Value:
        result = _post_order(root, _children, self.value)
        if result.label == "" or root.kind == "num":
            self.label(result, root)
        if root.kind not in ("var", "num") and len(root.text) > MAX_LABEL:
            # the output is named in every table: its own text while that stays readable
            result.label = root.text if len(root.text) <= MAX_ROOT_LABEL else "out"
        return result

    def value(self, node: _Node, operands: list) -> Value:
        """The Value of ``node`` from the Values of its children (``operands``)."""
        if node.kind == "var":
            return self.leaves[node.name]
        if node.kind == "num":
            return Value(node.number, node.text)
        try:
            if node.kind == "**":
                base, exponent = node.children
                if exponent.constant:  # a plain number: x**2 is the table's pow, not powv
                    result = operands[0] ** operands[1].data
                elif base.constant:
                    result = operands[0].data ** operands[1]
                else:
                    result = operands[0] ** operands[1]
            elif node.kind == "call":
                result = _apply(node.name, operands)
            elif node.kind == "neg":
                result = -operands[0]
            else:
                left, right = operands
                result = {"+": left.__add__, "-": left.__sub__, "*": left.__mul__,
                          "/": left.__truediv__}[node.kind](right)
        except OpError as error:
            located = type(error)(f"{error} (in {_short(self.text[node.start:node.end])!r} "
                                  f"at column {node.start + 1})")
            raise located from None
        return self.label(result, node)


def _children(node: _Node) -> tuple:
    return node.children


def _apply(name: str, args: list) -> Value:
    """Apply op ``name`` of the table: its Value method if it has one, else the table rule."""
    method = getattr(Value, name, None)
    if callable(method) and len(args) == 1:
        return method(args[0])
    return args[0]._apply(name, tuple(args))
