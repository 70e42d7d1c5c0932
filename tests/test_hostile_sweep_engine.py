"""Hostile sweep, the engine's entry points: Value's constructor and the functional
API (grad, hessian, hvp, gradcheck) given absurd arguments.

The contract: one error of a clear type whose message names the function, the
argument and the way out -- never a bare OverflowError, a "not iterable" from
deep inside, or a NaN that surfaces later in an unrelated op.
"""

import math
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import OpError, Value, grad, gradcheck, hessian, hvp

# numbers no float can hold, and things that are not numbers at all
HUGE = [10**400, -(10**400), Fraction(10**400, 3), Decimal("1e400")]
NOT_FINITE = [math.nan, math.inf, -math.inf, Decimal("NaN")]
NOT_NUMBERS = ["1", b"1", None, [1.0], 1 + 2j, object()]


@given(label=st.text(max_size=30), container=st.sampled_from([tuple, list]),
       data=st.floats(-1e6, 1e6))
def test_a_label_in_micrographs_children_position_names_the_way_out(label, container, data):
    with pytest.raises(TypeError) as info:
        Value(data, container([label]))
    message = str(info.value)
    shown = repr(label) if len(repr(label)) <= 40 else repr(label)[:37] + "..."
    assert "_children" in message and "\n" not in message
    assert message.endswith(f"write Value({data!r}, {shown}) or Value({data!r}, label={shown})")


def test_the_label_tuple_of_issue_10_reads_as_one_sentence():
    with pytest.raises(TypeError, match=re.escape(
            "Value(2.0, ('a',)): the second argument holds text 'a', but a tuple there is "
            "micrograd's _children, the Values this one was computed from; for a label write "
            "Value(2.0, 'a') or Value(2.0, label='a')")):
        Value(2.0, ("a",))


@pytest.mark.parametrize("huge", HUGE[:3])
def test_gradcheck_of_an_input_beyond_a_float_says_so(huge):
    with pytest.raises(ValueError, match=r"gradcheck: input x = .* is too large for a float "
                                         r"\(the largest is about 1\.8e308\); scale it down"):
        gradcheck(lambda x, y: x * y, [huge, 1.0])


@pytest.mark.parametrize("bad", HUGE + NOT_FINITE + NOT_NUMBERS)
@pytest.mark.parametrize("who", ["hessian", "hvp point", "hvp v"])
def test_hessian_and_hvp_name_the_bad_number_and_where_it_is(who, bad):
    def f(x, y):
        return x * x * y

    with pytest.raises((TypeError, OpError)) as info:
        if who == "hessian":
            hessian(f, [1.0, bad])
        elif who == "hvp point":
            hvp(f, [1.0, bad], [1.0, 0.0])
        else:
            hvp(f, [1.0, 2.0], [1.0, bad])
    where = {"hessian": "hessian: point[1]", "hvp point": "hvp: point[1]",
             "hvp v": "hvp: v[1]"}[who]
    assert str(info.value).startswith(where)


@pytest.mark.parametrize("lone", [3.0, "12", None])
def test_a_lone_number_for_a_point_or_direction_is_refused_by_name(lone):
    with pytest.raises(TypeError, match="hessian: point .* should be a list of numbers"):
        hessian(lambda x: x * x, lone)
    with pytest.raises(TypeError, match="hvp: v .* should be a list of numbers"):
        hvp(lambda x: x * x, [1.0], lone)


def test_grad_of_one_value_rather_than_a_list_says_pass_a_list():
    x = Value(3.0, "x")
    with pytest.raises(TypeError, match=r"grad: inputs is one Value; pass a list .*grad\(loss, "
                                        r"\[w\]\)"):
        grad(x * x, x)
    assert [g.data for g in grad(x * x, [x])] == [6.0]
