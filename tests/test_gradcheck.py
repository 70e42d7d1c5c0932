"""gradcheck: right answers, honest reports at kinks, and proof that it can fail."""

import math

import mpmath
import pytest
from hypothesis import Phase, given, settings
from readme_text import page_section

from autograd import (
    OPS,
    GradcheckError,
    Op,
    OpDomainError,
    OpError,
    Value,
    gradcheck,
    graph_function,
    register_op,
    unregister_op,
)
from autograd.gradcheck import StepRoundsAwayError
from autograd.strategies import expressions, op_inputs

# --- a deliberately wrong derivative -------------------------------------------------

WRONG_CUBE = Op(name="wrong_cube", symbol="wrong_cube", arity=1, forward=lambda m, a: a * a * a,
                derivatives=(lambda m, out, a: 2.0 * a * a,),       # should be 3 a**2
                formulas=("2*a**2",), doc="a**3 with a wrong derivative, for tests")
WRONG_MUL = Op(name="wrong_mul", symbol="wrong_mul", arity=2, forward=lambda m, a, b: a * b,
               derivatives=(lambda m, out, a, b: b,
                            lambda m, out, a, b: a + 0.5),   # d/db should be a
               formulas=("b", "a + 0.5"), doc="a * b, wrong for b, for tests")


@pytest.fixture
def wrong_ops():
    register_op(WRONG_CUBE)
    register_op(WRONG_MUL)
    try:
        yield
    finally:
        unregister_op(WRONG_CUBE.name)
        unregister_op(WRONG_MUL.name)


def wrong_cube(x):
    return x._apply("wrong_cube", (x,))


def test_a_wrong_derivative_fails_and_names_the_input(wrong_ops):
    result = gradcheck(wrong_cube, [1.5])
    assert not result
    assert result.status == "failed"
    check = result["x"]
    assert check.status == "MISMATCH"
    assert check.analytic == pytest.approx(2 * 1.5**2)       # what the wrong rule says
    assert check.numeric == pytest.approx(3 * 1.5**2, rel=1e-8)   # the true derivative
    assert check.abs_error == pytest.approx(1.5**2, rel=1e-6)
    assert result.worst is check
    assert "MISMATCH" in str(result) and "FAILED" in str(result)


def test_only_the_wrong_operand_is_flagged(wrong_ops):
    result = gradcheck(lambda a, b: a._apply("wrong_mul", (a, b)), {"a": 2.0, "b": -3.0})
    assert [c.name for c in result.mismatches] == ["b"]
    assert result["a"].ok
    assert result.worst.name == "b"
    assert result["b"].abs_error == pytest.approx(0.5, rel=1e-6)


def test_raise_exception_carries_the_table(wrong_ops):
    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong_cube, [2.0], raise_exception=True)
    message = str(info.value)
    assert "MISMATCH" in message and "worst input: x" in message
    assert info.value.result.status == "failed"
    assert isinstance(info.value, AssertionError)


def test_a_property_test_catches_the_wrong_derivative(wrong_ops):
    @given(op_inputs("wrong_cube"))
    def gradient_is_right(xs):
        gradcheck(wrong_cube, xs, raise_exception=True)

    with pytest.raises(GradcheckError) as info:
        gradient_is_right()
    assert info.value.result["x"].status == "MISMATCH"


def test_random_expressions_catch_the_wrong_derivative(wrong_ops):
    @settings(phases=[Phase.generate])  # finding it is the point; shrinking takes seconds
    @given(expressions(ops=["add", "mul", "tanh", "wrong_cube"], max_depth=3))
    def gradient_is_right(case):
        expression, point = case
        gradcheck(expression, point, raise_exception=True)

    with pytest.raises(GradcheckError):
        gradient_is_right()


# --- right answers ----------------------------------------------------------------------


def test_known_gradient_and_error_columns():
    # f = x*y + tanh(x): df/dx = y + 1 - tanh(x)^2, df/dy = x  (derived by hand)
    x, y = 0.7, -1.3
    result = gradcheck(lambda x, y: x * y + x.tanh(), [x, y])
    assert result and result.status == "passed"
    assert result["x"].analytic == pytest.approx(y + 1 - math.tanh(x) ** 2, rel=1e-14)
    assert result["y"].analytic == pytest.approx(x, rel=1e-14)
    for check in result.inputs:
        assert check.numeric == pytest.approx(check.analytic, rel=1e-8)
        assert check.abs_error == abs(check.analytic - check.numeric)
        assert check.rel_error == pytest.approx(check.abs_error / abs(check.numeric))
    ratios = {c.name: c.abs_error / (result.atol + result.rtol * abs(c.numeric))
              for c in result.inputs}
    assert result.worst.name == max(ratios, key=ratios.get)


def test_the_table_has_a_row_per_input():
    result = gradcheck(lambda a, b: (a / b).exp(), {"a": 0.3, "b": 2.0})
    lines = str(result).splitlines()
    assert lines[0].startswith("gradcheck of <lambda> at a=0.3, b=2")
    assert lines[1].split()[:2] == ["input", "value"]
    assert lines[2].split()[0] == "a" and lines[2].split()[-1] == "ok"
    assert lines[3].split()[0] == "b" and lines[3].split()[-1] == "ok"
    assert lines[-1] == "PASSED: all 2 inputs match"


def test_numeric_column_matches_mpmath():
    """The checker's own finite difference agrees with a 50-digit derivative."""
    def f(x, y):
        return (x * y).sigmoid() * (y ** 2 + 1).log()

    def f_mp(x, y):
        return 1 / (1 + mpmath.exp(-x * y)) * mpmath.log(y ** 2 + 1)

    point = (0.4, -2.1)
    result = gradcheck(f, point)
    with mpmath.workdps(50):
        dx = mpmath.diff(lambda t: f_mp(t, mpmath.mpf(point[1])), mpmath.mpf(point[0]))
        dy = mpmath.diff(lambda t: f_mp(mpmath.mpf(point[0]), t), mpmath.mpf(point[1]))
    assert result["x"].numeric == pytest.approx(float(dx), rel=1e-8)
    assert result["y"].numeric == pytest.approx(float(dy), rel=1e-8)


@given(expressions())
def test_backward_passes_gradcheck_on_random_graphs(case):
    expression, point = case
    result = gradcheck(expression, point)
    assert result.status == "passed", str(result)


def recipe_lines() -> list[str]:
    """The five-line recipe, as the site's gradients page prints it."""
    text = page_section("gradients.md", "Property-test your own function's gradient")
    block = text.split("in five lines", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    return block.splitlines()


def test_the_five_line_recipe_runs_as_written():
    lines = recipe_lines()
    assert len([line for line in lines if line.strip()]) == 5
    namespace = {}
    exec("\n".join(lines), namespace)   # the documentation's own code, not user input
    tests = [v for k, v in namespace.items() if k.startswith("test_")]
    assert len(tests) == 1
    tests[0]()                          # runs the hypothesis property test


def test_the_recipe_in_the_module_docstring_is_the_same():
    import autograd.strategies

    doc = autograd.strategies.__doc__
    for line in recipe_lines():
        assert line in doc


# --- honesty where there is no derivative -----------------------------------------------


def test_relu_at_zero_is_not_differentiable_not_failed():
    result = gradcheck(lambda x: x.relu(), [0.0])
    assert result                                    # not a failure ...
    assert result.status == "not differentiable"     # ... and not a silent pass
    check = result["x"]
    assert check.status == "not differentiable here"
    assert (check.left, check.right) == (0.0, 1.0)
    assert math.isnan(check.numeric)
    assert "not differentiable here" in str(result)
    assert "NOT DIFFERENTIABLE" in str(result).splitlines()[-1]


def test_abs_at_zero_is_not_differentiable():
    result = gradcheck(lambda x: x.relu() + (-x).relu(), [0.0])
    assert result.status == "not differentiable"
    assert result["x"].left == pytest.approx(-1.0) and result["x"].right == pytest.approx(1.0)


def test_a_kink_closer_than_eps_is_not_a_failure():
    # relu's kink lies 1e-7 from the point: the first step straddles it, a smaller one does not
    result = gradcheck(lambda x: x.relu(), [1e-7])
    assert result.status == "passed"
    assert result["x"].step <= 1e-7
    assert result["x"].numeric == pytest.approx(1.0)


def test_only_the_input_on_the_kink_is_set_aside():
    result = gradcheck(lambda x, y: x.relu() * y, [0.0, 2.0])
    assert [c.name for c in result.not_differentiable] == ["x"]
    assert result["y"].ok
    assert result.worst.name == "y"


def test_raise_exception_does_not_raise_for_a_kink():
    assert gradcheck(lambda x: x.relu(), [0.0], raise_exception=True).status == \
        "not differentiable"


def test_an_infinite_derivative_is_reported():
    result = gradcheck(lambda x: x ** 0.5, [0.0])
    assert result.status == "not differentiable"
    assert "pow" in result.backward_error and "backward() failed" in str(result)


def test_the_edge_of_the_domain_is_reported():
    result = gradcheck(lambda x: x.log(), [1e-300])
    assert result.status == "not differentiable"
    assert "edge of f's domain" in result["x"].note


def test_a_kink_inside_the_graph_makes_backward_wrong_and_the_check_says_so():
    # relu(x) - relu(-x) is x, slope 1, but backward() picks relu'(0) = 0 on both paths
    result = gradcheck(lambda x: x.relu() - (-x).relu(), [0.0])
    assert result.status == "failed"
    assert result["x"].analytic == 0.0 and result["x"].numeric == pytest.approx(1.0)


def test_rounding_noise_is_explained_when_it_causes_a_mismatch():
    result = gradcheck(lambda x, y: x * 1e9 + y.tanh(), [1.0, 3.0])
    assert result["y"].status == "MISMATCH"
    assert "rounding error" in result["y"].note


# --- inputs and errors -------------------------------------------------------------------


def test_names_come_from_labels_then_parameters():
    assert [c.name for c in gradcheck(lambda a, b: a * b, [1.0, 2.0]).inputs] == ["a", "b"]
    labelled = [Value(1.0, "w"), Value(2.0, "b")]
    assert [c.name for c in gradcheck(lambda *v: v[0] * v[1], labelled).inputs] == ["w", "b"]
    assert [c.name for c in gradcheck(lambda *v: v[0] * v[1], [1, 2]).inputs] == ["x0", "x1"]


def test_inputs_are_not_touched():
    x = Value(1.5, "x")
    gradcheck(lambda x: x * x, [x])
    assert x.grad == 0.0 and x.data == 1.5


def test_outside_the_domain_is_an_op_error_naming_the_point():
    with pytest.raises(OpDomainError, match=r"x=-1.*log"):
        gradcheck(lambda x: x.log(), {"x": -1.0})


@pytest.mark.parametrize("inputs, error, words", [
    ([], ValueError, "no inputs"),
    (["a"], TypeError, "not a number"),
    ([math.nan], ValueError, "not finite"),
    ("12", TypeError, "list of numbers"),
])
def test_bad_inputs_say_what_to_do(inputs, error, words):
    with pytest.raises(error, match=words):
        gradcheck(lambda x: x, inputs)


@pytest.mark.parametrize("keyword", [{"eps": 0.0}, {"eps": -1e-6}, {"atol": -1.0},
                                     {"rtol": math.inf}])
def test_bad_tolerances(keyword):
    with pytest.raises(ValueError, match=next(iter(keyword))):
        gradcheck(lambda x: x * x, [1.0], **keyword)


def test_f_must_return_a_value():
    with pytest.raises(TypeError, match="not a Value"):
        gradcheck(lambda x: 3.0, [1.0])


# --- graph_function ----------------------------------------------------------------------


def test_graph_function_rebuilds_the_same_gradient():
    x, y = Value(0.5, "x"), Value(-2.0, "y")
    out = ((x * y).tanh() + x ** 3 + 2 ** y) / (y * y)
    out.backward()
    f = graph_function(out, [x, y])
    leaves = [Value(0.5), Value(-2.0)]
    again = f(*leaves)
    again.backward()
    assert again.data == out.data
    assert [v.grad for v in leaves] == [x.grad, y.grad]
    result = gradcheck(f, [x, y])
    assert result.passed and [c.name for c in result.inputs] == ["x", "y"]


def test_graph_function_treats_other_leaves_as_constants():
    x, c = Value(2.0, "x"), Value(5.0, "c")
    f = graph_function(x * c, [x])
    assert f(Value(3.0)).data == 15.0
    assert c.grad == 0.0


def test_graph_function_needs_table_ops():
    x = Value(1.0, "x")
    odd = Value(2.0)
    odd._prev, odd._op = (x,), "not_an_op"  # built by hand: the constructor refuses it
    with pytest.raises(ValueError, match="not_an_op"):
        graph_function(odd, [x])


def test_every_op_passes_gradcheck_where_it_is_smooth():
    """A quick sweep at one point per op; the hypothesis tests cover the rest."""
    for name, op in OPS.items():
        # operands with no derivative rule (the n in x**n) are constants, not inputs
        wrt = [i for i, rule in enumerate(op.derivatives) if rule is not None]

        # distinct operands: minimum(a, a) or clamp(a, a, a) would sit on a kink
        point = [1.5, 0.5, 2.5][:op.arity]

        def f(*values, name=name, wrt=wrt, point=point):
            operands = [Value(x) for x in point]
            for i, v in zip(wrt, values):
                operands[i] = v
            return values[0]._apply(name, tuple(operands))

        result = gradcheck(f, [point[i] for i in wrt])
        assert result.status == "passed", str(result)


def test_op_errors_are_value_errors():
    assert issubclass(OpError, ValueError)


@pytest.mark.parametrize("f, point, eps", [
    (lambda x: x * 2.0, [1e300], 1e-6),                 # a huge input
    (lambda x, y: x * y, [1e200, 2.0], 1e-6),           # huge inside a product
    (lambda x: x.tanh(), [1.0], 1e-300),                # a step too tiny for x = 1
    (lambda x: x.tanh(), [1.0], 5e-324),
])
def test_a_step_that_rounds_away_is_a_clear_error(f, point, eps):
    with pytest.raises(StepRoundsAwayError, match="rounds back to x.*use a larger eps") as error:
        gradcheck(f, point, eps=eps)
    assert not isinstance(error.value, ZeroDivisionError)
    assert "step" in str(error.value) and "=" in str(error.value)


@pytest.mark.parametrize("eps", [True, 1.0, 1e300, 0.0, -1e-6, float("nan"), "1e-6"])
def test_an_eps_that_is_not_a_small_step_is_refused_not_failed(eps):
    from autograd import gradgradcheck

    for check in (gradcheck, gradgradcheck):
        with pytest.raises(ValueError, match=r"eps=.* small positive number below 1"):
            check(lambda x: x.tanh(), [0.5], eps=eps)


@pytest.mark.parametrize("tol", [True, -1.0, float("inf")])
def test_a_tolerance_that_is_not_a_number_at_least_zero_is_refused(tol):
    with pytest.raises(ValueError, match="must be a number >= 0"):
        gradcheck(lambda x: x.tanh(), [0.5], atol=tol)
