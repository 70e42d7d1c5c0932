"""Bad input gets a clear exception naming the op and its operands -- never NaN or complex."""

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import OpDomainError, OpError, OpOverflowError, OpZeroDivisionError, Value


@pytest.mark.parametrize("x", [0.0, -1.0, -1e-300])
def test_log_of_non_positive(x):
    with pytest.raises(OpDomainError, match=rf"log\(\) of {x!r} is undefined.*positive"):
        Value(x).log()


@pytest.mark.parametrize("make", [lambda: Value(1.0) / 0, lambda: 1 / Value(0.0),
                                  lambda: Value(2.0) / Value(0.0)])
def test_division_by_zero(make):
    with pytest.raises(OpZeroDivisionError, match="divisor is zero") as info:
        make()
    assert isinstance(info.value, ZeroDivisionError)  # still catchable the usual way


@given(st.floats(-100, -1e-3), st.floats(0.01, 0.99))
def test_negative_base_with_fractional_exponent(base, frac):
    exponent = 1 + frac
    with pytest.raises(OpDomainError, match="negative base with a non-integer exponent") as info:
        Value(base) ** exponent
    assert repr(base) in str(info.value)


def test_negative_base_with_integer_exponent_is_fine():
    assert (Value(-2.0) ** 3).data == -8.0


def test_number_to_value_power_needs_positive_base():
    with pytest.raises(OpDomainError, match="positive base"):
        (-2) ** Value(0.5)


def test_value_to_value_power_needs_positive_base():
    with pytest.raises(OpDomainError, match="base must be positive"):
        Value(-2.0) ** Value(2.0)


def test_zero_to_negative_power():
    with pytest.raises(OpZeroDivisionError, match="zero to a negative power"):
        Value(0.0) ** -1


@pytest.mark.parametrize("x", [710.0, 1e6])
def test_exp_overflow(x):
    with pytest.raises(OpOverflowError, match=r"exp\(\) of .* overflows"):
        Value(x).exp()


def test_power_overflow():
    with pytest.raises(OpOverflowError, match="overflows"):
        Value(10.0) ** 400


@pytest.mark.parametrize("bad", ["3", None, [1.0], 1 + 2j, object()])
def test_non_numeric_operands(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(1.0) + bad
    with pytest.raises(TypeError, match="not a number"):
        bad * Value(1.0)
    with pytest.raises(TypeError, match="not a number"):
        Value(bad)


def test_nan_is_refused_at_the_door():
    with pytest.raises(OpDomainError, match="NaN"):
        Value(float("nan"))


@pytest.mark.parametrize("bad", [math.inf, -math.inf, float("nan")])
def test_non_finite_numbers_are_refused_at_the_door(bad):
    with pytest.raises(OpDomainError, match="finite number"):
        Value(bad)
    for make in (lambda: Value(1.0) + bad, lambda: bad * Value(1.0), lambda: Value(2.0) ** bad):
        with pytest.raises(OpDomainError, match="finite number"):
            make()


@pytest.mark.parametrize("make, op", [(lambda: Value(1e308) + 1e308, "add"),
                                      (lambda: Value(1e200) * 1e200, "mul"),
                                      (lambda: Value(-1e308) - 1e308, "sub"),
                                      (lambda: Value(1e300) / 1e-300, "div")])
def test_a_result_that_overflows_raises_instead_of_giving_inf(make, op):
    with pytest.raises(OpOverflowError, match=rf"{op}: .* overflows a float"):
        make()


def test_infinite_derivative_raises_at_backward():
    y = Value(0.0) ** 0.5
    assert y.data == 0.0
    with pytest.raises(OpError, match="not differentiable there"):
        y.backward()


def test_errors_are_never_bare_assertions():
    for make in (lambda: Value(-1).log(), lambda: Value(1) / 0, lambda: Value(-8) ** (1 / 3),
                 lambda: Value(1e4).exp()):
        with pytest.raises(OpError) as info:
            make()
        assert not isinstance(info.value, AssertionError)
        assert info.value.args[0]  # has a message


@pytest.mark.parametrize("huge", [10**400, -(10**400), Fraction(10**400, 3), Decimal("1e400"),
                                  Decimal("-1e999")])
def test_numbers_too_large_for_a_float_get_a_clear_error(huge):
    with pytest.raises(OpOverflowError, match="too large for a float") as info:
        Value(huge)
    assert str(huge)[:10] in str(info.value)  # names the value (shortened)
    with pytest.raises(OpOverflowError, match="too large for a float"):
        Value(1.0) * huge
    with pytest.raises(OpOverflowError, match="too large for a float"):
        Value(2.0) ** huge


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"),
                                 np.float64("nan"), np.float32("inf")])
def test_non_finite_numbers_of_other_types_are_refused(bad):
    with pytest.raises(OpDomainError, match="finite number"):
        Value(bad)


@pytest.mark.parametrize("number, expected", [
    (10**300, 1e300), (Fraction(1, 3), 1 / 3), (Decimal("0.1"), 0.1), (Decimal("-2.5e-300"),
    -2.5e-300), (np.float32(0.5), 0.5), (np.int64(-7), -7.0), (np.float64(1e308), 1e308),
    (True, 1.0), (False, 0.0), (2**53 + 1, float(2**53 + 1)),
])
def test_real_numbers_of_every_kind_become_the_nearest_float(number, expected):
    v = Value(number)
    assert type(v.data) is float and v.data == expected
    assert (v - number).data == 0.0  # as an operand it becomes the same float


@pytest.mark.parametrize("bad", [np.complex128(1 + 2j), np.array([1.0, 2.0]), "1e400", b"1"])
def test_things_that_are_not_real_numbers_are_a_type_error(bad):
    with pytest.raises(TypeError, match="not a number"):
        Value(bad)
