r"""Writing vector and matrix expressions as the courses do: plain text (``2Xᵀ(Xw − y)/n``) and LaTeX
(``\frac{2}{n} \mathbf{X}^{\top} \left(\mathbf{X} \mathbf{w} - \mathbf{y}\right)``, bold vectors and matrices).

What :func:`text` writes, :func:`symcalc.parse_matrix` reads back (the tests check the round trip), except
that a vector of ones written ``1`` at the right end of a product reads as the number 1.

Example:
    >>> from symcalc.derive.matrix import matrix, vector
    >>> X, w, y = matrix("X", "n", "m"), vector("w", "m"), vector("y", "n")
    >>> text(2 * X.T @ (X @ w - y))
    '2Xᵀ(Xw − y)'
    >>> latex(X.T @ y)
    '\\mathbf{X}^{\\top} \\mathbf{y}'
"""

from __future__ import annotations

import re

import sympy

from ...variables import GREEK
from .nodes import (
    ELEMENTWISE,
    ONE,
    Add,
    Const,
    Det,
    Diag,
    Differential,
    Elementwise,
    Hadamard,
    Identity,
    Inverse,
    LogDet,
    LogSumExp,
    Mul,
    Node,
    Norm,
    Ones,
    Power,
    Softmax,
    Trace,
    Transpose,
    Var,
    Zero,
    scale,
)

__all__ = ["latex", "text"]

_GREEK_UNICODE = dict(
    zip(
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau "
        "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split(),
        "αβγδεζηθικλμνξοπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ",
        strict=True,
    )
)
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def display_name(name: str) -> str:
    """A name as text: Greek words as letters (``lambda`` -> ``λ``)."""
    base, sep, rest = name.partition("_")
    return _GREEK_UNICODE.get(base, base) + sep + rest


def name_latex(name: str, bold: bool) -> str:
    """``W1`` -> ``\\mathbf{W}_{1}``, ``theta`` -> ``\\boldsymbol{\\theta}``."""
    m = re.fullmatch(r"([A-Za-z]+|[\u0370-\u03ff])(?:_?\{?([A-Za-z0-9]+)\}?)?", name)
    base, sub = (m.group(1), m.group(2)) if m else (name, None)
    greek = base in GREEK or base == "lambda"
    body = ("\\" + base) if greek else base
    if bold:
        body = rf"\boldsymbol{{{body}}}" if greek else rf"\mathbf{{{body}}}"
    return body + (f"_{{{sub}}}" if sub else "")


def _const_text(e: sympy.Expr) -> str:
    s = sympy.sstr(e)
    s = re.sub(r"\b(" + "|".join(_GREEK_UNICODE) + r")\b", lambda m: _GREEK_UNICODE[m.group(1)], s)
    s = re.sub(r"(\d)\*(?=[A-Za-z\u0370-\u03ff(])", r"\1", s)
    s = s.replace("**", "^").replace("*", "·").replace("-", "−")
    return s


def _needs_parens_const(e: sympy.Expr) -> bool:
    return bool(e.is_Add) or (e.is_Rational and not e.is_Integer) or bool(e.is_Pow and e.exp.is_negative)


class _Text:
    """The plain-text printer."""

    sized = False

    def p(self, node: Node, prec: int = 0) -> str:
        s, own = self.node(node)
        return f"({s})" if own < prec else s

    def node(self, node: Node) -> tuple[str, int]:
        if isinstance(node, Var):
            return display_name(node.name), 100
        if isinstance(node, Const):
            v = node.value
            s = _const_text(v)
            if v.could_extract_minus_sign() or _needs_parens_const(v):
                return s, 20 if not v.is_Add else 10
            return s, 100
        if isinstance(node, Identity):
            return (f"I_{sympy.sstr(node.size)}" if self.sized else "I"), 100
        if isinstance(node, Ones):
            # the bold one: a vector of ones (a plain 1 would read as the number)
            return ("𝟏ᵀ", 40) if node.nrows == ONE and node.ncols != ONE else ("𝟏", 100)
        if isinstance(node, Zero):
            return "0", 100
        if isinstance(node, Add):
            return self.add(node), 10
        if isinstance(node, Mul):
            return self.mul(node)
        if isinstance(node, Transpose):
            if isinstance(node.arg, Inverse):
                return self.p(node.arg.arg, 41) + "⁻ᵀ", 40
            return self.p(node.arg, 41) + "ᵀ", 40
        if isinstance(node, Inverse):
            return self.p(node.arg, 41) + "⁻¹", 40
        if isinstance(node, Trace):
            return f"tr({self.p(node.arg)})", 100
        if isinstance(node, Det):
            return f"det({self.p(node.arg)})", 100
        if isinstance(node, LogDet):
            return f"log det({self.p(node.arg)})", 100
        if isinstance(node, Hadamard):
            return self.hadamard(node), 15
        if isinstance(node, Elementwise):
            return f"{ELEMENTWISE[node.fn].text}({self.p(node.arg)})", 100
        if isinstance(node, Power):
            return self.power(node)
        if isinstance(node, Norm):
            sub = {"2": "", "1": "₁", "F": "_F"}[node.kind]
            return f"‖{self.p(node.arg)}‖{sub}" + ("²" if node.squared else ""), 100
        if isinstance(node, Softmax):
            return f"softmax({self.p(node.arg)})", 100
        if isinstance(node, LogSumExp):
            return f"logsumexp({self.p(node.arg)})", 100
        if isinstance(node, Diag):
            return f"diag({self.p(node.arg)})", 100
        if isinstance(node, Differential):
            return (
                ("d" + self.p(node.arg), 40) if isinstance(node.arg, Var) else (f"d({self.p(node.arg)})", 100)
            )
        raise TypeError(f"cannot print {type(node).__name__}")

    def power(self, node: Power) -> tuple[str, int]:
        k = node.k
        if not node.arg.is_scalar:
            if k == 2:
                return f"square({self.p(node.arg)})", 100
            if k == sympy.Rational(1, 2):
                return f"sqrt({self.p(node.arg)})", 100
            if k == -1:
                return f"1 ⊘ {self.p(node.arg, 16)}", 15
            return (
                f"{self.p(node.arg, 41)}^∘{_const_text(k) if k.is_Integer else '(' + _const_text(k) + ')'}",
                40,
            )
        if k == sympy.Rational(1, 2):
            return f"sqrt({self.p(node.arg)})", 100
        if k.is_negative:
            inner, _ = self.power(Power(node.arg, -k)) if k != -1 else (self.p(node.arg, 41), 40)
            return f"1/{inner}", 20
        if k.is_Integer and 0 <= k <= 9:
            return self.p(node.arg, 41) + str(k).translate(_SUPERSCRIPTS), 40
        return f"{self.p(node.arg, 41)}^({_const_text(k)})", 40

    def add(self, node: Add) -> str:
        def term(t: Node, prec: int) -> str:
            return "1" if isinstance(t, Ones) else self.p(t, prec)  # 1 + exp(z): added to every entry

        out = term(node.terms[0], 10)
        for t in node.terms[1:]:
            if _looks_negative(t):
                out += " − " + term(_negate(t), 11)
            else:
                out += " + " + term(t, 11)
        return out

    def hadamard(self, node: Hadamard) -> str:
        num = [f for f in node.factors if not (isinstance(f, Power) and f.k.is_negative)]
        den = [f for f in node.factors if isinstance(f, Power) and f.k.is_negative]
        s = " ⊙ ".join(self.p(f, 16) for f in num) if num else "1"
        for f in den:
            assert isinstance(f, Power)
            s += " ⊘ " + self.p(f.arg if f.k == -1 else Power(f.arg, -f.k), 16)
        return s

    def mul(self, node: Mul) -> tuple[str, int]:
        c = node.coeff
        sign = c.could_extract_minus_sign()
        if sign:
            c = -c
        num_c, den_c = sympy.fraction(c)
        up: list[str] = []
        down: list[str] = []
        if num_c != 1:
            up.append(f"({_const_text(num_c)})" if num_c.is_Add else _const_text(num_c))
        if den_c != 1:
            down.append(f"({_const_text(den_c)})" if den_c.is_Add or den_c.is_Mul else _const_text(den_c))
        for f in node.scalars:
            if isinstance(f, Power) and f.k.is_negative:
                # x/‖x‖, x/(wᵀw)²: the power binds tighter than the division
                down.append(self.p(f.arg, 41) if f.k == -1 else self.p(Power(f.arg, -f.k), 40))
            else:
                up.append(self.p(f, 21))
        for f in node.chain:
            up.append(self.p(f, 21))
        if (
            sign
            and not down
            and num_c == 1
            and len(node.children) == 1
            and isinstance(node.chain[0] if node.chain else None, Hadamard)
        ):
            # −(a ⊙ b) is (−a) ⊙ b: no brackets needed
            return "−" + self.p(node.chain[0], 15), 15
        s = _juxtapose(up) if up else "1"
        if down:
            d = _juxtapose(down)
            s += "/" + (f"({d})" if len(down) > 1 else d)
        if sign:
            s = "−" + s
        return s, 20


def _juxtapose(pieces: list[str]) -> str:
    out = pieces[0]
    for piece in pieces[1:]:
        word = re.search(r"[A-Za-z0-9_\u0370-\u03ff]+$", out)
        w = word.group(0) if word else ""
        space = False
        if w and piece[:1].isalnum():
            if w.isdigit():
                space = piece[0].isdigit()
            elif not re.fullmatch(r"[0-9]*[A-Za-z\u0370-\u03ff][0-9]*", w):
                space = True
        out += (" " if space else "") + piece
    return out


def _looks_negative(node: Node) -> bool:
    if isinstance(node, Mul):
        return bool(node.coeff.could_extract_minus_sign())
    if isinstance(node, Const):
        return bool(node.value.could_extract_minus_sign())
    return False


def _negate(node: Node) -> Node:
    return scale(-1, node)


class _Latex:
    """The LaTeX printer: bold vectors and matrices, ``^{\\top}``, ``\\odot``, ``\\lVert\\cdot\\rVert``."""

    sized = False

    def p(self, node: Node, prec: int = 0) -> str:
        s, own = self.node(node)
        return rf"\left({s}\right)" if own < prec else s

    def node(self, node: Node) -> tuple[str, int]:
        if isinstance(node, Var):
            return name_latex(node.name, bold=not node.is_scalar), 100
        if isinstance(node, Const):
            v = node.value
            s = sympy.latex(v)
            if v.could_extract_minus_sign() or v.is_Add:
                return s, 20 if not v.is_Add else 10
            return s, 100
        if isinstance(node, Identity):
            return (rf"\mathbf{{I}}_{{{sympy.latex(node.size)}}}" if self.sized else r"\mathbf{I}"), 100
        if isinstance(node, Ones):
            return (
                (r"\mathbf{1}^{\top}", 40)
                if node.nrows == ONE and node.ncols != ONE
                else (r"\mathbf{1}", 100)
            )
        if isinstance(node, Zero):
            return r"\mathbf{0}", 100
        if isinstance(node, Add):
            out = self.p(node.terms[0], 10)
            for t in node.terms[1:]:
                if _looks_negative(t):
                    out += " - " + self.p(_negate(t), 11)
                else:
                    out += " + " + self.p(t, 11)
            return out, 10
        if isinstance(node, Mul):
            return self.mul(node), 20
        if isinstance(node, Transpose):
            if isinstance(node.arg, Inverse):
                return self.p(node.arg.arg, 41) + r"^{-\top}", 40
            return self.p(node.arg, 41) + r"^{\top}", 40
        if isinstance(node, Inverse):
            return self.p(node.arg, 41) + "^{-1}", 40
        if isinstance(node, Trace):
            return rf"\operatorname{{tr}}\left({self.p(node.arg)}\right)", 100
        if isinstance(node, Det):
            return rf"\det\left({self.p(node.arg)}\right)", 100
        if isinstance(node, LogDet):
            return rf"\log\det\left({self.p(node.arg)}\right)", 100
        if isinstance(node, Hadamard):
            num = [f for f in node.factors if not (isinstance(f, Power) and f.k.is_negative)]
            den = [f for f in node.factors if isinstance(f, Power) and f.k.is_negative]
            s = r" \odot ".join(self.p(f, 16) for f in num) if num else "1"
            for f in den:
                assert isinstance(f, Power)
                s += r" \oslash " + self.p(f.arg if f.k == -1 else Power(f.arg, -f.k), 16)
            return s, 15
        if isinstance(node, Elementwise):
            return rf"{ELEMENTWISE[node.fn].latex}\left({self.p(node.arg)}\right)", 100
        if isinstance(node, Power):
            return self.power(node)
        if isinstance(node, Norm):
            sub = {"2": "_{2}", "1": "_{1}", "F": "_{F}"}[node.kind]
            sq = "^{2}" if node.squared else ""
            return rf"\left\lVert {self.p(node.arg)} \right\rVert{sub}{sq}", 100
        if isinstance(node, Softmax):
            return rf"\operatorname{{softmax}}\left({self.p(node.arg)}\right)", 100
        if isinstance(node, LogSumExp):
            return rf"\operatorname{{logsumexp}}\left({self.p(node.arg)}\right)", 100
        if isinstance(node, Diag):
            return rf"\operatorname{{diag}}\left({self.p(node.arg)}\right)", 100
        if isinstance(node, Differential):
            if isinstance(node.arg, Var):
                return "d" + self.p(node.arg), 40
            return rf"d\left({self.p(node.arg)}\right)", 100
        raise TypeError(f"cannot print {type(node).__name__}")

    def power(self, node: Power) -> tuple[str, int]:
        k = node.k
        if k == sympy.Rational(1, 2):
            return rf"\sqrt{{{self.p(node.arg)}}}", 100
        if not node.arg.is_scalar:
            if k == -1:
                return rf"1 \oslash {self.p(node.arg, 16)}", 15
            return rf"{self.p(node.arg, 41)}^{{\circ {sympy.latex(k)}}}", 40
        if k.is_negative:
            return rf"\frac{{1}}{{{self.p(Power(node.arg, -k)) if k != -1 else self.p(node.arg)}}}", 100
        return rf"{self.p(node.arg, 41)}^{{{sympy.latex(k)}}}", 40

    def mul(self, node: Mul) -> str:
        c = node.coeff
        sign = c.could_extract_minus_sign()
        if sign:
            c = -c
        num_c, den_c = sympy.fraction(c)
        den: list[str] = [sympy.latex(den_c)] if den_c != 1 else []
        up: list[str] = []
        for f in node.scalars:
            if isinstance(f, Power) and f.k.is_negative:
                den.append(self.p(f.arg if f.k == -1 else Power(f.arg, -f.k), 41))
            else:
                up.append(self.p(f, 21))
        up.extend(self.p(f, 21) for f in node.chain)
        if (
            sign
            and len(den) == 0
            and num_c == 1
            and len(node.children) == 1
            and node.chain
            and isinstance(node.chain[0], Hadamard)
        ):
            return "-" + self.p(node.chain[0], 15)
        lead = sympy.latex(num_c) if num_c != 1 else ""
        if den:
            lead = rf"\frac{{{lead or '1'}}}{{{' '.join(den)}}}"
        s = " ".join(([lead] if lead else []) + up) or "1"
        return ("-" + s) if sign else s


def _sized_identity(node: Node) -> bool:
    """``I`` or ``cI`` alone: nothing around it tells its size, so it is written ``I_m``."""
    return isinstance(node, Identity) or (
        isinstance(node, Mul) and len(node.chain) == 1 and isinstance(node.chain[0], Identity)
    )


def text(node: Node) -> str:
    """The node as plain text (Unicode: ``Xᵀ``, ``X⁻¹``, ``⊙``, ``‖·‖``)."""
    printer = _Text()
    printer.sized = _sized_identity(node)
    return printer.p(node)


def latex(node: Node) -> str:
    """The node as LaTeX, with bold vectors and matrices."""
    printer = _Latex()
    printer.sized = _sized_identity(node)
    return printer.p(node)
