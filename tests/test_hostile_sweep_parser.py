"""Hostile sweep, the expression parser: long flat chains, deep unary chains, and
what ``chainrule trace`` prints for them.

A left-associative chain ``x+x+...+x`` is as deep as it is long; it used to be
refused as "nested deeper than 200 levels".  Every chain that fits in
:data:`autograd.expr.MAX_LENGTH` characters must build, and its value and gradient
must equal PyTorch's on the same chain.
"""

import keyword
import math
import re
import unicodedata

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import close

from autograd import OPS, Value
from autograd.expr import MAX_LENGTH, ExprError, parse


def _torch_chain(text: str, x: float):
    """The oracle: Python itself reads the chain (its own precedence) over torch tensors."""
    leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = eval(text, {"__builtins__": {}}, {"x": leaf})  # our own generated text only
    out.backward()
    return out.item(), leaf.grad.item()


@settings(max_examples=20)
@given(symbols=st.lists(st.sampled_from("+-*/"), min_size=201, max_size=(MAX_LENGTH - 1) // 2),
       x=st.floats(0.999, 1.001))
def test_a_flat_chain_longer_than_200_terms_builds_and_matches_torch(symbols, x):
    text = "x" + "".join(f"{symbol}x" for symbol in symbols)
    leaf = Value(x, "x")
    out = parse(text).build(x=leaf)
    out.backward()
    value, grad = _torch_chain(text, x)
    assert close(out.data, value, rel=1e-9) and close(leaf.grad, grad, rel=1e-9, abs_=1e-9)


@pytest.mark.parametrize("text, value, grad", [
    ("x" + "+x" * 499, 500.0, 500.0),            # 999 characters: the longest sum allowed
    ("-" * 998 + "x", 1.0, 1.0),                 # 998 unary minus signs: an even count
    ("-" * 999 + "x", -1.0, -1.0),
    ("x" + "**1" * 333, 1.5, 1.0),               # a right-assoc chain of constant exponents
])
def test_the_longest_chains_that_fit_build(text, value, grad):
    assert len(text) <= MAX_LENGTH
    x = Value(1.5 if "**" in text else 1.0, "x")
    out = parse(text).build(x=x)
    out.backward()
    assert (out.data, x.grad) == (value, grad)


def test_a_chain_past_the_length_limit_is_refused_with_the_limit():
    with pytest.raises(ExprError, match=rf"is {MAX_LENGTH + 1} characters long; the limit is "
                                        rf"{MAX_LENGTH}: split it"):
        parse("x" + "+x" * (MAX_LENGTH // 2))


def test_deep_parentheses_are_still_a_clear_error():
    with pytest.raises(ExprError, match="too many nested parentheses"):
        parse("(" * 300 + "x" + ")" * 300)


def test_an_error_deep_in_a_long_chain_names_its_place_once():
    text = "x" + "+x" * 300 + "+log(x-x)"
    with pytest.raises(Exception, match=r"log\(\) of 0\.0 .*\(in 'log\(x-x\)' at column 603\)$"):
        parse(text).build(x=1.0)
    assert math.isfinite(parse(text[:-9]).build(x=1.0).data)


def test_the_trace_of_a_500_term_sum_is_lines_not_megabytes(capsys):
    """x used 500 times: its upstream is one sum of 500 terms, shown by its ends and a
    count (it printed every term, which padded each of 1500 rows to 3146 columns)."""
    from chainrule.cli import main

    assert main(["trace", "x" + "+x" * 499, "x=1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # wrapped to a terminal's 100 columns, a row takes about two lines
    assert max(len(line) for line in lines[1:]) <= 100 and len(lines) < 3200
    assert sum(map(len, lines)) < 200_000
    at = next(k for k, line in enumerate(lines) if line.split()[:2] == ["500", "x"])
    block = lines[at:lines.index("", at)]        # the leaf's row, its upstream wrapped
    header = next(line for line in lines if line.split()[:2] == ["step", "node"])
    left, right = header.index("upstream"), header.index("local derivative")
    upstream = " ".join(line[left:right].strip() for line in block)   # its column
    assert "500.0 = 1.0 + 1.0 + 1.0 + 1.0 + ... 495 more ... + 1.0" in " ".join(
        upstream.split()), block
    assert lines[-1].split() == ["d/dx", "=", "500.0"]


def _folded(ch: str) -> bool:
    """A character Python's parser silently replaces in a name (NFKC): 'ｘ' -> 'x'."""
    folded = unicodedata.normalize("NFKC", ch)
    return folded != ch and ("a" + ch).isidentifier() and ("a" + folded).isidentifier()


FOLDED = [chr(code) for code in range(0xA0, 0x1FFFF) if _folded(chr(code))]


@given(ch=st.sampled_from(FOLDED))
def test_a_name_python_would_fold_into_another_is_refused(ch):
    """'ｘ*x' was x*x (Python reads the fullwidth ｘ as x), and 'ℌ+1' asked for a value
    of H: the text the user sees is not the variable that is computed."""
    name = "a" + ch
    folded = unicodedata.normalize("NFKC", name)
    with pytest.raises(ExprError, match=re.escape(f"Python reads it as {folded!r}")):
        parse(f"{name} * x")


@given(name=st.from_regex(r"[a-zA-Zα-ωΑ-Ω_][a-zA-Z0-9α-ω_]{0,8}", fullmatch=True).filter(
    # isidentifier: the range Α-Ω holds U+03A2, a code point with no character (and no name)
    lambda n: n.isidentifier() and not n.startswith("__") and n not in OPS
    and not keyword.iskeyword(n)))
def test_every_name_python_keeps_as_written_is_one_variable(name):
    assert parse(f"{name} * {name} + 1").variables == (name,)
