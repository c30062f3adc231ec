r"""The step trace: :class:`Step`, :class:`Derivation` and the catalogue of rules.

A :class:`Step` records one move of a worked solution: which rule, on which subexpression, with what result,
and the sub-steps it needed, so a solution is a tree. Two kinds of step, each with its own invariant:

* a ``"derivative"`` step claims ``result == diff(expr, var)``;
* a ``"rewrite"`` step (a root written as a power, the final tidy form) claims ``result == expr``.

Example:
    >>> import symcalc as sc
    >>> d = sc.derivative("x^2 sin(x)", "x")
    >>> d.steps.substeps[0].rule
    'product'
    >>> CATALOGUE["product"].formula_text
    "(u v)' = u' v + u v'"
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sympy

__all__ = ["CATALOGUE", "Derivation", "Kink", "Rule", "Step"]


@dataclass(frozen=True)
class Rule:
    """A rule of the catalogue: a stable id, a name, and its general formula in LaTeX and plain text."""

    id: str
    name: str
    formula_latex: str
    formula_text: str


def _rules(*rows: tuple[str, str, str, str]) -> dict[str, Rule]:
    return {r[0]: Rule(*r) for r in rows}


#: Every rule a trace can name, by its stable id.
CATALOGUE: dict[str, Rule] = _rules(
    ("solution", "Worked solution", r"\frac{d}{dx} f(x)", "d/dx f(x)"),
    ("constant", "Constant rule", r"\frac{d}{dx} c = 0", "d/dx c = 0"),
    ("variable", "Identity rule", r"\frac{d}{dx} x = 1", "d/dx x = 1"),
    ("constant_multiple", "Constant multiple rule", r"(c\,f)' = c\,f'", "(c f)' = c f'"),
    ("sum", "Sum rule", r"(f + g)' = f' + g'", "(f + g)' = f' + g'"),
    ("power", "Power rule", r"\frac{d}{dx} x^{n} = n\,x^{n-1}", "d/dx x^n = n x^(n-1)"),
    ("product", "Product rule", r"(u\,v)' = u'\,v + u\,v'", "(u v)' = u' v + u v'"),
    (
        "quotient",
        "Quotient rule",
        r"\left(\frac{u}{v}\right)' = \frac{u'\,v - u\,v'}{v^{2}}",
        "(u/v)' = (u' v - u v')/v^2",
    ),
    ("chain", "Chain rule", r"\frac{d}{dx} f(g(x)) = f'(g(x))\,g'(x)", "d/dx f(g(x)) = f'(g(x)) g'(x)"),
    ("exp", "Exponential rule", r"\frac{d}{dx} e^{x} = e^{x}", "d/dx e^x = e^x"),
    ("exp_base", "Exponential rule, base a", r"\frac{d}{dx} a^{x} = a^{x} \ln a", "d/dx a^x = a^x ln(a)"),
    ("ln", "Natural log rule", r"\frac{d}{dx} \ln x = \frac{1}{x}", "d/dx ln(x) = 1/x"),
    (
        "log_base",
        "Logarithm rule, base b",
        r"\frac{d}{dx} \log_{b} x = \frac{1}{x \ln b}",
        "d/dx log_b(x) = 1/(x ln(b))",
    ),
    ("sin", "Sine rule", r"\frac{d}{dx} \sin x = \cos x", "d/dx sin(x) = cos(x)"),
    ("cos", "Cosine rule", r"\frac{d}{dx} \cos x = -\sin x", "d/dx cos(x) = -sin(x)"),
    ("tan", "Tangent rule", r"\frac{d}{dx} \tan x = \sec^{2} x", "d/dx tan(x) = sec(x)^2"),
    ("cot", "Cotangent rule", r"\frac{d}{dx} \cot x = -\csc^{2} x", "d/dx cot(x) = -csc(x)^2"),
    ("sec", "Secant rule", r"\frac{d}{dx} \sec x = \sec x \tan x", "d/dx sec(x) = sec(x) tan(x)"),
    ("csc", "Cosecant rule", r"\frac{d}{dx} \csc x = -\csc x \cot x", "d/dx csc(x) = -csc(x) cot(x)"),
    (
        "asin",
        "Arcsine rule",
        r"\frac{d}{dx} \arcsin x = \frac{1}{\sqrt{1 - x^{2}}}",
        "d/dx asin(x) = 1/sqrt(1 - x^2)",
    ),
    (
        "acos",
        "Arccosine rule",
        r"\frac{d}{dx} \arccos x = -\frac{1}{\sqrt{1 - x^{2}}}",
        "d/dx acos(x) = -1/sqrt(1 - x^2)",
    ),
    (
        "atan",
        "Arctangent rule",
        r"\frac{d}{dx} \arctan x = \frac{1}{1 + x^{2}}",
        "d/dx atan(x) = 1/(1 + x^2)",
    ),
    (
        "acot",
        "Arccotangent rule",
        r"\frac{d}{dx} \operatorname{arccot} x = -\frac{1}{1 + x^{2}}",
        "d/dx acot(x) = -1/(1 + x^2)",
    ),
    (
        "asec",
        "Arcsecant rule",
        r"\frac{d}{dx} \operatorname{arcsec} x = \frac{1}{|x| \sqrt{x^{2} - 1}}",
        "d/dx asec(x) = 1/(|x| sqrt(x^2 - 1))",
    ),
    (
        "acsc",
        "Arccosecant rule",
        r"\frac{d}{dx} \operatorname{arccsc} x = -\frac{1}{|x| \sqrt{x^{2} - 1}}",
        "d/dx acsc(x) = -1/(|x| sqrt(x^2 - 1))",
    ),
    ("sinh", "Hyperbolic sine rule", r"\frac{d}{dx} \sinh x = \cosh x", "d/dx sinh(x) = cosh(x)"),
    ("cosh", "Hyperbolic cosine rule", r"\frac{d}{dx} \cosh x = \sinh x", "d/dx cosh(x) = sinh(x)"),
    (
        "tanh",
        "Hyperbolic tangent rule",
        r"\frac{d}{dx} \tanh x = 1 - \tanh^{2} x",
        "d/dx tanh(x) = 1 - tanh(x)^2",
    ),
    (
        "coth",
        "Hyperbolic cotangent rule",
        r"\frac{d}{dx} \coth x = 1 - \coth^{2} x",
        "d/dx coth(x) = 1 - coth(x)^2",
    ),
    (
        "sech",
        "Hyperbolic secant rule",
        r"\frac{d}{dx} \operatorname{sech} x = -\operatorname{sech} x \tanh x",
        "d/dx sech(x) = -sech(x) tanh(x)",
    ),
    (
        "csch",
        "Hyperbolic cosecant rule",
        r"\frac{d}{dx} \operatorname{csch} x = -\operatorname{csch} x \coth x",
        "d/dx csch(x) = -csch(x) coth(x)",
    ),
    (
        "asinh",
        "Inverse hyperbolic sine rule",
        r"\frac{d}{dx} \operatorname{arsinh} x = \frac{1}{\sqrt{x^{2} + 1}}",
        "d/dx asinh(x) = 1/sqrt(x^2 + 1)",
    ),
    (
        "acosh",
        "Inverse hyperbolic cosine rule",
        r"\frac{d}{dx} \operatorname{arcosh} x = \frac{1}{\sqrt{x^{2} - 1}}",
        "d/dx acosh(x) = 1/sqrt(x^2 - 1)",
    ),
    (
        "atanh",
        "Inverse hyperbolic tangent rule",
        r"\frac{d}{dx} \operatorname{artanh} x = \frac{1}{1 - x^{2}}",
        "d/dx atanh(x) = 1/(1 - x^2)",
    ),
    (
        "acoth",
        "Inverse hyperbolic cotangent rule",
        r"\frac{d}{dx} \operatorname{arcoth} x = \frac{1}{1 - x^{2}}",
        "d/dx acoth(x) = 1/(1 - x^2)",
    ),
    (
        "asech",
        "Inverse hyperbolic secant rule",
        r"\frac{d}{dx} \operatorname{arsech} x = -\frac{1}{x \sqrt{1 - x^{2}}}",
        "d/dx asech(x) = -1/(x sqrt(1 - x^2))",
    ),
    (
        "acsch",
        "Inverse hyperbolic cosecant rule",
        r"\frac{d}{dx} \operatorname{arcsch} x = -\frac{1}{|x| \sqrt{1 + x^{2}}}",
        "d/dx acsch(x) = -1/(|x| sqrt(1 + x^2))",
    ),
    (
        "abs",
        "Absolute value rule",
        r"\frac{d}{dx} |x| = \operatorname{sign}(x) = \frac{x}{|x|},\ x \ne 0",
        "d/dx |x| = sign(x) = x/|x|, x ≠ 0",
    ),
    ("sign", "Sign rule", r"\frac{d}{dx} \operatorname{sign} x = 0,\ x \ne 0", "d/dx sign(x) = 0, x ≠ 0"),
    (
        "heaviside",
        "Heaviside rule",
        r"\frac{d}{dx} H(x) = 0,\ x \ne 0 \ (H \text{ jumps at } 0)",
        "d/dx heaviside(x) = 0, x ≠ 0 (it jumps at 0)",
    ),
    (
        "log_diff",
        "Logarithmic differentiation",
        r"(u^{v})' = u^{v} \left(v' \ln u + \frac{v\,u'}{u}\right)",
        "(u^v)' = u^v (v' ln(u) + v u'/u)",
    ),
    (
        "piecewise",
        "Piecewise rule",
        r"\frac{d}{dx} \begin{cases} f_i(x) & c_i \end{cases} = "
        r"\begin{cases} f_i'(x) & c_i \end{cases}",
        "differentiate each piece on its own interval",
    ),
    (
        "max_min",
        "Max and min",
        r"\frac{d}{dx} \max(u, v) = \begin{cases} u' & u > v \\ v' & v > u \end{cases}",
        "d/dx max(u, v) = u' where u > v, v' where v > u",
    ),
    (
        "sigmoid",
        "Sigmoid rule",
        r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x))",
        "sigmoid'(x) = sigmoid(x) (1 - sigmoid(x))",
    ),
    (
        "softplus",
        "Softplus rule",
        r"\frac{d}{dx} \operatorname{softplus}(x) = \sigma(x)",
        "d/dx softplus(x) = sigmoid(x)",
    ),
    (
        "relu",
        "ReLU rule",
        r"\operatorname{ReLU}'(x) = \begin{cases} 0 & x < 0 \\ 1 & x > 0 \end{cases}",
        "relu'(x) = 0 for x < 0, 1 for x > 0",
    ),
    (
        "erf",
        "Error function rule",
        r"\frac{d}{dx} \operatorname{erf} x = \frac{2}{\sqrt{\pi}}\,e^{-x^{2}}",
        "d/dx erf(x) = 2/sqrt(pi) e^(-x^2)",
    ),
    (
        "erfc",
        "Complementary error function rule",
        r"\frac{d}{dx} \operatorname{erfc} x = -\frac{2}{\sqrt{\pi}}\,e^{-x^{2}}",
        "d/dx erfc(x) = -2/sqrt(pi) e^(-x^2)",
    ),
    (
        "gamma",
        "Gamma function rule",
        r"\frac{d}{dx} \Gamma(x) = \Gamma(x)\,\psi(x),\ \psi(x) = \operatorname{polygamma}(0, x)",
        "d/dx gamma(x) = gamma(x) polygamma(0, x) (polygamma(0, x) is digamma)",
    ),
    (
        "loggamma",
        "Log-gamma rule",
        r"\frac{d}{dx} \ln \Gamma(x) = \psi(x) = \operatorname{polygamma}(0, x),\ x > 0",
        "d/dx loggamma(x) = polygamma(0, x) (digamma), x > 0",
    ),
    (
        "polygamma",
        "Polygamma rule",
        r"\frac{d}{dx} \operatorname{polygamma}(n, x) = \operatorname{polygamma}(n + 1, x)",
        "d/dx polygamma(n, x) = polygamma(n + 1, x)",
    ),
    (
        "undefined_function",
        "Chain rule with an unknown function",
        r"\frac{d}{dx} f(u) = f'(u)\,u'",
        "d/dx f(u) = f'(u) u'",
    ),
    (
        "sum_index",
        "Sum over an index (linearity)",
        r"\frac{d}{dx} \sum_i f_i = \sum_i \frac{d f_i}{dx}",
        "d/dx sum_i f_i = sum_i d/dx f_i",
    ),
    ("higher_order", "Higher derivative", r"f^{(n)} = \frac{d}{dx} f^{(n-1)}", "f^(n) = d/dx f^(n-1)"),
    (
        "implicit",
        "Implicit differentiation",
        r"F(x, y) = 0 \Rightarrow \frac{dy}{dx} = -\frac{F_x}{F_y}",
        "F(x, y) = 0 => dy/dx = -F_x / F_y",
    ),
    (
        "differentiate_equation",
        "Differentiate both sides",
        r"a = b \Rightarrow \frac{d}{dx} a = \frac{d}{dx} b",
        "a = b => d/dx a = d/dx b",
    ),
    ("collect", "Collect the terms", r"a + c = b \Leftrightarrow a = b - c", "a + c = b <=> a = b - c"),
    ("factor_out", "Factor out", r"a\,t + b\,t = (a + b)\,t", "a t + b t = (a + b) t"),
    (
        "divide",
        "Divide",
        r"a\,t = b \Rightarrow t = \frac{b}{a} \ (a \ne 0)",
        "a t = b => t = b/a (a ≠ 0)",
    ),
    ("substitute", "Substitute", r"t = c \Rightarrow g(t) = g(c)", "t = c => g(t) = g(c)"),
    (
        "use_equation",
        "Use the equation",
        r"F(x, y) = 0 \text{ on the curve}",
        "F(x, y) = 0 on the curve",
    ),
    ("rewrite", "Rewrite", r"a = b", "a = b"),
    ("simplify", "Simplify", r"a = b", "a = b"),
    ("sympy", "SymPy's derivative", r"\frac{d}{dx} f", "d/dx f"),
)


def _load_as_stored(cls: type, blob: bytes) -> Any:
    with sympy.evaluate(False):  # each expression comes back exactly as it was built
        state = pickle.loads(blob)
    obj: Any = object.__new__(cls)
    for key, value in state.items():
        object.__setattr__(obj, key, value)
    return obj


def reduce_as_stored(obj: Any) -> tuple[Any, ...]:
    """``__reduce__`` for a result that keeps expressions unevaluated (a plug-in line, ``3*(x - y)``): SymPy's own
    pickling rebuilds every expression with evaluation on, which would turn them into ``3*x - 3*y``."""
    return (_load_as_stored, (type(obj), pickle.dumps(obj.__dict__, protocol=pickle.HIGHEST_PROTOCOL)))


@dataclass(frozen=True)
class Step:
    """One move of a worked solution.

    Attributes:
        rule: a stable id from :data:`CATALOGUE` (``"chain"``, ``"product"``, ...).
        kind: ``"derivative"`` (claims ``result == diff(expr, var)``) or ``"rewrite"`` (claims
            ``result == expr``).
        expr: the expression the rule was applied to.
        var: the variable of differentiation (``None`` for a rewrite).
        result: what the rule gave.
        substeps: the steps this one needed, in order.
        explanation: one sentence for a reader.
        pieces: the named parts a reader needs: each letter the rule binds (``u``, ``v``, one letter naming one
            thing in a whole solution) with its derivative (``u'``), a chain rule's ``outer`` function and its
            derivative ``outer'``, and for the steps of implicit differentiation the equation used.
        plug_in: the rule's formula with the pieces substituted, unevaluated, before tidying.
        order: how many times ``var`` is differentiated (more than 1 only on the root of a higher derivative).
        says: the explanation as prose and expressions (``("The constant factor ", 3, " stays.")``), so that each
            format prints the expressions in its own notation; ``explanation`` is its plain text.
    """

    rule: str
    kind: str
    expr: sympy.Expr
    var: sympy.Symbol | None
    result: sympy.Expr
    substeps: tuple[Step, ...] = ()
    explanation: str = ""
    pieces: dict[str, Any] = field(default_factory=dict)
    plug_in: sympy.Expr | None = None
    order: int = 1
    says: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.says and not self.explanation:
            from ..render.notation import text

            plain = "".join(p if isinstance(p, str) else text(p) for p in self.says)
            object.__setattr__(self, "explanation", plain)

    @property
    def formula(self) -> str:
        """The rule's general formula, in LaTeX."""
        return CATALOGUE[self.rule].formula_latex

    @property
    def name(self) -> str:
        """The rule's name, e.g. ``"Product rule"``."""
        return CATALOGUE[self.rule].name

    def walk(self) -> Iterator[Step]:
        """This step and every step below it, depth first."""
        stack = [self]
        while stack:
            step = stack.pop()
            yield step
            stack.extend(reversed(step.substeps))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of this step and its sub-steps."""
        from ..render import step_to_dict

        return step_to_dict(self)

    def _claim_latex(self) -> str:
        """What this step claims, in LaTeX: ``d/dx [expr] = result`` (or ``expr = result`` for a rewrite)."""
        result = sympy.latex(self.result)
        if self.kind != "derivative" or self.var is None:
            return result if self.kind == "solve" else f"{sympy.latex(self.expr)} = {result}"
        order = f"^{{{self.order}}}" if self.order > 1 else ""
        d = rf"\frac{{d{order}}}{{d{sympy.latex(self.var)}{order}}}"
        return rf"{d}\left[{sympy.latex(self.expr)}\right] = {result}"

    def _repr_latex_(self) -> str:
        return f"$${self._claim_latex()}$$"

    __reduce__ = reduce_as_stored

    def _repr_markdown_(self) -> str:
        lines: list[str] = []

        def add(step: Step, depth: int) -> None:
            why = f" {step.explanation}" if step.explanation else ""
            lines.append(f"{'    ' * depth}- **{step.name}**: ${step._claim_latex()}$.{why}")
            for child in step.substeps:
                add(child, depth + 1)

        add(self, 0)
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Kink:
    """A point where the function is not differentiable (|x|, ReLU, max): the one-sided derivatives there, the
    subgradient interval between them, and the value ML frameworks use. Where the function jumps (sign, the
    step function), ``jump`` holds its values just left and just right of the point."""

    point: sympy.Expr
    left: sympy.Expr
    right: sympy.Expr
    framework_value: sympy.Expr | None
    jump: tuple[sympy.Expr, sympy.Expr] | None = None

    @property
    def subgradients(self) -> tuple[sympy.Expr, sympy.Expr]:
        """The interval of slopes between the one-sided derivatives (the subdifferential of a convex kink)."""
        return (sympy.Min(self.left, self.right), sympy.Max(self.left, self.right))


@dataclass(frozen=True)
class Derivation:
    """A derivative with its worked solution.

    Attributes:
        expr: the function differentiated.
        var: the variable.
        order: how many times (1 for a first derivative).
        result: the derivative, in its tidy form; equal to ``sympy.diff(expr, var, order)``.
        steps: the root :class:`Step` (rule ``"solution"``): its sub-steps are the working, then the tidy-up.
        conditions: where the function and the steps are defined and real (SymPy relationals).
        constants: the symbols held constant (the other variables, parameters).
        equivalent_forms: other forms of the result, each equal to it.
        detail: how much of the working the renderings show (``"brief"``, ``"standard"``, ``"full"``).
        kinks: points where f is not differentiable, with one-sided derivatives (one variable).
        notes: what was not done, one sentence each: ``"Not tidied: ..."`` (the tidy-up passed its deadline,
            so the result is the rules' raw form), ``"Not verified: ..."`` (the check against SymPy could not
            decide in time); empty when the result is tidied and verified.
    """

    expr: sympy.Expr
    var: sympy.Symbol
    order: int
    result: sympy.Expr
    steps: Step
    conditions: tuple[sympy.Basic, ...] = ()
    constants: tuple[sympy.Symbol, ...] = ()
    equivalent_forms: tuple[sympy.Expr, ...] = ()
    detail: str = "standard"
    known: frozenset[str] = frozenset()
    kinks: tuple[Kink, ...] = ()
    notes: tuple[str, ...] = ()

    def walk(self) -> Iterator[Step]:
        """Every step of the solution, depth first."""
        return self.steps.walk()

    def to_text(self) -> str:
        """The worked solution as numbered plain text, indented by depth."""
        from ..render import derivation_to_text

        return derivation_to_text(self)

    def to_markdown(self) -> str:
        """The worked solution as Markdown with ``$...$`` LaTeX (renders on GitHub and in Jupyter)."""
        from ..render import derivation_to_markdown

        return derivation_to_markdown(self)

    def to_latex(self) -> str:
        """The worked solution as a LaTeX document fragment (needs ``amsmath``)."""
        from ..render import derivation_to_latex

        return derivation_to_latex(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (schema in ``docs/schema.md``), keeping every node of the trace."""
        from ..render import derivation_to_dict

        return derivation_to_dict(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_latex_(self) -> str:
        from ..render.derivation import _answer_lhs_latex

        return f"$${_answer_lhs_latex(self)} = {sympy.latex(self.result)}$$"

    __reduce__ = reduce_as_stored

    def __str__(self) -> str:
        return self.to_text()
