"""The final form of a derivative: a few equal forms scored by size, and the ML forms courses use.

Example:
    >>> import sympy
    >>> from symcalc.derive.tidy import tidy
    >>> x = sympy.Symbol("x", real=True)
    >>> tidy(1/(x + 1) - x/(x + 1)**2, x/(x + 1), x).result  # the quotient rule's raw result, tidied
    (x + 1)**(-2)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import sympy
from sympy import S
from sympy.core.cache import cacheit
from sympy.functions.elementary.hyperbolic import HyperbolicFunction
from sympy.functions.elementary.trigonometric import TrigonometricFunction

from ..functions import sigmoid, softplus
from .steps import Step

__all__ = [
    "EXPAND_MAX_TERMS",
    "FACTOR_MAX_GENERATORS",
    "SIMPLIFY_ABOVE_SCORE",
    "SIMPLIFY_MAX_OPS",
    "TIDY_TIMEOUT",
    "equivalent_forms",
    "expansion_size",
    "tidy",
    "tidy_with_candidates",
]

#: Above this size (SymPy operations) the tidy-up tries only cheap forms, never ``simplify``.
SIMPLIFY_MAX_OPS = 80
#: Above this many variables (symbols and the functions of them, see :func:`_generators`) ``factor`` is not
#: tried: its multivariate polynomial gcds grow steeply with them (the derivative of a sum of 20 sines has 20),
#: and no form of the derivative corpus needs it beyond 5.
FACTOR_MAX_GENERATORS = 8
#: Above this many terms once multiplied out (``(x+1)^1000`` has 1001) no form that multiplies out is tried:
#: ``expand``, ``cancel``, ``factor`` and ``simplify`` would spend seconds on a form that is never the tidy one.
EXPAND_MAX_TERMS = 200


def expansion_size(e: sympy.Basic) -> float:
    """How many terms ``expand`` would write at the worst place in ``e``, estimated without expanding.

    A power of a sum of t terms to the n has C(n + t - 1, t - 1) terms; products multiply, sums add.

    >>> x = sympy.Symbol("x")
    >>> expansion_size((x + 1) ** 1000), expansion_size(sympy.sin((x + 1) ** 3) * (x + 2))
    (1001.0, 4.0)
    """
    worst = 1.0

    def terms(node: sympy.Basic) -> float:
        nonlocal worst
        if node.is_Atom:
            return 1.0
        if isinstance(node, sympy.Add):
            n = sum(terms(a) for a in node.args)
        elif isinstance(node, sympy.Mul):
            n = math.prod(terms(a) for a in node.args)
        elif isinstance(node, sympy.Pow) and node.exp.is_Integer and node.exp > 1:
            t, k = terms(node.base), int(node.exp)
            n = 1.0 if t <= 1 else (math.inf if k > 10**6 else _binomial(k + t - 1, t - 1))
        else:
            for a in node.args:
                terms(a)
            n = 1.0
        worst = max(worst, n)
        return n

    terms(e)
    return worst


def _binomial(n: float, k: float) -> float:
    """C(n, k) as a float (inf past the float range); from log-gamma where exact integers would be large."""
    if k > n:
        return 0.0
    if n < 2000:
        exact = math.comb(int(n), int(k))
        return float(exact) if exact < 10**300 else math.inf
    log = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return math.exp(log) if log < 700 else math.inf


def _functions_of(e: sympy.Expr) -> set[type]:
    return {type(f) for f in e.atoms(sympy.Function)} | ({sympy.exp} if e.has(sympy.exp) else set())


def _score(form: sympy.Expr, allowed: set[type]) -> int:
    """Smaller is better: the size, plus a heavy price for each function the input did not have."""
    new = _functions_of(form) - allowed
    return int(sympy.count_ops(form)) + 20 * len(new)


def _cheap_forms(raw: sympy.Expr, expandable: bool, small: bool) -> dict[str, sympy.Expr]:
    """``raw`` and its cheap rewrites, in the order the tidy-up prefers them on a tie: ``factor_terms``,
    ``together``, ``cancel`` and ``expand`` (only where multiplying out stays small: ``expandable``),
    ``powsimp``, and ``factor`` (only for a ``small`` expression in a few variables)."""
    cheap = [sympy.factor_terms, sympy.together, sympy.powsimp]
    if expandable:
        cheap[2:2] = [sympy.cancel, sympy.expand]
        if small and len(_generators(raw)) <= FACTOR_MAX_GENERATORS:
            cheap.append(sympy.factor)
    forms = {"raw": raw}
    for f in cheap:
        try:
            forms[f.__name__] = f(raw)
        except Exception:  # noqa: BLE001 - a form that cannot be built is simply not a candidate
            continue
    return forms


def _generators(e: sympy.Expr) -> set[sympy.Expr]:
    """What ``factor`` takes as the variables of ``e`` read as a fraction of polynomials: its symbols and the
    functions, roots and powers it does not multiply out (``x``, ``cos(2x)``, ``sqrt(x)``, ``2^x``).

    >>> x = sympy.Symbol("x")
    >>> sorted(map(str, _generators(3 * x**2 * sympy.cos(2 * x) + sympy.sqrt(x) / (x + 1))))
    ['cos(2*x)', 'sqrt(x)', 'x']
    """
    out: set[sympy.Expr] = set()
    stack = [e]
    while stack:
        node = stack.pop()
        if node.is_Number:
            continue
        if isinstance(node, sympy.Add | sympy.Mul):
            stack.extend(node.args)
        elif isinstance(node, sympy.Pow) and node.exp.is_Integer:
            stack.append(node.base)
        else:
            out.add(node)
    return out


def _unique(forms: list[sympy.Expr]) -> list[sympy.Expr]:
    """The forms without repeats, and without those that are not numbers somewhere (``zoo``, ``nan``)."""
    unique: list[sympy.Expr] = []
    for f in forms:
        if f not in unique and not f.has(sympy.zoo, sympy.nan):
            unique.append(f)
    return unique


#: The functions whose identities (``sin^2 + cos^2 = 1``, double angles) only ``simplify`` applies.
_TRIG = (TrigonometricFunction, HyperbolicFunction)
#: Where the best cheap form of an expression without trigonometric functions scores more than this,
#: ``simplify`` is tried too (its algebra then sometimes shortens the form further).
SIMPLIFY_ABOVE_SCORE = 8


def _simplify_may_help(e: sympy.Expr, best: int) -> bool:
    """Whether ``simplify`` may find a shorter form than the cheap rewrites (whose best score is ``best``).

    It may where ``e`` has a product, a power or a reciprocal of trigonometric or hyperbolic functions
    (``2 sin(x) cos(x)``, ``cos(x)^2 - sin(x)^2``, ``1/cos(x)``), whose identities its ``trigsimp`` applies;
    pieces (``Piecewise``) it can merge; ``|u|`` and ``sign(u)``, which it writes with ``|u|`` alone; and, in an
    expression without trigonometric functions, where the cheap forms leave it large (a score above
    :data:`SIMPLIFY_ABOVE_SCORE`). Elsewhere its form is not chosen over the cheap ones (on the derivative
    corpus and its second derivatives), and it costs 10 to 100 times as much as all of them together: a sum
    of terms each with one sine (``k cos(k x)``) is left alone, however long.

    >>> x = sympy.Symbol("x")
    >>> _simplify_may_help(2 * sympy.sin(x) * sympy.cos(x), 5), _simplify_may_help(2 * sympy.cos(2 * x) + x, 20)
    (True, False)
    """
    if e.has(sympy.Piecewise, sympy.Abs, sympy.sign):
        return True
    trig = False
    for node in sympy.preorder_traversal(e):
        if isinstance(node, _TRIG):
            trig = True
        elif isinstance(node, sympy.Pow):
            if isinstance(node.base, _TRIG) and node.exp.is_Integer and (node.exp < 0 or node.exp > 1):
                return True
        elif isinstance(node, sympy.Mul):
            count = 0
            for factor in node.args:
                base, k = factor.as_base_exp()
                if isinstance(base, _TRIG):
                    count += abs(int(k)) if k.is_Integer else 1
            if count >= 2:
                return True
    return not trig and best > SIMPLIFY_ABOVE_SCORE


def _ml_form(original: sympy.Expr, var: sympy.Symbol | None) -> sympy.Expr | None:
    """The form ML courses write a derivative in, where the function is one they name:

    * a typed sigmoid ``1/(1 + e^(-u))`` has derivative ``sigma(u)(1 - sigma(u)) u'``;
    * a cross-entropy with the sigmoid (``-y ln(sigma(z)) - (1 - y) ln(1 - sigma(z))``, typed or not) has
      derivative ``(sigma(z) - y) z'``;
    * log-sum-exp and the softmax cross-entropy have derivatives in the softmax ``e^(z_k)/(e^(z_1) + ...)``
      (``p_1 - 1`` for the first class), which the renderings name ``p = softmax(z)``;
    * a typed softplus ``ln(1 + e^u)`` has derivative ``sigma(u) u'``.

    Every form is the derivative of the same function, so it equals the rule's result.
    """
    if var is None or not original.has(var):
        return None
    if isinstance(original, sympy.Pow) and original.exp == -1:
        u = _ml_typed_sigmoid_arg(original)
        if u is not None:
            return sigmoid(u) * (1 - sigmoid(u)) * sympy.diff(u, var)
    named = _ml_named(original)
    try:
        split = sympy.expand_log(named, force=True)
        if any(_ml_is_log_sum_exp(f) for f in split.atoms(sympy.log)):
            return _ml_softmax_form(split, var)
        if named.has(softplus) or any(f.args[0].has(sigmoid) for f in named.atoms(sympy.log)):
            d = sympy.diff(named, var).replace(
                lambda e: isinstance(e, sigmoid) and e.args[0].could_extract_minus_sign(),
                lambda e: 1 - sigmoid(-e.args[0]),
            )
            forms = [sympy.factor_terms(sympy.expand(d)), sympy.factor_terms(d)]
            return min(forms, key=sympy.count_ops)
    except Exception:  # noqa: BLE001 - no ML form is not an error: the other candidates remain
        return None
    return None


def _ml_explanation(original: sympy.Expr, ml: sympy.Expr) -> str:
    """What the tidy step did when it chose an ML form: which named function the form is written with."""
    if isinstance(original, sympy.Pow) and original.exp == -1 and _ml_typed_sigmoid_arg(original) is not None:
        return "Written with the sigmoid, sigma(u)(1 - sigma(u)), as ML courses write it."
    if ml.has(sigmoid):
        return "Written with the sigmoid sigma, as ML courses write it."
    return "Written with the softmax, p = softmax(z), as ML courses write it."


def _ml_typed_sigmoid_arg(e: sympy.Expr) -> sympy.Expr | None:
    """u for ``1/(1 + e^(-u))`` (or ``e^u/(1 + e^u)``), else None."""
    if isinstance(e, sympy.Pow) and e.exp == -1 and isinstance(e.base, sympy.Add) and len(e.base.args) == 2:
        if S.One in e.base.args:
            other = e.base.args[1] if e.base.args[0] == S.One else e.base.args[0]
            if isinstance(other, sympy.exp):
                return -other.args[0]
    if isinstance(e, sympy.Mul) and len(e.args) == 2:
        ex = next((a for a in e.args if isinstance(a, sympy.exp)), None)
        rest = next((a for a in e.args if a is not ex), None)
        if ex is not None and rest == 1 / (1 + ex):
            return ex.args[0]
    return None


def _ml_named(e: sympy.Expr) -> sympy.Expr:
    """A typed sigmoid written ``sigmoid(u)``, a typed softplus ``ln(1 + e^u)`` written ``softplus(u)``."""

    def typed(node: sympy.Expr) -> bool:
        if _ml_typed_sigmoid_arg(node) is not None:
            return True
        return isinstance(node, sympy.log) and _ml_softplus_arg(node) is not None

    def named(node: sympy.Expr) -> sympy.Expr:
        if isinstance(node, sympy.log):
            return softplus(_ml_softplus_arg(node))
        return sigmoid(_ml_typed_sigmoid_arg(node))

    return e.replace(typed, named)


def _ml_softplus_arg(e: sympy.log) -> sympy.Expr | None:
    a = e.args[0]
    if isinstance(a, sympy.Add) and len(a.args) == 2 and S.One in a.args:
        other = a.args[1] if a.args[0] == S.One else a.args[0]
        if isinstance(other, sympy.exp):
            return other.args[0]
    return None


def _ml_is_log_sum_exp(f: sympy.log) -> bool:
    a = f.args[0]
    return isinstance(a, sympy.Add) and len(a.args) >= 2 and all(isinstance(t, sympy.exp) for t in a.args)


def _ml_softmax_form(e: sympy.Expr, var: sympy.Symbol) -> sympy.Expr | None:
    """The derivative of an expression with log-sum-exp in it, written with the softmax fractions."""
    sums = [f.args[0] for f in e.atoms(sympy.log) if _ml_is_log_sum_exp(f)]
    d = sympy.expand(sympy.diff(e, var))
    fractions = [t / s for s in sums for t in s.args]
    form = sympy.collect(d, fractions)
    if not any(form.has(f) for f in fractions):
        return None
    return form


#: The rule's own form wins unless another is clearly smaller (by more than this many operations).
RAW_FORM_BONUS = 1


#: Seconds of computing :func:`tidy` gives itself unless told otherwise.
TIDY_TIMEOUT = 1.0


def tidy(
    raw: sympy.Expr,
    original: sympy.Expr,
    var: sympy.Symbol | None = None,
    *,
    timeout: float | None = TIDY_TIMEOUT,
) -> Step:
    """The final tidy-up: the best-scored of a few equal forms (size, and no functions the input lacks).

    A recognised ML form (``sigma(x)(1 - sigma(x))`` for a typed sigmoid) is chosen whenever it exists. Past
    ``timeout`` seconds of computing (``None``: no limit) the step keeps ``raw`` as it is, and says so.
    """
    from ..bounded import TimedOut
    from .verify import within  # the same stage; verify uses expansion_size from here at import

    try:
        return within(tidy_with_candidates, (raw, original, var), timeout)[0]
    except TimedOut:
        return Step(
            "simplify", "rewrite", raw, None, raw, explanation="Not tidied: the tidy-up ran out of time."
        )


def tidy_with_candidates(
    raw: sympy.Expr, original: sympy.Expr, var: sympy.Symbol | None
) -> tuple[Step, list[sympy.Expr]]:
    """The tidy step, and every candidate form it chose from (all equal to ``raw``).

    The cheap forms first (:func:`_cheap_forms`); ``simplify`` only where :func:`_simplify_may_help` says it
    may shorten them; the ML form, where there is one, always wins. The outcome is kept in SymPy's cache (so
    ``sympy.core.cache.clear_cache()`` forgets it): the same tidy-up asked again costs nothing.
    """
    step, forms = _tidy_cached(raw, original, var)
    return step, list(forms)


def _tidy_now(
    raw: sympy.Expr, original: sympy.Expr, var: sympy.Symbol | None
) -> tuple[Step, tuple[sympy.Expr, ...]]:
    allowed = _functions_of(original) | _functions_of(raw)
    ml = _ml_form(original, var)
    # multiplying out stays small; and, small too, short enough for factor and simplify
    expandable = expansion_size(raw) <= EXPAND_MAX_TERMS
    small = expandable and sympy.count_ops(raw) <= SIMPLIFY_MAX_OPS
    cheap = _cheap_forms(raw, expandable, small)
    # the rule's own form and its cancelled form (where multiplying out stays small) are the natural ones
    natural = {raw, cheap.get("cancel", raw)}
    sizes: dict[sympy.Expr, int] = {}

    def size(f: sympy.Expr) -> int:
        if f not in sizes:
            sizes[f] = _score(f, allowed) - (RAW_FORM_BONUS if f in natural else 0)
        return sizes[f]

    forms = _unique(list(cheap.values()))
    if small and _simplify_may_help(raw, min(size(f) for f in forms)):
        forms.append(_safe(sympy.simplify, raw))
    if ml is not None:
        forms.append(ml)
    forms = _unique(forms)

    def score(f: sympy.Expr) -> tuple[int, int]:
        if ml is not None and f == ml:
            return (-1000, 0)
        return (size(f), forms.index(f))

    best = min(forms, key=score)
    if ml is not None and best == ml:
        explanation = _ml_explanation(original, ml)
    else:
        explanation = "Tidy the result."
    return Step("simplify", "rewrite", raw, None, best, explanation=explanation), tuple(forms)


#: :func:`_tidy_now` in SymPy's cache (a deadline's interrupt is an exception, so a cut-short one is never kept).
_tidy_cached: Callable[[sympy.Expr, sympy.Expr, sympy.Symbol | None], tuple[Step, tuple[sympy.Expr, ...]]] = (
    cacheit(_tidy_now)
)


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
