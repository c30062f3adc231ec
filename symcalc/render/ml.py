r"""How ML courses read a result: the softmax named, and notes where a form is numerically unstable.

A derivative of log-sum-exp or of the softmax cross-entropy is full of fractions ``e^(z_k)/(e^(z_1) + ...)``:
the renderings write them ``p_k`` with ``p = softmax(z_1, ..., z_n)`` (so the cross-entropy's gradient reads
``p_1 - 1``, the familiar ``p - y``). A function that is unstable evaluated as written (log-sum-exp, a typed
softplus ``ln(1 + e^u)``, the log of a sigmoid) gets a note with the stable form libraries use.

Example:
    >>> import symcalc as sc
    >>> d = sc.derivative("logsumexp(z1, z2, z3) - z1", "z1")
    >>> r = reading(d)
    >>> r.named(d.result), r.meaning_text()
    (p_1 - 1, 'p = softmax(z1, z2, z3)')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..functions import sigmoid, softplus
from .notation import latex, text

__all__ = ["Note", "Reading", "reading", "reading_of"]


@dataclass(frozen=True)
class Note:
    """A sentence of prose and expressions, printed in each format's notation."""

    parts: tuple[Any, ...]

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else text(p, plug_in=True) for p in self.parts)

    def line(self, n: Any) -> list[Any]:
        from .derivation import Seg

        return [Seg(p) if isinstance(p, str) else Seg(n.plug(p), True) for p in self.parts]


@dataclass
class Reading:
    """The softmax names found in a result (``p_1`` -> its fraction) and the stability notes."""

    names: dict[sympy.Symbol, sympy.Expr] = field(default_factory=dict)
    args: tuple[sympy.Expr, ...] = ()
    letter: str = "p"
    notes: list[Note] = field(default_factory=list)

    def named(self, e: Any) -> Any:
        """``e`` with each softmax fraction written by its name."""
        if not self.names:
            return e
        out = e
        for name, value in self.names.items():
            out = out.subs(value, name)
        return out

    def meaning(self, n: Any) -> str:
        """``p = softmax(z1, z2, z3)`` in a format's notation."""
        args = ", ".join(n.e(a) for a in self.args)
        if getattr(n, "latex", False):
            return rf"{latex(sympy.Symbol(self.letter))} = \operatorname{{softmax}}\left({args}\right)"
        return f"{self.letter} = softmax({args})"

    def meaning_text(self) -> str:
        return f"{self.letter} = softmax({', '.join(text(a) for a in self.args)})"

    def sentence(self) -> str:
        return f"Written with the softmax {self.meaning_text()}, as ML courses write it."


def _softmax_sums(e: sympy.Basic) -> list[sympy.Add]:
    sums = []
    for node in sympy.preorder_traversal(e):
        if (
            isinstance(node, sympy.Pow)
            and node.exp == -1
            and isinstance(node.base, sympy.Add)
            and len(node.base.args) >= 2
            and all(isinstance(t, sympy.exp) for t in node.base.args)
            and node.base not in sums
        ):
            sums.append(node.base)
    return sums


def reading_of(results: Sequence[sympy.Basic], function: sympy.Basic, taken: Iterable[str] = ()) -> Reading:
    """The ML reading of several results of one function (a gradient's components share the names)."""
    used = {str(s) for s in function.free_symbols} | set(taken)
    letter = next((c for c in ("p", "q", "s", "P") if c not in used), "p")
    r = Reading(letter=letter)
    sums: list[sympy.Add] = []
    for res in results:
        for s in _softmax_sums(res):
            if s not in sums:
                sums.append(s)
    if len(sums) == 1:
        (s,) = sums
        terms = sorted(s.args, key=sympy.default_sort_key)
        candidates = {sympy.Symbol(f"{letter}_{k}", real=True): t / s for k, t in enumerate(terms, 1)}
        named = {k: v for k, v in candidates.items() if any(res.subs(v, k) != res for res in results)}
        if named:
            r.names = named
            r.args = tuple(t.args[0] for t in terms)
    r.notes = notes(function, r)
    return r


def reading(d: Any) -> Reading:
    """The ML reading of a derivation's result."""
    if d.steps.rule == "implicit":
        return Reading()
    return reading_of([d.result], d.expr, {str(d.var)})


def _lse(e: sympy.Basic) -> list[sympy.log]:
    try:
        split = sympy.expand_log(e, force=True)
    except Exception:  # noqa: BLE001
        split = e
    return [
        f
        for f in split.atoms(sympy.log)
        if isinstance(f.args[0], sympy.Add)
        and len(f.args[0].args) >= 2
        and all(isinstance(t, sympy.exp) for t in f.args[0].args)
    ]


def notes(function: sympy.Basic, r: Reading) -> list[Note]:
    """Where the function is numerically unstable as written, the stable form libraries use."""
    out: list[Note] = []
    used = {str(s) for s in function.free_symbols}
    lse = _lse(function)
    if lse:
        f = lse[0]
        args = [t.args[0] for t in sorted(f.args[0].args, key=sympy.default_sort_key)]
        m = sympy.Symbol(next(c for c in ("m", "M", "c_max") if c not in used), real=True)
        shifted = [sympy.exp(sympy.Add(a, -m, evaluate=False), evaluate=False) for a in args]
        stable = sympy.Add(m, sympy.log(sympy.Add(*shifted, evaluate=False), evaluate=False), evaluate=False)
        parts: tuple[Any, ...] = (
            "evaluated as written, ",
            f,
            " overflows in floating point once an argument passes about 709; libraries compute log-sum-exp as ",
            stable,
            ", with ",
            m,
            " the largest argument",
        )
        if r.names:
            parts += (", and the softmax with the same shift",)
        out.append(Note((*parts, ".")))
    for f in function.atoms(sympy.log):
        a = f.args[0]
        if isinstance(a, sympy.Add) and len(a.args) == 2 and sympy.S.One in a.args:
            other = a.args[1] if a.args[0] == sympy.S.One else a.args[0]
            if isinstance(other, sympy.exp):
                u = other.args[0]
                out.append(
                    Note(
                        (
                            "evaluated as written, ",
                            f,
                            " overflows for large ",
                            u,
                            "; libraries compute it as softplus, ",
                            sympy.Max(u, 0) + sympy.log(1 + sympy.exp(-sympy.Abs(u))),
                            " (with log1p).",
                        )
                    )
                )
                break
    logs_of_sigmoid = [f for f in function.atoms(sympy.log) if f.args[0].has(sigmoid)]
    if logs_of_sigmoid:
        u = next(iter(logs_of_sigmoid[0].args[0].atoms(sigmoid))).args[0]
        out.append(
            Note(
                (
                    "evaluated as written, the log of a sigmoid loses all precision once the sigmoid rounds to "
                    "0 or 1; libraries compute ",
                    sympy.Eq(sympy.log(sigmoid(u)), -softplus(-u), evaluate=False),
                    " and ",
                    sympy.Eq(sympy.log(1 - sigmoid(u)), -softplus(u), evaluate=False),
                    " (binary cross-entropy with logits).",
                )
            )
        )
    return out
