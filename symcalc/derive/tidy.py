"""The final form of a derivative: a few equal forms scored by size, and the ML forms courses use.

Example:
    >>> import sympy
    >>> from symcalc.derive.tidy import tidy
    >>> x = sympy.Symbol("x", real=True)
    >>> tidy(1/(x + 1) - x/(x + 1)**2, x/(x + 1), x).result  # the quotient rule's raw result, tidied
    (x + 1)**(-2)
"""

from __future__ import annotations

import sympy
from sympy import S

from ..functions import sigmoid
from .steps import Step

__all__ = ["SIMPLIFY_MAX_OPS", "equivalent_forms", "tidy", "tidy_with_candidates"]

#: Above this size (SymPy operations) the tidy-up tries only cheap forms, never ``simplify``.
SIMPLIFY_MAX_OPS = 80


def _functions_of(e: sympy.Expr) -> set[type]:
    return {type(f) for f in e.atoms(sympy.Function)} | ({sympy.exp} if e.has(sympy.exp) else set())


def _score(form: sympy.Expr, allowed: set[type]) -> int:
    """Smaller is better: the size, plus a heavy price for each function the input did not have."""
    new = _functions_of(form) - allowed
    return int(sympy.count_ops(form)) + 20 * len(new)


def _candidates(raw: sympy.Expr, original: sympy.Expr, var: sympy.Symbol | None = None) -> list[sympy.Expr]:
    forms = [raw]
    cheap = [sympy.factor_terms, sympy.together, sympy.cancel, sympy.expand, sympy.powsimp]
    for f in cheap:
        try:
            forms.append(f(raw))
        except Exception:  # noqa: BLE001 - a form that cannot be built is simply not a candidate
            continue
    if sympy.count_ops(raw) <= SIMPLIFY_MAX_OPS:
        for f in (sympy.factor, sympy.simplify):
            try:
                forms.append(f(raw))
            except Exception:  # noqa: BLE001
                continue
    ml = _ml_form(original, var)
    if ml is not None:
        forms.append(ml)
    unique: list[sympy.Expr] = []
    for f in forms:
        if f not in unique and not f.has(sympy.zoo, sympy.nan):
            unique.append(f)
    return unique


def _ml_form(original: sympy.Expr, var: sympy.Symbol | None) -> sympy.Expr | None:
    """A typed sigmoid ``1/(1 + e^(-u))`` has derivative ``sigma(u)(1 - sigma(u)) u'``: the form ML courses use."""
    if var is None or not (isinstance(original, sympy.Pow) and original.exp == -1):
        return None
    base = original.base
    if not (isinstance(base, sympy.Add) and len(base.args) == 2 and S.One in base.args):
        return None
    other = base.args[1] if base.args[0] == S.One else base.args[0]
    if not isinstance(other, sympy.exp):
        return None
    u = -other.args[0]
    return sigmoid(u) * (1 - sigmoid(u)) * sympy.diff(u, var)


#: The rule's own form wins unless another is clearly smaller (by more than this many operations).
RAW_FORM_BONUS = 1


def tidy(raw: sympy.Expr, original: sympy.Expr, var: sympy.Symbol | None = None) -> Step:
    """The final tidy-up: the best-scored of a few equal forms (size, and no functions the input lacks).

    A recognised ML form (``sigma(x)(1 - sigma(x))`` for a typed sigmoid) is chosen whenever it exists.
    """
    return tidy_with_candidates(raw, original, var)[0]


def tidy_with_candidates(
    raw: sympy.Expr, original: sympy.Expr, var: sympy.Symbol | None
) -> tuple[Step, list[sympy.Expr]]:
    """The tidy step, and every candidate form it chose from (all equal to ``raw``)."""
    allowed = _functions_of(original) | _functions_of(raw)
    forms = _candidates(raw, original, var)
    ml = _ml_form(original, var)

    natural = {raw, _safe(sympy.cancel, raw)}

    def score(f: sympy.Expr) -> tuple[int, int]:
        if ml is not None and f == ml:
            return (-1000, 0)
        return (_score(f, allowed) - (RAW_FORM_BONUS if f in natural else 0), forms.index(f))

    best = min(forms, key=score)
    if ml is not None and best == ml:
        explanation = "Written with the sigmoid, sigma(u)(1 - sigma(u)), as ML courses write it."
    else:
        explanation = "Tidy the result."
    return Step("simplify", "rewrite", raw, None, best, explanation=explanation), forms


def _safe(f, e: sympy.Expr) -> sympy.Expr:  # type: ignore[no-untyped-def]
    try:
        return f(e)
    except Exception:  # noqa: BLE001
        return e


def equivalent_forms(
    result: sympy.Expr, original: sympy.Expr, candidates: list[sympy.Expr], limit: int = 3
) -> list[sympy.Expr]:
    """Other forms of the result (from the tidy-up's candidates), without functions the input did not have."""
    forms = [f for f in candidates if f != result]
    allowed = (
        _functions_of(original) | _functions_of(result) | ({sympy.exp} if original.has(sympy.exp) else set())
    )
    forms = [f for f in forms if not (_functions_of(f) - allowed)]
    forms.sort(key=lambda f: _score(f, allowed))
    out: list[sympy.Expr] = []
    for f in forms:
        if sympy.count_ops(f) < 200 and f not in out:
            out.append(f)
        if len(out) == limit:
            break
    return out
