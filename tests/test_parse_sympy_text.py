"""Text that SymPy prints reads back as SymPy meant it (issue 20): ``E`` is Euler's number, ``oo`` infinity,
``I`` is refused (symcalc works over the reals), and a SymPy function name before a bracket is a function or a
clear error, never a product."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from numeric import same
from strategies import expressions

import symcalc as sc

x, y, z, a = sympy.symbols("x y z a", real=True)
S = sympy.Rational

#: What a SymPy user builds, across the functions symcalc reads; each printed by ``sympy.sstr``.
ROUND_TRIP = [
    x**2 + 3 * x - 1,
    x**3 * y - 2 * x * y**2 + 7,
    (x + 1) ** 5,
    (x**2 + 1) / (x - 2),
    1 / (x + y),
    x ** S(3, 2) + x ** S(-1, 3),
    x**-2 + 3 * x**-5,
    S(2, 3) * x - S(7, 5),
    sympy.sqrt(x**2 + 1),
    sympy.cbrt(x) * y,
    sympy.Abs(x - 1) + sympy.Abs(y),
    sympy.exp(-(x**2) / 2),
    sympy.exp(x) * sympy.log(x),
    sympy.log(x + 1, 2),
    sympy.log(x) / sympy.log(10),
    sympy.sin(x) ** 2 + sympy.cos(x) ** 2 * y,
    sympy.tan(2 * x) - sympy.cot(x) + sympy.sec(x) * sympy.csc(x),
    sympy.asin(x / 2) + sympy.acos(x / 3) + sympy.atan(x),
    sympy.acot(x) + sympy.asec(x + 2) + sympy.acsc(x + 2),
    sympy.sinh(x) * sympy.cosh(y) - sympy.tanh(x) ** 3,
    sympy.coth(x) + sympy.sech(x) + sympy.csch(x),
    sympy.asinh(x) + sympy.acosh(x + 2) + sympy.atanh(x / 2),
    sympy.E**x,
    sympy.E * x**2,
    sympy.E ** (2 * x) * sympy.pi,
    sympy.pi * x**2 / 4,
    sympy.exp(sympy.E),
    x**sympy.E,
    sympy.atan(sympy.oo) * x,
    sympy.exp(-sympy.oo) + x,
    sympy.erf(x),
    sympy.erfc(x / sympy.sqrt(2)) / 2,
    x * (1 + sympy.erf(x / sympy.sqrt(2))) / 2,
    sympy.gamma(x),
    sympy.gamma(x + 1) / sympy.gamma(x - y),
    sympy.gamma(x) * sympy.polygamma(0, x),
    sympy.polygamma(1, x**2) + sympy.loggamma(x),
    sympy.gamma(S(1, 2)) * x,
    sympy.Max(x, y) + sympy.Min(x, 0),
    sympy.sign(x) * sympy.Heaviside(y),
    sympy.factorial(x) + sympy.factorial(5),
    sc.sigmoid(x) * sc.softplus(y) + sc.relu(x - y),
    sympy.Symbol("beta", real=True) * x + sympy.Symbol("gamma", real=True) * (x + 1),
    sympy.Symbol("zeta", real=True) * (y + 2),
    sympy.Symbol("x_1", real=True) ** 2 * sympy.Symbol("w2", real=True),
]


@pytest.mark.parametrize("e", ROUND_TRIP, ids=sympy.sstr)
def test_what_sympy_prints_reads_back_as_itself(e: sympy.Expr) -> None:
    back = sc.parse(sympy.sstr(e))
    assert back == e or sympy.simplify(back - e) == 0, (sympy.sstr(e), back)


@pytest.mark.parametrize("e", ROUND_TRIP, ids=sympy.sstr)
def test_what_sympy_prints_as_latex_reads_back_as_itself(e: sympy.Expr) -> None:
    if e.has(sympy.oo):
        pytest.skip("\\infty is refused in LaTeX: symcalc reads no limits")
    if any(s.name == "w2" for s in e.free_symbols):
        pytest.skip("sympy.latex prints the symbol w2 as w_{2}, which reads back as w_2 (docs/parsing.md)")
    back = sc.parse(sympy.latex(e))
    assert back == e or sympy.simplify(back - e) == 0, (sympy.latex(e), back)


SPECIAL = st.sampled_from([sympy.erf, sympy.erfc, sympy.gamma, lambda u: sympy.E**u, lambda u: sympy.E * u])


@given(expressions(max_leaves=5), SPECIAL)
def test_text_round_trip_with_special_functions(e: sympy.Expr, f) -> None:
    wrapped = f(e)
    if wrapped.has(sympy.zoo, sympy.nan, sympy.oo, sympy.I) or not wrapped.free_symbols:
        return
    assert same(sc.parse(sympy.sstr(wrapped)), wrapped)


# -- E, I, oo, pi ---------------------------------------------------------------------------------------------


def test_e_and_capital_e_are_eulers_number() -> None:
    assert sc.parse("E") is sympy.E
    assert sc.parse("e") is sympy.E
    assert sc.parse("E**x") == sympy.exp(x)
    assert sc.parse("E*x^2") == sympy.E * x**2
    assert sc.derivative("E*x^2", "x").result == 2 * sympy.E * x


def test_a_declared_capital_e_is_a_variable() -> None:
    energy = sympy.Symbol("E", real=True)
    assert sc.parse("E*x", variables=["E"]) == energy * x
    assert sc.parse("E^2/2", variables="E") == energy**2 / 2


@pytest.mark.parametrize(
    "call",
    [
        lambda: sc.derivative("E*x^2", "E"),
        lambda: sc.derivative("e^x", "e"),
        lambda: sc.gradient("E*x", ["E", "x"]),
        lambda: sc.compile("E*x", ["x", "E"]),
    ],
)
def test_a_variable_named_as_a_constant_is_an_error_not_a_zero_derivative(call) -> None:
    with pytest.raises(sc.SymcalcError, match=r"read as the constant e .* variables=\['[eE]'\]"):
        call()


def test_a_declared_e_is_differentiated() -> None:
    energy = sympy.Symbol("E", real=True)
    assert sc.derivative(sc.parse("E*x^2", variables=["E"]), "E").result == x**2
    assert sc.derivative("y*x", "E").result == 0  # no constant in it: the derivative by anything else is 0
    assert sc.derivative(sc.parse("E^2", variables="E"), "E").result == 2 * energy


def test_infinity_reads_as_infinity_and_an_infinite_result_is_refused() -> None:
    assert sc.parse("atan(oo)*x") == sympy.pi / 2 * x
    assert sc.parse("x + exp(-oo)") == x
    for source in ["oo", "-oo", "x + oo", "oo*x"]:
        with pytest.raises(sc.ParseError, match="undefined"):
            sc.parse(source)


@pytest.mark.parametrize("source", ["I", "2*I", "x + I*y", "exp(I*x)", "I**2"])
def test_the_imaginary_unit_is_refused_with_the_fix(source: str) -> None:
    with pytest.raises(sc.ParseError) as info:
        sc.parse(source)
    assert "complex numbers are not supported" in info.value.reason
    assert "variables=['I']" in info.value.reason
    assert info.value.position == source.index("I")


def test_a_declared_i_is_a_variable() -> None:
    current = sympy.Symbol("I", real=True)
    assert sc.parse("I^2 R", variables=["I", "R"]) == current**2 * sympy.Symbol("R", real=True)


@pytest.mark.parametrize(("source", "word"), [("zoo", "complex infinity"), ("x + nan", "not a number")])
def test_zoo_and_nan_are_refused(source: str, word: str) -> None:
    with pytest.raises(sc.ParseError, match=word):
        sc.parse(source)


def test_in_latex_each_letter_reads_as_sympy_latex_writes_it() -> None:
    assert sc.parse_latex(r"e^{x}") == sympy.exp(x)
    assert sc.parse_latex(r"E x") == sympy.Symbol("E", real=True) * x  # sympy.latex(E) is "e"
    assert sc.parse_latex(r"\frac{E}{2}") == sympy.Symbol("E", real=True) / 2
    with pytest.raises(sc.UnsupportedError):
        sc.parse(r"\infty")


# -- function names before a bracket --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "beta(x)",
        "beta (x)",
        "2beta(x+1)",
        "zeta(x)",
        "besselj(0, x)",
        "lowergamma(a, x)",
        "floor(x)",
        "binomial(n, 2)",
    ],
)
def test_a_sympy_function_symcalc_lacks_is_refused_not_multiplied(source: str) -> None:
    with pytest.raises(sc.ParseError, match="does not support") as info:
        sc.parse(source)
    name = source.lstrip("0123456789").split("(")[0].strip()
    assert f"{name}*(...)" in info.value.reason
    assert info.value.position == source.index(name)


def test_greek_letters_stay_variables_away_from_a_bracket() -> None:
    beta, gamma, zeta = sympy.symbols("beta gamma zeta", real=True)
    assert sc.parse("beta*(x)") == beta * x
    assert sc.parse("beta*(x + 1)") == beta * (x + 1)
    assert sc.parse("beta x + zeta^2") == beta * x + zeta**2
    assert sc.parse("gamma*x") == gamma * x
    assert sc.parse("gamma x") == gamma * x
    assert sc.parse("2 gamma") == 2 * gamma
    assert sc.parse("γ(x)") == gamma * x
    assert sc.parse("x_beta(x)") == sympy.Symbol("x_beta", real=True) * x


def test_declared_names_multiply_before_a_bracket() -> None:
    beta, gamma = sympy.symbols("beta gamma", real=True)
    assert sc.parse("beta(x)", variables=["beta"]) == beta * x
    assert sc.parse("gamma(x + 1)", variables=["gamma"]) == gamma * (x + 1)


def test_gamma_glued_to_its_bracket_is_the_function_and_with_a_space_is_ambiguous() -> None:
    assert sc.parse("gamma(x)") == sympy.gamma(x)
    assert sc.parse("Gamma(x)") == sympy.gamma(x)
    assert sc.parse("Γ(x)") == sympy.gamma(x)
    with pytest.raises(sc.ParseError, match="ambiguous") as info:
        sc.parse("gamma (x)")
    assert "gamma(...) for the gamma function or gamma*(...) for a product" in info.value.reason


def test_latex_gamma_beta_zeta() -> None:
    gamma = sympy.Symbol("gamma", real=True)
    assert sc.parse(r"\Gamma\left(x\right)") == sympy.gamma(x)
    assert sc.parse(r"\Gamma^{2}\left(x\right)") == sympy.gamma(x) ** 2
    assert sc.parse(r"\gamma(x)") == gamma * x
    assert sc.parse(r"e^{-\gamma x}") == sympy.exp(-gamma * x)
    assert sc.parse(r"\Gamma x") == sympy.Symbol("Gamma", real=True) * x
    assert sc.parse(r"\gamma_{1}") == sympy.Symbol("gamma_1", real=True)
    for source in [r"\zeta\left(x\right)", r"\beta(x)"]:
        with pytest.raises(sc.ParseError, match="does not support"):
            sc.parse(source)
    assert sc.parse(r"\zeta x") == sympy.Symbol("zeta", real=True) * x


# -- the special functions ------------------------------------------------------------------------------------


def test_gelu_can_be_typed() -> None:
    gelu = x * (1 + sympy.erf(x / sympy.sqrt(2))) / 2
    assert sc.parse("x*(1+erf(x/sqrt(2)))/2") == gelu
    assert sc.parse(r"\frac{x}{2} \left(1 + \operatorname{erf}\left(\frac{x}{\sqrt{2}}\right)\right)") == gelu
    assert sc.parse("erf x") == sympy.erf(x)
    assert sc.parse("erfc(x)^2") == sympy.erfc(x) ** 2


def test_the_gamma_family_reads_as_sympy_writes_it() -> None:
    assert sc.parse("digamma(x)") == sympy.polygamma(0, x)
    assert sc.parse("polygamma(2, x^2)") == sympy.polygamma(2, x**2)
    assert sc.parse("loggamma(x)") == sympy.loggamma(x)
    assert sc.parse("gamma(5)") == 24
    assert sc.parse(r"\operatorname{polygamma}{\left(1,x \right)}") == sympy.polygamma(1, x)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("gamma(1000)", sc.LimitError),
        ("gamma(exp(7))", sc.LimitError),
        (r"\Gamma(1000000)", sc.LimitError),
        ("loggamma(10^6)", sc.LimitError),
        ("polygamma(0, 10^6)", sc.LimitError),
        ("polygamma(20, 400)", sc.LimitError),
        ("polygamma(x, x)", sc.ParseError),
        ("polygamma(51, x)", sc.ParseError),
        ("polygamma(-1, x)", sc.ParseError),
        ("gamma(x, y)", sc.ParseError),
        ("loggamma(-5/2)", sc.ParseError),
        ("erf", sc.ParseError),
    ],
)
def test_the_special_functions_keep_the_limits(source: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        sc.parse(source)
