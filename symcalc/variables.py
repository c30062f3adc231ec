"""Variables: the real symbols symcalc uses, how a name becomes one, and the order a person reads them in.

The ground floor: used by parsing, derivation, compiling and teaching alike, importing none of them.

Example:
    >>> from symcalc.variables import natural_order, to_symbols
    >>> natural_order(to_symbols("x10 x2 x1"))
    [x1, x2, x10]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import sympy

from .errors import ParseError, SymcalcError

__all__ = [
    "GREEK",
    "UNICODE_GREEK",
    "Variables",
    "natural_order",
    "real_symbol",
    "resolve_var",
    "one_symbol_per_name",
    "resolve_variables",
    "symbols",
    "split_name",
    "to_symbol",
    "to_symbols",
]

#: Variables as a caller gives them: names or symbols, a list or one string ("x, y"); None for all of them.
Variables = Sequence[str | sympy.Symbol] | str | None

GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi omicron rho "
    "sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
).split()
UNICODE_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ",
        (
            "alpha beta gamma delta epsilon zeta eta theta iota kappa lamda mu nu xi omicron pi rho sigma tau upsilon "
            "phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
        ).split(),
        strict=True,
    )
)


_LETTERS = "A-Za-z" + "".join(UNICODE_GREEK)
#: A variable's name: Latin letters, the Greek letters symcalc reads, digits, one subscript. Greek punctuation
#: that looks like a dot or a semicolon (U+0387, U+037E) is not a letter.
_NAME = re.compile(rf"[{_LETTERS}][{_LETTERS}0-9]*(_[A-Za-z0-9]+)?")


def real_symbol(name: str) -> sympy.Symbol:
    """Every symbol symcalc creates is real."""
    return sympy.Symbol(name, real=True)


def to_symbol(var: str | sympy.Symbol) -> sympy.Symbol:
    """A variable given by name or as a symbol, as the real symbol symcalc uses.

    >>> to_symbol("x").is_real
    True
    """
    if isinstance(var, sympy.Symbol):
        return var
    if isinstance(var, str) and _NAME.fullmatch(var.strip()):
        return real_symbol(UNICODE_GREEK.get(var.strip(), var.strip()))
    raise ParseError(f"{var!r} is not a variable name", str(var), 0)


def symbols(names: Iterable[str | sympy.Symbol] | str) -> tuple[sympy.Symbol, ...]:
    """symcalc's own (real) symbols, for building expressions in Python: ``x, y = sc.symbols("x y")``.

    >>> x, y = symbols("x y")
    >>> x.is_real, y.name
    (True, 'y')
    """
    return tuple(to_symbols(names))


def to_symbols(variables: Iterable[str | sympy.Symbol] | str) -> list[sympy.Symbol]:
    """Variables as a list of symbols; a string may list them separated by commas or spaces."""
    if isinstance(variables, str):
        variables = [v for v in re.split(r"[,\s]+", variables) if v]
    return [to_symbol(v) for v in variables]


def split_name(
    name: str, declared: Iterable[str], keep: Callable[[str], bool] | None = None
) -> list[str] | None:
    """The declared variables a name is glued from, or None when it is not glued from them.

    With ``x`` and ``y`` declared, ``xy`` is ``x`` times ``y``: a student writes ``2xy`` for ``2*x*y``. A name
    that is declared itself, that ``keep`` says to keep whole (a function or a constant), or that can be
    split in more than one way into declared names (``xyz`` with ``x, y, z, xy, yz`` declared) is not split.

    >>> split_name("xy", {"x", "y"})
    ['x', 'y']
    >>> split_name("xz", {"x", "y"}) is None
    True
    """
    names = set(declared)
    if not names or name in names or (keep is not None and keep(name)):
        return None
    # ways[i]: the ways name[i:] splits into declared names (counted up to 2), and the first way found.
    nothing: list[str] = []
    ways: list[tuple[int, list[str]]] = [(0, nothing)] * len(name) + [(1, nothing)]
    for i in range(len(name) - 1, -1, -1):
        count, first = 0, nothing
        for j in range(i + 1, len(name) + 1):
            piece = name[i:j]
            if piece in names and ways[j][0]:
                if not count:
                    first = [piece, *ways[j][1]]
                count = min(2, count + ways[j][0])
        ways[i] = (count, first)
    count, parts = ways[0]
    return parts if count == 1 and len(parts) > 1 else None


def natural_order(symbols: Iterable[sympy.Symbol]) -> list[sympy.Symbol]:
    """Symbols sorted as a person would: ``x, y, z``; ``x1, x2, ..., x10`` (not ``x1, x10, x2``)."""

    def key(s: sympy.Symbol) -> tuple[int | str, ...]:
        return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s.name))

    return sorted(symbols, key=key)


def _describe(s: sympy.Symbol) -> str:
    facts = {k: v for k, v in s.assumptions0.items() if k in ("real", "positive", "integer")}
    return f"{s.name} ({', '.join(f'{k}={v}' for k, v in sorted(facts.items())) or 'no assumptions'})"


def one_symbol_per_name(exprs: Iterable[sympy.Basic]) -> dict[str, sympy.Symbol]:
    """The free symbols by name; two different symbols with one name in one input are an error, never merged.

    symcalc matches variables by name, so ``sc.parse("x^2") + 3*sympy.Symbol("x")`` (a real x and a plain x)
    would otherwise be differentiated by one of them only: a silently wrong answer.

    >>> one_symbol_per_name([sympy.Symbol("x") + sympy.Symbol("y")])
    {'x': x, 'y': y}
    """
    free: dict[str, sympy.Symbol] = {}
    for e in exprs:
        for s in sorted(getattr(e, "free_symbols", ()), key=sympy.default_sort_key):
            if not isinstance(s, sympy.Symbol):
                continue
            seen = free.setdefault(s.name, s)
            if seen != s:
                raise SymcalcError(
                    f"two different symbols are both named {s.name}: {_describe(seen)} and {_describe(s)}. "
                    "symcalc matches variables by name; build the expression from one of them "
                    "(sc.symbols and sc.parse give symcalc's real symbols)"
                )
    return dict(sorted(free.items()))


#: Names ``parse`` reads as constants unless declared (``e`` and ``E`` are Euler's number, ``pi`` is pi).
_CONSTANT_NAMES: dict[str, tuple[sympy.Basic, ...]] = {
    "e": (sympy.E, sympy.exp),
    "E": (sympy.E, sympy.exp),
    "pi": (sympy.pi,),
}


def _refuse_constant_as_variable(exprs: Iterable[sympy.Basic], name: str) -> None:
    """A variable asked for by a constant's name, where the expression holds that constant: an error with the
    fix, never a silent derivative of 0 (``derivative("E*x^2", "E")`` read E as Euler's number)."""
    constant = _CONSTANT_NAMES.get(name)
    if constant is not None and any(isinstance(e, sympy.Basic) and e.has(*constant) for e in exprs):
        raise SymcalcError(
            f"'{name}' is read as the constant {'e' if name in 'eE' else name} in this expression, not as a "
            f"variable; for a variable named {name}, parse the expression with variables=['{name}']"
        )


def resolve_var(expr: sympy.Expr, var: str | sympy.Symbol | None) -> sympy.Symbol:
    """The variable to differentiate by, matched by name; the only symbol when ``var`` is omitted."""
    one_symbol_per_name([expr])
    if var is not None:
        wanted = to_symbol(var)
        for s in expr.free_symbols:
            if isinstance(s, sympy.Symbol) and s.name == wanted.name:
                return s
        _refuse_constant_as_variable([expr], wanted.name)
        return wanted
    symbols = natural_order(s for s in expr.free_symbols if isinstance(s, sympy.Symbol))
    if len(symbols) == 1:
        return symbols[0]
    if not symbols:
        return sympy.Symbol("x", real=True)
    names = ", ".join(s.name for s in symbols)
    raise SymcalcError(f"the expression has several variables ({names}); say which one to differentiate by")


def resolve_variables(exprs: Iterable[sympy.Expr], variables: Variables) -> list[sympy.Symbol]:
    """The variables, matched by name to the symbols in the expressions; by default all, in natural order."""
    exprs = list(exprs)
    free = one_symbol_per_name(exprs)
    if variables is None:
        if not free:
            raise SymcalcError("the expression has no variables; say which ones with variables=[...]")
        return natural_order(free.values())
    if isinstance(variables, str):
        variables = [v for v in variables.replace(",", " ").split() if v]
    out = []
    for v in variables:
        sym = to_symbol(v)
        if sym.name not in free:
            _refuse_constant_as_variable(exprs, sym.name)
        out.append(free.get(sym.name, sym))
    if len({s.name for s in out}) != len(out):
        raise SymcalcError("a variable is listed twice")
    return out
