"""Vector and matrix calculus: textbook results checked entry by entry at several small sizes, a property test
over random compositions, the parser, the shapes refused with clear errors, the renderings and the CLI.

The entrywise check here is the test's own: the function is expanded into scalars at given sizes, differentiated
with ``sympy.diff``, and compared with the expected textbook formula expanded the same way, exactly at random
rational points (to 30 digits where exp or log appear). It does not use symcalc's verification.
"""

from __future__ import annotations

import json
import random
import re

import pytest
import symengine
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcalc as sc
from symcalc.cli import main
from symcalc.derive.matrix import instantiate, parse_matrix
from symcalc.derive.matrix import nodes as N
from symcalc.derive.matrix.printing import latex, text
from symcalc.derive.matrix.sympy_form import to_sympy
from symcalc.derive.matrix.verify import symbol_matrix
from symcalc.functions import lower

# -- the test's own entrywise comparison ----------------------------------------------------------------------


def _sizes_for(node: N.Node, which: int) -> dict[str, int]:
    names = sorted({s.name for s in N.sizes_of(node)}, reverse=True)
    table = [(3, 2, 4, 2, 3), (2, 3, 2, 4, 2), (4, 2, 3, 3, 2)][which]
    return {name: table[i % len(table)] for i, name in enumerate(names)}


def _values(node: N.Node, sizes: dict[str, int], rng: random.Random) -> dict[str, sympy.Matrix]:
    syms = {s.name: s for s in N.sizes_of(node)}
    size_map = {syms[k]: v for k, v in sizes.items() if k in syms}
    out = {}
    for v in N.variables_of(node):
        r, c = int(v.nrows.xreplace(size_map)), int(v.ncols.xreplace(size_map))
        if r == c and r > 1:
            out[v.name] = sympy.Matrix(
                r, c, lambda i, j: (2 if i == j else 0) + sympy.Rational(rng.randint(-3, 3), 8)
            )
        else:
            out[v.name] = sympy.Matrix(
                r, c, lambda i, j: sympy.Rational(rng.choice([-1, 1]) * rng.randint(2, 9), 7)
            )
    return out


def _close(a: sympy.Expr, b: sympy.Expr) -> bool:
    a, b = lower(sympy.sympify(a)), lower(sympy.sympify(b))
    if a == b:
        return True
    va, vb = complex(sympy.N(a, 30)), complex(sympy.N(b, 30))
    return abs(va - vb) <= 1e-18 * max(1.0, abs(va), abs(vb))


def _diff_at(expr: sympy.Expr, w: sympy.Symbol, point: dict) -> sympy.Expr:
    """∂expr/∂w at the point: SymEngine differentiates (fast), SymPy where SymEngine cannot (|x|, max)."""
    try:
        d = symengine.sympify(lower(expr)).diff(symengine.Symbol(w.name))
        if "Derivative(" not in str(d):
            return sympy.sympify(d).xreplace({sympy.Symbol(k.name): v for k, v in point.items()})
    except RuntimeError:
        pass
    return sympy.diff(expr, w).xreplace(point)


def assert_gradient_is(expr: str, wrt: str, shapes: str, expected: str, sizes=(0, 1, 2)) -> None:
    """``∂expr/∂wrt`` expanded into scalars equals ``expected`` expanded the same way, at each size set."""
    L = parse_matrix(expr, shapes)
    E = parse_matrix(expected, shapes)
    W = next(v for v in N.variables_of(L) if v.name == wrt)
    rng = random.Random(5)
    for which in sizes:
        size = _sizes_for(L, which)
        values = _values(L, size, rng)
        syms = {s.name: s for s in N.sizes_of(L)}
        wsym = symbol_matrix(W, {syms[k]: v for k, v in size.items() if k in syms})
        values_w = {**values, wrt: wsym}
        consts = {s: sympy.Rational(rng.randint(2, 9), 5) for s in N.constants_of(L) | N.constants_of(E)}
        scalar = instantiate(L, size, values_w)[0, 0].xreplace(consts)
        want = instantiate(E, {k: v for k, v in size.items()}, {**values_w})
        want = want.xreplace(consts)
        assert want.shape == wsym.shape, (want.shape, wsym.shape)
        point = {w: values[wrt][i] for i, w in enumerate(wsym)}
        for i, w in enumerate(wsym):
            d = _diff_at(scalar, w, point)
            assert _close(d, want[i].xreplace(point)), (expr, wrt, size, i)


# -- textbook results ------------------------------------------------------------------------------------------

#: (function, variable, shapes, the textbook gradient, source)
TEXTBOOK = [
    ("a^T x", "x", "a: n, x: n", "a", "Cookbook (69)"),
    ("x^T a", "x", "a: n, x: n", "a", "Cookbook (69)"),
    ("a^T X b", "X", "a: n, X: n x m, b: m", "a b^T", "Cookbook (70)"),
    ("a^T X^T b", "X", "a: m, X: n x m, b: n", "b a^T", "Cookbook (71)"),
    ("a^T X a", "X", "a: n, X: n x n", "a a^T", "Cookbook (72)"),
    ("x^T B x", "x", "B: n x n, x: n", "(B + B^T) x", "Cookbook (81)"),
    ("x^T x", "x", "x: n", "2x", "Cookbook (131)"),
    ("‖x - a‖", "x", "x: n, a: n", "(x - a)/‖x - a‖", "Cookbook (129)"),
    ("tr(X)", "X", "X: n x n", "I_n", "Cookbook (99)"),
    ("tr(X A)", "X", "X: n x m, A: m x n", "A^T", "Cookbook (100)"),
    ("tr(A X B)", "X", "A: k x n, X: n x m, B: m x k", "A^T B^T", "Cookbook (101)"),
    ("tr(A X^T B)", "X", "A: k x m, X: n x m, B: n x k", "B A", "Cookbook (102)"),
    ("tr(X^T A)", "X", "X: n x m, A: n x m", "A", "Cookbook (103)"),
    ("tr(X^2)", "X", "X: n x n", "2X^T", "Cookbook (106)"),
    ("tr(X^T B X)", "X", "X: n x m, B: n x n", "B X + B^T X", "Cookbook (108)"),
    ("tr(X X^T)", "X", "X: n x m", "2X", "Cookbook §2.5.2"),
    ("det(X)", "X", "X: n x n", "det(X) X^{-T}", "Cookbook (49)"),
    ("log det(X)", "X", "X: n x n", "X^{-T}", "Cookbook (57)"),
    ("a^T X^{-1} b", "X", "a: n, X: n x n, b: n", "-X^{-T} a b^T X^{-T}", "Cookbook (61)"),
    ("tr(A X^{-1} B)", "X", "A: n x n, X: n x n, B: n x n", "-(X^{-1} B A X^{-1})^T", "Cookbook (63)"),
    ("b^T X^T X c", "X", "b: m, X: n x m, c: m", "X(b c^T + c b^T)", "Cookbook (78)"),
    (
        "(Bx + b)^T C (Dx + d)",
        "x",
        "B: k x n, x: n, b: k, C: k x k, D: k x n, d: k",
        "B^T C (Dx + d) + D^T C^T (Bx + b)",
        "Cookbook (79)",
    ),
    (
        "(Xb + c)^T D (Xb + c)",
        "X",
        "X: n x m, b: m, c: n, D: n x n",
        "(D + D^T)(Xb + c) b^T",
        "Cookbook (83)",
    ),
    ("‖A - B X‖_F^2", "X", "A: n x m, B: n x k, X: k x m", "-2B^T(A - BX)", "Cookbook §2.5.2"),
    ("log det(S) + x^T S^{-1} x", "S", "S: n x n, x: n", "S^{-T} - S^{-T} x x^T S^{-T}", "Gaussian NLL"),
    ("logsumexp(x)", "x", "x: n", "softmax(x)", "Boyd & Vandenberghe §3.1.5"),
    ("‖x‖_1", "x", "x: n", "sign(x)", "1-norm"),
    ("1^T exp(x)", "x", "x: n", "exp(x)", "sum of entries"),
    ("x^T (a ⊙ x)", "x", "x: n, a: n", "2 a ⊙ x", "Hadamard"),
    # ML losses
    ("‖Xw - y‖^2/n", "w", "X: n x m, w: m, y: n", "2X^T(Xw - y)/n", "least squares, mean"),
    (
        r"\frac{1}{n}\|Xw - y\|_2^2",
        "w",
        "X: n x m, w: m, y: n",
        r"\frac{2}{n} X^\top (Xw - y)",
        "LaTeX input",
    ),
    ("‖Xw - y‖^2 + λ‖w‖^2", "w", "X: n x m, w: m, y: n", "2X^T(Xw - y) + 2λw", "ridge"),
    ("‖Xw - y‖^2", "X", "X: n x m, w: m, y: n", "2(Xw - y)w^T", "least squares by X"),
    ("1^T log(1 + exp(-y ⊙ Xw))", "w", "X: n x m, w: m, y: n", "-X^T(y ⊙ σ(-y ⊙ Xw))", "logistic, labels ±1"),
    (
        "-(y^T log(σ(Xw)) + (1 - y)^T log(1 - σ(Xw)))",
        "w",
        "X: n x m, w: m, y: n",
        "X^T(σ(Xw) - y)",
        "logistic cross-entropy, labels 0/1",
    ),
    (
        "logsumexp(Wx) - z^T W x",
        "W",
        "W: k x m, x: m, z: k",
        "(softmax(Wx) - z) x^T",
        "softmax cross-entropy",
    ),
    ("-z^T log(softmax(Wx))", "W", "W: k x m, x: m, z: k", "(1^T z softmax(Wx) - z) x^T", "log-softmax form"),
    ("‖Wx + b - t‖^2/2", "W", "W: k x m, x: m, b: k, t: k", "(Wx + b - t) x^T", "a linear layer: δxᵀ"),
    ("‖Wx + b - t‖^2/2", "b", "W: k x m, x: m, b: k, t: k", "Wx + b - t", "a linear layer: the bias"),
    (
        "‖V σ(Wx) - t‖^2/2",
        "V",
        "V: k x h, W: h x m, x: m, t: k",
        "(Vσ(Wx) - t) σ(Wx)^T",
        "two-layer network, output weights",
    ),
    (
        "‖V σ(Wx) - t‖^2/2",
        "W",
        "V: k x h, W: h x m, x: m, t: k",
        "((V^T(Vσ(Wx) - t)) ⊙ σ'(Wx)) x^T",
        "two-layer network, hidden weights",
    ),
    (
        "‖tanh(XW)V - Y‖_F^2/2",
        "W",
        "X: n x d, W: d x h, V: h x k, Y: n x k",
        "X^T(((tanh(XW)V - Y)V^T) ⊙ (1 - square(tanh(XW))))",
        "two-layer network on a batch, hidden weights",
    ),
    (
        "‖tanh(XW)V - Y‖_F^2/2",
        "V",
        "X: n x d, W: d x h, V: h x k, Y: n x k",
        "tanh(XW)^T(tanh(XW)V - Y)",
        "two-layer network on a batch, output weights",
    ),
]


@pytest.mark.parametrize(
    ("expr", "wrt", "shapes", "expected", "source"), TEXTBOOK, ids=[t[4] + ": " + t[0] for t in TEXTBOOK]
)
def test_textbook_gradient(expr: str, wrt: str, shapes: str, expected: str, source: str) -> None:
    g = sc.matrix_gradient(expr, wrt, shapes=shapes)
    assert g.verification.ok, g.verification.message
    assert not g.verification.failed_steps
    assert g.gradient.shape == g.wrt.shape  # denominator layout
    # the textbook formula is the scalar derivative, entry by entry, at three size sets
    assert_gradient_is(expr, wrt, shapes, expected)
    # and symcalc's matrix form is the same function as the textbook's
    assert_gradient_is(expr, wrt, shapes, text(g.gradient), sizes=(0,))


def test_at_least_25_textbook_results() -> None:
    assert len(TEXTBOOK) >= 25


@pytest.mark.parametrize(
    ("expr", "wrt", "shapes", "expected"),
    [
        ("‖Xw - y‖^2/n", "w", "X: n x m, w: m, y: n", "2X^T X/n"),
        ("x^T A x", "x", "A: n x n, x: n", "A + A^T"),
        ("1^T log(1 + exp(-y ⊙ Xw))", "w", "X: n x m, w: m, y: n", "X^T diag(y ⊙ y ⊙ σ'(-y ⊙ Xw)) X"),
        ("logsumexp(x)", "x", "x: n", "diag(softmax(x)) - softmax(x) softmax(x)^T"),
        ("‖Xw - y‖^2 + λ‖w‖^2", "w", "X: n x m, w: m, y: n", "2X^T X + 2λI"),
    ],
)
def test_textbook_hessian(expr: str, wrt: str, shapes: str, expected: str) -> None:
    H = sc.matrix_hessian(expr, wrt, shapes=shapes)
    assert H.verification.ok, H.verification.message
    g = sc.matrix_gradient(expr, wrt, shapes=shapes)
    # the Hessian is the gradient's Jacobian: check each column against the derivative of the gradient
    for which in (0, 1):
        size = _sizes_for(H.expr, which)
        rng = random.Random(3)
        values = _values(H.expr, size, rng)
        syms = {s.name: s for s in N.sizes_of(H.expr)}
        wsym = symbol_matrix(H.wrt, {syms[k]: v for k, v in size.items() if k in syms})
        vals = {**values, wrt: wsym}
        consts = {s: sympy.Rational(3, 2) for s in N.constants_of(H.expr)}
        grad = instantiate(g.gradient, size, vals).xreplace(consts)
        want = instantiate(parse_matrix(expected, shapes), size, vals).xreplace(consts)
        mine = instantiate(H.hessian, size, vals).xreplace(consts)
        point = {w: values[wrt][i] for i, w in enumerate(wsym)}
        for i in range(len(wsym)):
            for j, w in enumerate(wsym):
                d = sympy.diff(grad[i], w).xreplace(point)
                assert _close(d, want[i, j].xreplace(point))
                assert _close(d, mine[i, j].xreplace(point))


@pytest.mark.parametrize(
    ("expr", "shapes", "expected"),
    [
        ("A x", "A: k x n, x: n", "A"),
        ("σ(Wx)", "W: k x n, x: n", "diag(σ'(Wx)) W"),
        ("softmax(x)", "x: n", "diag(softmax(x)) - softmax(x) softmax(x)^T"),
        ("x ⊙ exp(x)", "x: n", "diag(exp(x) + x ⊙ exp(x))"),
        ("(a^T x) x", "a: n, x: n", "x a^T + (a^T x) I"),
    ],
)
def test_textbook_jacobian(expr: str, shapes: str, expected: str) -> None:
    J = sc.matrix_jacobian(expr, "x", shapes=shapes)
    assert J.verification.ok, J.verification.message
    F = J.expr
    for which in (0, 1, 2):
        size = _sizes_for(F, which)
        values = _values(F, size, random.Random(which))
        syms = {s.name: s for s in N.sizes_of(F)}
        wsym = symbol_matrix(J.wrt, {syms[k]: v for k, v in size.items() if k in syms})
        vals = {**values, "x": wsym}
        f = instantiate(F, size, vals)
        want = instantiate(parse_matrix(expected, shapes), size, vals)
        point = {w: values["x"][i] for i, w in enumerate(wsym)}
        for i in range(f.shape[0]):
            for j, w in enumerate(wsym):
                assert _close(sympy.diff(f[i], w).xreplace(point), want[i, j].xreplace(point))


def test_the_regression_and_logistic_gradients_come_out_in_matrix_form_with_shapes_at_every_step() -> None:
    g = sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n")
    assert str(g.gradient) == "2Xᵀ(Xw − y)/n"
    steps = [s for s in g.steps.walk() if s.kind == "gradient"]
    assert [s.rule for s in steps] == ["scalar_factor", "squared_norm", "sum", "product"]
    assert [N.shape_text(s.expr.shape) for s in steps] == ["1 × 1", "1 × 1", "n × 1", "n × 1"]
    assert [N.shape_text(s.cotangents[0][1].shape) for s in steps] == ["1 × 1", "n × 1", "n × 1", "m × 1"]
    out = g.to_text()
    assert "Layout: denominator: ∂L/∂w has the shape of w (m × 1)." in out
    for line in (
        "   -> Xw − y (n × 1) receives 2(Xw − y)/n (n × 1)",
        "   -> w (m × 1) receives 2Xᵀ(Xw − y)/n (m × 1)  <- a contribution to the gradient",
        "Answer: ∂L/∂w = 2Xᵀ(Xw − y)/n   (m × 1, the shape of w)",
    ):
        assert line in out.splitlines(), line
    lg = sc.matrix_gradient("1^T log(1 + exp(-y ⊙ Xw))", "w", shapes="X: n x m, w: m, y: n")
    assert str(lg.gradient) == "−Xᵀ(y ⊙ σ(−y ⊙ Xw))"
    assert [s.rule for s in lg.steps.substeps][:1] == ["softplus_form"]
    assert all(s.expr.shape == s.upstream.shape for s in lg.steps.walk() if s.kind == "gradient")


def test_named_identities_are_used_and_sourced() -> None:
    rules = {s.rule for s in sc.matrix_gradient("x^T A x", "x", shapes="A: n x n, x: n").steps.walk()}
    assert "quadratic_form" in rules
    g = sc.matrix_gradient("log det(X)", "X", shapes="X: n x n")
    assert [s.rule for s in g.steps.walk() if s.kind == "gradient"] == ["logdet"]
    assert str(g.gradient) == "X⁻ᵀ"
    for ident in sc.MATRIX_IDENTITIES.values():
        assert ident.source and ident.formula_text and ident.formula_latex
    assert sc.MATRIX_IDENTITIES["logdet"].source == "Matrix Cookbook, eqs. (43), (57)"


def test_sympy_is_not_trusted_where_it_is_wrong() -> None:
    g = sc.matrix_gradient("log det(W)", "W", shapes="W: n x n")
    report = g.compare_with_sympy()
    # SymPy 1.14: log(Determinant(W)).diff(W) is the zero matrix
    assert report["sympy"].is_ZeroMatrix and report["agrees"] is False
    assert "the expansion wins" in report["note"]
    assert g.verification.ok
    ok = sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n").compare_with_sympy()
    assert ok["agrees"] is True


def test_result_is_a_sympy_matrix_expression() -> None:
    g = sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n")
    assert isinstance(g.result, sympy.MatrixExpr)
    assert sympy.srepr(g.result).count("MatrixSymbol") >= 2
    n, m = sympy.symbols("n m", integer=True, positive=True)
    X, w, y = sympy.MatrixSymbol("X", n, m), sympy.MatrixSymbol("w", m, 1), sympy.MatrixSymbol("y", n, 1)
    assert sympy.simplify(g.result - 2 * X.T * (X * w - y) / n) == sympy.ZeroMatrix(m, 1)


@pytest.mark.parametrize(
    "expr",
    [
        "X^T y",
        "tr(A B)",
        "det(A)",
        "A^{-1} a",
        "a ⊙ exp(a)",
        "softmax(a)",
        "logsumexp(a)",
        "‖X‖_F^2",
        "‖a‖_1",
        "diag(a) A",
        "1^T X 1",
        "σ(X^T y)",
    ],
)
def test_sympy_form_and_instantiation_agree(expr: str) -> None:
    shapes = "X: n x m, y: n, A: m x m, B: m x m, a: m"
    node = parse_matrix(expr, shapes)
    sizes = {"n": 3, "m": 2}
    rng = random.Random(1)
    values = _values(node, sizes, rng)
    mine = instantiate(node, sizes, values)
    n, m = sympy.symbols("n m", integer=True, positive=True)
    theirs = to_sympy(node)
    replace = {}
    for v in N.variables_of(node):
        ms = sympy.MatrixSymbol(v.name, v.nrows.xreplace({n: 3, m: 2}), v.ncols.xreplace({n: 3, m: 2}))
        replace[ms] = sympy.ImmutableMatrix(values[v.name])
    t = sympy.sympify(theirs).xreplace({n: 3, m: 2}).xreplace(replace)
    t = t.replace(
        lambda x: isinstance(x, sympy.OneMatrix), lambda x: sympy.ImmutableMatrix(sympy.ones(*x.shape))
    )
    t = t.doit()
    explicit = sympy.Matrix(t.as_explicit()) if hasattr(t, "as_explicit") else sympy.Matrix([[t]])
    assert explicit.shape == mine.shape
    assert all(_close(a, b) for a, b in zip(explicit, mine, strict=True))


def test_instantiation_matches_hand_built_matrices() -> None:
    X = sympy.Matrix(3, 2, lambda i, j: sympy.Symbol(f"X_{i}_{j}", real=True))
    y = sympy.Matrix(3, 1, lambda i, j: sympy.Symbol(f"y_{i}", real=True))
    A = sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"A_{i}_{j}", real=True))
    shapes = "X: n x m, y: n, A: m x m"
    sizes = {"n": 3, "m": 2}
    assert instantiate(parse_matrix("X^T y", shapes), sizes) == X.T * y
    assert instantiate(parse_matrix("det(A)", shapes), sizes)[0, 0] == A.det()
    assert sympy.simplify(instantiate(parse_matrix("A^{-1}", shapes), sizes) - A.inv()) == sympy.zeros(2, 2)
    assert instantiate(parse_matrix("tr(A^T A)", shapes), sizes)[0, 0] == sympy.expand((A.T * A).trace())
    assert instantiate(parse_matrix("y ⊙ y", shapes), sizes) == y.applyfunc(lambda e: e**2)
    assert instantiate(parse_matrix("‖y‖^2", shapes), sizes)[0, 0] == sum(e**2 for e in y)


# -- property: random compositions --------------------------------------------------------------------------------

SHAPES = "X: n x m, A: m x m, w: m, a: m, y: n"


def _vec_m(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return st.sampled_from(["w", "w", "a ⊙ w", "A w"])
    inner_m, inner_n = _vec_m(depth - 1), _vec_n(depth - 1)
    return st.one_of(
        st.sampled_from(["w", "A w", "A^T w"]),
        inner_m.map(lambda v: f"A({v})"),
        inner_m.map(lambda v: f"tanh({v})"),
        inner_m.map(lambda v: f"σ({v})"),
        inner_m.map(lambda v: f"2({v}) - a"),
        inner_n.map(lambda v: f"X^T({v})"),
        st.tuples(inner_m, inner_m).map(lambda p: f"({p[0]}) ⊙ ({p[1]})"),
        st.tuples(inner_m, inner_m).map(lambda p: f"({p[0]}) + ({p[1]})"),
    )


def _vec_n(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return st.sampled_from(["Xw", "Xw - y", "y ⊙ Xw"])
    inner_m, inner_n = _vec_m(depth - 1), _vec_n(depth - 1)
    return st.one_of(
        inner_m.map(lambda v: f"X({v})"),
        inner_n.map(lambda v: f"softplus({v})"),
        inner_n.map(lambda v: f"({v}) - y"),
        inner_n.map(lambda v: f"exp(-square({v}))"),
    )


def _scalar() -> st.SearchStrategy[str]:
    m, n = _vec_m(2), _vec_n(2)
    return st.one_of(
        m.map(lambda v: f"‖{v}‖^2"),
        n.map(lambda v: f"‖{v}‖^2/n"),
        m.map(lambda v: f"a^T({v})"),
        n.map(lambda v: f"1^T softplus({v})"),
        m.map(lambda v: f"logsumexp({v})"),
        m.map(lambda v: f"({v})^T A ({v})"),
        m.map(lambda v: f"log(1 + ‖{v}‖^2)"),
        st.tuples(m, n).map(lambda p: f"‖{p[0]}‖^2 + 1^T tanh({p[1]})"),
    )


@settings(max_examples=30, deadline=None)
@given(_scalar())
def test_random_compositions_are_verified_and_compile(expr: str) -> None:
    import numpy as np

    g = sc.matrix_gradient(expr, "w", shapes=SHAPES)
    assert g.verification.ok, (expr, g.verification.message)
    # the text of the result reads back as the same expression
    assert parse_matrix(text(g.gradient), SHAPES) == g.gradient
    assert parse_matrix(latex(g.gradient), SHAPES) == g.gradient
    # the compiled gradient against central differences of the compiled function, at other sizes
    rng = np.random.default_rng(0)
    n, m = 6, 4
    arrays = {
        "X": rng.normal(size=(n, m)) / 2,
        "A": np.eye(m) + rng.normal(size=(m, m)) / 4,
        "a": rng.normal(size=m) / 2,
        "y": rng.normal(size=n) / 2,
    }
    fn = sc.compile_matrix(g, data={k: v for k, v in arrays.items() if k in {a.name for a in fn_vars(g)}})
    w = rng.normal(size=m) / 2
    grad = fn.grad(w)
    h = 1e-6
    for i in range(m):
        e = np.zeros(m)
        e[i] = h
        fd = (fn.f(w + e) - fn.f(w - e)) / (2 * h)
        assert abs(fd - grad[i]) <= 1e-5 * max(1.0, abs(fd)), (expr, i, fd, grad[i])


def _mat(depth: int) -> st.SearchStrategy[str]:
    """Square matrices built from A (near 2I in the checks), so inverses and log-determinants are defined."""
    if depth == 0:
        return st.sampled_from(["A", "A^T", "A + A^T", "2A"])
    inner = _mat(depth - 1)
    return st.one_of(
        inner,
        st.tuples(inner, inner).map(lambda p: f"({p[0]})({p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]}) + ({p[1]})"),
        inner.map(lambda m: f"({m})^T"),
        inner.map(lambda m: f"({m})^{{-1}}"),
        inner.map(lambda m: f"({m}) ⊙ A"),
    )


def _matrix_scalar() -> st.SearchStrategy[str]:
    m = _mat(1)
    return st.one_of(
        m.map(lambda v: f"tr({v})"),
        m.map(lambda v: f"log det({v})"),
        m.map(lambda v: f"det({v})"),
        m.map(lambda v: f"‖{v}‖_F^2"),
        m.map(lambda v: f"a^T ({v}) a"),
        m.map(lambda v: f"a^T ({v})^{{-1}} a"),
        m.map(lambda v: f"logsumexp(({v}) a)"),
        m.map(lambda v: f"‖σ({v}) a‖^2"),
        m.map(lambda v: f"-a^T log(softmax(({v}) a))"),
    )


@settings(max_examples=20, deadline=None)
@given(_matrix_scalar())
def test_random_compositions_in_a_matrix_variable(expr: str) -> None:
    import numpy as np

    shapes = "A: m x m, a: m"
    g = sc.matrix_gradient(expr, "A", shapes=shapes)
    assert g.verification.ok, (expr, g.verification.message)
    assert g.gradient.shape == g.wrt.shape
    assert parse_matrix(text(g.gradient), shapes) == g.gradient
    rng = np.random.default_rng(2)
    m = 4
    a = rng.normal(size=m) / 2
    A = 2 * np.eye(m) + rng.normal(size=(m, m)) / 8
    fn = sc.compile_matrix(g, data={"a": a} if "a" in {v.name for v in fn_vars(g)} else {})
    grad = fn.grad(A)
    h = 1e-6
    for idx in np.ndindex(A.shape):
        E = np.zeros_like(A)
        E[idx] = h
        fd = (fn.f(A + E) - fn.f(A - E)) / (2 * h)
        assert abs(fd - grad[idx]) <= 1e-5 * max(1.0, abs(fd)), (expr, idx, fd, grad[idx])


def fn_vars(g: sc.MatrixGradient) -> list[N.Var]:
    return [v for v in N.variables_of(g.expr) if v.name != g.wrt.name]


# -- reading text and LaTeX ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plain", "tex"),
    [
        ("‖Xw - y‖^2/n", r"\frac{1}{n}\|Xw - y\|^2"),
        ("||Xw - y||^2", r"\left\lVert \mathbf{X}\mathbf{w} - \mathbf{y} \right\rVert_2^2"),
        ("X^T(Xw - y)", r"\mathbf{X}^\top (\mathbf{X}\mathbf{w} - \mathbf{y})"),
        ("Xᵀ(Xw − y)", r"X^{\top}\left(Xw - y\right)"),
        ("X'y", r"X^{T} y"),
        ("1^T log(1 + exp(-y ⊙ Xw))", r"\mathbf{1}^\top \log(1 + \exp(-y \odot Xw))"),
        ("σ(Xw)", r"\sigma(\mathbf{X}\mathbf{w})"),
        ("log det(A)", r"\log\det A"),
        ("tr(A^T A)", r"\operatorname{tr}(A^\top A)"),
        ("(A + λI)^{-1} a", r"(A + \lambda I)^{-1} a"),
        ("A⁻ᵀa", r"A^{-\top} a"),
        ("y ⊙ Xw ⊘ y", r"y \odot Xw \oslash y"),
    ],
)
def test_text_and_latex_read_the_same(plain: str, tex: str) -> None:
    shapes = "X: n x m, w: m, y: n, A: m x m, a: m"
    assert parse_matrix(plain, shapes) == parse_matrix(tex, shapes)


def test_declarations() -> None:
    s = sc.derive.matrix.parse_shapes(r"X \in \mathbb{R}^{n \times m}, w: m, b: scalar, W: 3 x 2, v: (k, 1)")
    assert str(s) == "X: n × m, w: m × 1, b: 1 × 1, W: 3 × 2, v: k × 1"
    X, w = sc.matrix("X", "n", "m"), sc.vector("w", "m")
    assert X.shape == s["X"].shape and w.shape == s["w"].shape
    assert str((X @ w).T) == "wᵀXᵀ"
    g = sc.matrix_gradient((X @ w - sc.vector("y", "n")).norm() ** 2 / 2, w)
    assert str(g.gradient) == "Xᵀ(Xw − y)"


# -- shapes that do not fit -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("Xw + w", "cannot add Xw (n × 1) and w (m × 1): the shapes differ"),
        ("w^T X", "cannot multiply wᵀ (1 × m) by X (n × m): the inner sizes m and n differ"),
        ("X(Xw - y)", "cannot multiply X (n × m) by Xw − y (n × 1): the inner sizes m and n differ"),
        ("det(X)", "the determinant needs a square matrix; X (n × m) is not square"),
        ("X^{-1}", "the inverse needs a square matrix; X (n × m) is not square"),
        ("tr(X)", "the trace needs a square matrix; X (n × m) is not square"),
        ("w^2", "w (m × 1) ^ 2 is not defined: a power needs a square matrix"),
        ("softmax(X)", "softmax takes a vector; X (n × m) is not a vector"),
        ("‖X‖_2", "‖X‖_2 of a matrix (n × m) is the spectral norm"),
        ("X ⊙ A", "cannot take the Hadamard product of X (n × m) and A (m × m): the shapes differ"),
        ("y / w", "cannot divide y (n × 1) by w (m × 1): only division by a scalar is defined"),
        ("Xv", "cannot"),
    ],
)
def test_shapes_that_do_not_fit_are_refused_clearly(expr: str, message: str) -> None:
    with pytest.raises(sc.ShapeError) as err:
        parse_matrix(expr, "X: n x m, w: m, y: n, A: m x m, v: n")
    assert message in str(err.value)
    assert isinstance(err.value, sc.SymcalcError)


def test_undeclared_names_are_scalars_and_say_so() -> None:
    with pytest.raises(sc.ShapeError, match="v is not declared, so taken as a scalar"):
        parse_matrix("Xv - w", "X: n x m, w: m")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: sc.matrix_gradient("Xw", "w", shapes="X: n x m, w: m"),
            sc.ShapeError,
            "needs a scalar function",
        ),
        (lambda: sc.matrix_hessian("tr(W)", "W", shapes="W: n x n"), sc.UnsupportedError, "only by a vector"),
        (lambda: sc.matrix_gradient("‖w‖^2", "v", shapes="w: m"), sc.SymcalcError, "v is not declared"),
        (lambda: sc.matrix_gradient("‖w‖^2", "v", shapes="w: m, v: m"), sc.SymcalcError, "does not appear"),
        (lambda: sc.matrix_gradient("x^T A x", shapes="A: n x n, x: n"), sc.SymcalcError, "say which one"),
        (lambda: sc.derive.matrix.parse_shapes("X: n x"), sc.ParseError, "cannot read the shape of X"),
        (lambda: sc.derive.matrix.parse_shapes("X n x m"), sc.ParseError, "a declaration is 'name: shape'"),
        (
            lambda: sc.derive.matrix.parse_shapes("n: m, X: n x m"),
            sc.ShapeError,
            "declared as a variable and used as a size",
        ),
        (lambda: sc.derive.matrix.parse_shapes("T: n"), sc.ParseError, "T is kept for the transpose"),
        (lambda: parse_matrix("exp(X", "X: n x m"), sc.ParseError, "ended too early"),
        (lambda: parse_matrix(r"\sum_i x_i", "x: n"), sc.ParseError, r"\sum"),
        (lambda: parse_matrix("__import__('os')", "x: n"), sc.ParseError, "unexpected"),
        (
            lambda: sc.matrix_jacobian("(x x^T) a", "x", shapes="x: n, a: n"),
            sc.UnsupportedError,
            "third-order tensor",
        ),
        (
            lambda: sc.matrix_gradient("‖Xw‖^2", "w", shapes="X: 1000 x 3, w: 3"),
            sc.LimitError,
            "give it a name",
        ),
        (
            lambda: sc.matrix_gradient("log(-‖w‖^2)", "w", shapes="w: m"),
            sc.UnsupportedError,
            "could not find a point",
        ),
    ],
)
def test_errors_are_symcalc_errors_with_clear_messages(call, error, message) -> None:
    with pytest.raises(error) as err:
        call()
    assert message in str(err.value)


# -- renderings --------------------------------------------------------------------------------------------------


def test_renderings() -> None:
    g = sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n")
    md = g.to_markdown()
    assert r"\mathbf{w}" in md and r"\mathbf{X}^{\top}" in md and r"n \times m" in md
    assert r"\frac{2}{n} \mathbf{X}^{\top} \left(\mathbf{X} \mathbf{w} - \mathbf{y}\right)" in md
    tex = g.to_latex()
    assert tex.count("{") == tex.count("}") and r"\begin{enumerate}" in tex
    assert tex.count(r"\left") == tex.count(r"\right")
    data = json.loads(json.dumps(g.to_dict()))
    assert data["type"] == "matrix_gradient" and data["layout"] == "denominator"
    assert data["shapes"]["X"] == {"rows": "n", "cols": "m", "kind": "matrix", "text": "n × m"}
    assert data["result"]["text"] == "2Xᵀ(Xw − y)/n" and data["result"]["shape"] == ["m", "1"]
    assert data["verification"]["ok"] is True
    rules = []

    def walk(step: dict) -> None:
        rules.append(step["rule"])
        assert "shape" in step["expr"] and step["source"]
        for s in step["substeps"]:
            walk(s)

    walk(data["steps"])
    assert rules == ["solution", "scalar_factor", "squared_norm", "sum", "product"]
    for result in (
        sc.matrix_hessian("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n"),
        sc.matrix_jacobian("σ(Wx)", "x", shapes="W: k x m, x: m"),
        sc.matrix_critical_points("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n"),
    ):
        for out in (result.to_text(), result.to_markdown(), result.to_latex()):
            assert out.strip()
        json.dumps(result.to_dict())
    assert (
        "Answer: H = 2XᵀX/n   (m × m, symmetric)"
        in sc.matrix_hessian("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n").to_text().splitlines()
    )


def _all_renderings() -> list[tuple[str, object]]:
    shapes = "X: n x m, w: m, y: n"
    return [
        ("gradient", sc.matrix_gradient("‖Xw - y‖^2/n", "w", shapes=shapes)),
        ("logistic", sc.matrix_gradient("1^T log(1 + exp(-y ⊙ Xw))", "w", shapes=shapes)),
        ("collect", sc.matrix_gradient("tr(X^T B X)", "X", shapes="X: n x m, B: n x n")),
        ("norm1", sc.matrix_gradient("‖Xw - y‖_1 + ‖w‖", "w", shapes=shapes)),
        ("logdet", sc.matrix_gradient("log det(S) + x^T S^{-1} x", "S", shapes="S: n x n, x: n")),
        ("jacobian", sc.matrix_jacobian("softmax(Wx)", "x", shapes="W: k x m, x: m")),
        ("hessian", sc.matrix_hessian("1^T log(1 + exp(-y ⊙ Xw))", "w", shapes=shapes)),
        ("critical", sc.matrix_critical_points("‖Xw - y‖^2 + λ‖w‖^2", "w", shapes=shapes)),
        ("no closed form", sc.matrix_critical_points("1^T softplus(Xw)", "w", shapes=shapes)),
        ("check", sc.check_matrix_gradient("x^T A x", "Ax", "x", shapes="A: n x n, x: n")),
        ("check mismatch", sc.check_matrix_gradient("‖Xw - y‖^2", "2X(Xw - y)", "w", shapes=shapes)),
    ]


def test_latex_renderings_compile(tmp_path) -> None:
    from make_golden import compile_latex, pdflatex_available

    if not pdflatex_available():
        pytest.skip("pdflatex is not installed (.ci/run installs it)")
    body = "\n\n".join(result.to_latex() for _, result in _all_renderings())
    ok, errors = compile_latex(body, tmp_path)
    assert ok, errors


def test_markdown_math_renders_in_katex() -> None:
    from make_golden import katex_available, katex_errors, math_fragments

    if not katex_available():
        pytest.skip("Node or KaTeX is missing (.ci/run installs them)")
    fragments = [f for _, result in _all_renderings() for f in math_fragments(result.to_markdown())]
    assert fragments
    assert katex_errors(fragments) == []


def test_critical_points_in_matrix_form() -> None:
    cp = sc.matrix_critical_points("‖Xw - y‖^2/n", "w", shapes="X: n x m, w: m, y: n")
    assert cp.closed and cp.checked
    assert (str(cp.lhs), str(cp.rhs), str(cp.solution)) == ("XᵀX", "Xᵀy", "(XᵀX)⁻¹Xᵀy")
    assert "invertible" in cp.condition and "n ≥ m" in cp.condition
    assert [str(a) for a in cp.least_squares] == ["X", "y"]
    ridge = sc.matrix_critical_points("‖Xw - y‖^2 + λ‖w‖^2", "w", shapes="X: n x m, w: m, y: n")
    assert str(ridge.lhs) == "XᵀX + λI" and "λ > 0" in ridge.kind
    logistic = sc.matrix_critical_points("1^T log(1 + exp(-y ⊙ Xw))", "w", shapes="X: n x m, w: m, y: n")
    assert not logistic.closed and "not affine" in logistic.reason


def test_results_pickle() -> None:
    import pickle

    for _, result in _all_renderings():
        back = pickle.loads(pickle.dumps(result))
        assert back.to_text() == result.to_text()


# -- the command line ------------------------------------------------------------------------------------------


def test_cli_matrix_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["matrix-gradient", "‖Xw - y‖^2/n", "--shapes", "X: n x m, w: m, y: n", "--wrt", "w"])
    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert "Answer: ∂L/∂w = 2Xᵀ(Xw − y)/n   (m × 1, the shape of w)" in out
    status = main(
        [
            "matrix-gradient",
            "‖Xw - y‖^2/n",
            "--shapes",
            "X: n x m, w: m, y: n",
            "--wrt",
            "w",
            "--claim",
            "2X^T(Xw - y)",
        ]
    )
    out = capsys.readouterr().out
    assert status == 1 and "factor.missing_1_over_n" in out
    status = main(["matrix-gradient", r"\log\det X", "--shapes", "X: n x n", "--format", "json"])
    assert status == 0 and json.loads(capsys.readouterr().out)["result"]["text"] == "X⁻ᵀ"
    status = main(
        ["matrix-gradient", "x^T A x", "--shapes", "A: n x n, x: n", "--wrt", "x", "--kind", "hessian"]
    )
    assert status == 0 and "Answer: H = A + Aᵀ   (n × n, symmetric)" in capsys.readouterr().out
    status = main(["matrix-gradient", "Xw + w", "--shapes", "X: n x m, w: m"])
    err = capsys.readouterr().err
    assert status == 2 and re.search(r"error: cannot add Xw \(n × 1\) and w \(m × 1\)", err)
