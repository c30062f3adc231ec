r"""Exercises that check themselves: a task, its hidden solution, and hints in increasing detail.

An :class:`Exercise` holds one task (a derivative, a gradient, a Hessian, the critical points, one step of
gradient descent, one backpropagation pass, or a matrix-form gradient where ``symcalc.matrix_gradient``
exists). Its solution is computed by symcalc when first needed and stays hidden until asked for
(``ex.solution()``). ``ex.check(answer)`` returns a :class:`Verdict`: ``.ok``, ``.mistakes`` (the stable ids
of :data:`symcalc.teach.check.MISTAKES`, and for the tasks ``check_gradient`` does not judge, those of
:data:`EXERCISE_MISTAKES`), ``.explanations`` (a sentence per mistake) and ``.hints``, in increasing
detail: the rule to use, the bindings (what u, v, the outer and the inner function are), the first step.
``ex.hint()`` gives the next hint on request and counts it.

An :class:`ExerciseSet` is a list of exercises, read from JSONL like the batch problems (one object a line:
``{"id": "d1", "task": "derivative", "expr": "sin(x^2)", "vars": ["x"]}``); it keeps the learner's progress
(tried, right, hints used) for the session and exports it as JSON. ``ExerciseSet.builtin(name)`` loads one of
the sets the notebooks and the tutor page use.

Example:
    >>> import symcalc as sc
    >>> ex = sc.Exercise.derivative("sin(x^2)")
    >>> ex.check("cos(x^2)").mistakes
    ('chain.missing_inner',)
    >>> ex.hint().startswith("Use the chain rule: d/dx f(g(x)) = f'(g(x)) g'(x).")  # then the bindings, the first step
    True
    >>> ex.check("2x cos(x^2)").ok
    True
    >>> ex.check(r"2 x \cos(x^{2})").ok
    True
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sympy

from ..derive.steps import CATALOGUE, Step
from ..errors import ParseError, SymcalcError, UnsupportedError
from ..functions import lower
from ..parse import parse
from ..variables import resolve_variables
from .check import MISTAKES, check_gradient

__all__ = [
    "EXERCISE_MISTAKES",
    "TASKS",
    "Exercise",
    "ExerciseSet",
    "Verdict",
    "exercise_widget",
    "split_answer",
]

#: The tasks an exercise can hold (the batch problems' ``task`` names where they overlap).
TASKS = ("derivative", "gradient", "hessian", "critical", "descent_step", "backprop", "matrix_gradient")

#: Mistakes named for the tasks that :func:`symcalc.check_gradient` does not judge, by stable id.
EXERCISE_MISTAKES: dict[str, str] = {
    "critical.missing_point": "a critical point is missing: {detail}",
    "critical.not_critical": "{detail} is not a critical point: the gradient there is not zero",
    "critical.kind": "{detail}",
    "descent.sign": "the step went uphill: gradient descent subtracts the gradient, x - lr * grad f(x)",
    "descent.no_lr": "the learning rate is missing: the step is x - lr * grad f(x), not x - grad f(x)",
    "descent.gradient": "the step has the right form but the gradient at the start is wrong: {detail}",
    "backprop.sign": "the sign is flipped: the adjoint of the output is +1 and every local derivative keeps "
    "its sign",
    "backprop.missing_local": "the local derivative of {detail} was left out on the way back: every node "
    "multiplies the adjoint it receives by its own local derivative",
    "backprop.missing_path": "{detail} feeds the graph in more than one place: its adjoint is the sum over "
    "every path back from the output",
}

_KINDS = {
    "min": "local minimum",
    "minimum": "local minimum",
    "local min": "local minimum",
    "local minimum": "local minimum",
    "max": "local maximum",
    "maximum": "local maximum",
    "local max": "local maximum",
    "local maximum": "local maximum",
    "saddle": "saddle point",
    "saddle point": "saddle point",
    "neither": "neither",
    "inconclusive": "inconclusive",
}

# -- showing expressions to a learner ----------------------------------------------------------------------


def _show(e: Any) -> str:
    """An expression as a learner writes it: ``x^2``, not ``x**2``."""
    return str(sympy.sstr(e)).replace("**", "^")


def _num(v: float) -> str:
    return f"{v:.6g}"


# -- reading answers ---------------------------------------------------------------------------------------

_OPEN, _CLOSE = "([{", ")]}"


def _strip_brackets(text: str) -> str:
    """``[a, b]`` -> ``a, b`` when the outer pair encloses everything."""
    t = re.sub(r"\\(left|right|big|Big)\s*(?=[()\[\]])", "", text.strip())
    while len(t) >= 2 and t[0] in _OPEN and _CLOSE[_OPEN.index(t[0])] == t[-1]:
        depth = 0
        for i, ch in enumerate(t):
            depth += ch in _OPEN
            depth -= ch in _CLOSE
            if depth == 0 and i < len(t) - 1:
                return t
        t = t[1:-1].strip()
    return t


def split_answer(text: str) -> list[str]:
    """Split an answer with several components at ``;`` or at commas outside brackets (``log(x, 2)`` stays whole).

    Example:
        >>> split_answer("[2*x*y, x^2 + log(y, 2)]")
        ['2*x*y', 'x^2 + log(y, 2)']
        >>> split_answer("2xy; x^2")
        ['2xy', 'x^2']
    """
    t = _strip_brackets(text)
    if r"\begin" in t:
        t = re.sub(r"\\(begin|end)\{[a-z]*matrix\*?\}", "", t)
        return [p.strip() for p in re.split(r"\\\\|&", t) if p.strip()]
    if "\\" in t and "&" in t:
        return [p.strip() for p in re.split(r"&", t) if p.strip()]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(t):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif depth == 0 and ch in ";," and (i == 0 or t[i - 1] != "\\"):
            parts.append(t[start:i])
            start = i + 1
    parts.append(t[start:])
    return [p.strip() for p in parts if p.strip()]


def _rows(answer: Any) -> list[list[Any]]:
    """A matrix answer: a list of rows, ``"[[a, b], [c, d]]"``, ``"a, b; c, d"`` or a LaTeX matrix."""
    if isinstance(answer, sympy.MatrixBase):
        return [list(answer.row(i)) for i in range(answer.rows)]
    if not isinstance(answer, str):
        return [list(r) if isinstance(r, list | tuple) else [r] for r in answer]
    t = answer.strip()
    if r"\begin" in t:
        body = re.sub(r"\\(begin|end)\{[a-z]*matrix\*?\}", "", t)
        return [[c.strip() for c in row.split("&")] for row in re.split(r"\\\\", body) if row.strip()]
    inner = _strip_brackets(t)
    if ";" in inner:
        return [split_answer(r) for r in inner.split(";") if r.strip()]
    return [split_answer(r) for r in split_answer(inner)]


def _components(answer: Any) -> list[Any]:
    if isinstance(answer, str):
        return split_answer(answer)
    if isinstance(answer, sympy.MatrixBase):
        return list(answer)
    if isinstance(answer, Mapping):
        return list(answer.values())
    if isinstance(answer, np.ndarray):
        return [float(v) for v in answer.reshape(-1)]
    if isinstance(answer, int | float | sympy.Basic):
        return [answer]
    return list(answer)


def _number(value: Any) -> float:
    """A numeric answer component: a number or an expression without symbols (``1 - 0.1*2``, ``\\frac{1}{2}``)."""
    if isinstance(value, int | float | np.floating | np.integer):
        return float(value)
    e = parse(value)
    if e.free_symbols:
        names = ", ".join(sorted(str(s) for s in e.free_symbols))
        raise SymcalcError(f"expected a number here, not an expression in {names}")
    v = complex(sympy.N(lower(e), 17))
    if v.imag:
        raise SymcalcError("expected a real number")
    return v.real


_EMPTY = "Type your answer between the quotes, then run the cell again."

# -- the verdict -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The verdict on one answer.

    Attributes:
        ok: the answer is right.
        mistakes: the stable ids of the mistakes named (``"chain.missing_inner"``, ...).
        explanations: one sentence per mistake, for the learner.
        hints: in increasing detail: the rule to use, the bindings, the first step (empty when right).
        message: a one-line summary.
        details: per component, what was wrong where (a point, the expected and the given value).
        error: why the answer could not be read, if it could not (then ``position`` points at the place).
    """

    ok: bool
    mistakes: tuple[str, ...] = ()
    explanations: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    message: str = ""
    details: tuple[str, ...] = ()
    error: str | None = None
    position: int | None = None
    answer: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "type": "verdict",
            "ok": self.ok,
            "mistakes": list(self.mistakes),
            "explanations": list(self.explanations),
            "hints": list(self.hints),
            "message": self.message,
            "details": list(self.details),
            "error": self.error,
            "position": self.position,
            "answer": self.answer,
        }

    def to_text(self) -> str:
        lines = [self.message]
        if self.error:
            lines.append(self.error)
        lines += [f"  mistake {m}: {e}" for m, e in zip(self.mistakes, self.explanations, strict=True)]
        lines += [f"  {d}" for d in self.details]
        if self.hints:
            lines.append(f"  hint: {self.hints[0]}")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        if self.message == _EMPTY:
            return f"*{self.message}*"
        lines = [("**Right.** " if self.ok else "**Not yet.** ") + html.escape(self.message)]
        if self.error:
            lines.append("```text\n" + self.error + "\n```")
        for m, e in zip(self.mistakes, self.explanations, strict=True):
            lines.append(f"- mistake `{m}`: {html.escape(e)}")
        lines += [f"- {html.escape(d)}" for d in self.details]
        if self.hints:
            lines.append(f"\nHint: {html.escape(self.hints[0])} (more with `.hint()` on the exercise)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


# -- the hint ladder ---------------------------------------------------------------------------------------

_HEAD_RULES = frozenset({"solution", "higher_order", "simplify", "rewrite"})
#: The rule whose step a mistake happens in.
_MISTAKE_RULES = {
    "ln.missing_inner": ("chain", "ln"),
    "chain.missing_inner": ("chain",),
    "product.missing_term": ("product",),
    "product.f_prime_g_prime": ("product",),
    "quotient.sign": ("quotient",),
    "quotient.denominator": ("quotient",),
    "power.exponent": ("power", "chain"),
    "power.on_exponential": ("exp_base", "chain", "exp"),
    "trig.sign": ("cos", "cot", "csc", "sin", "chain"),
    "constant.not_zero": ("sum", "constant"),
    "power.coefficient": ("power", "chain"),
    "constant.factor_dropped": ("constant_multiple",),
    "function.not_differentiated": ("sin", "cos", "tan", "ln", "sigmoid", "softplus", "chain"),
}


def _first_step(root: Step, rules: Sequence[str] = ()) -> Step | None:
    """The first derivative step of the working (or the first whose rule is one of ``rules``)."""
    for step in root.walk():
        if step.kind != "derivative" or step.rule in _HEAD_RULES:
            continue
        if not rules or step.rule in rules:
            return step
    return None


def _ladder(step: Step | None, var: Any) -> list[str]:
    """Three hints about one step: the rule, the bindings, the first line of working."""
    if step is None:
        return []
    rule = CATALOGUE[step.rule]
    first = f"Use the {rule.name[0].lower() + rule.name[1:]}: {rule.formula_text}."
    if step.explanation:
        first += " " + _show_text(step.explanation)
    shown = {k: v for k, v in step.pieces.items() if not k.endswith("'")}
    if shown:
        second = "Here " + ", ".join(f"{k} = {_show(v)}" for k, v in shown.items()) + "."
        primes = {k: v for k, v in step.pieces.items() if k.endswith("'") and k not in ("outer'",)}
        if primes:
            second += " Their derivatives: " + ", ".join(f"{k} = {_show(v)}" for k, v in primes.items()) + "."
    else:
        second = f"Here the rule applies to {_show(step.expr)} directly."
    working = step.plug_in if step.plug_in is not None else step.result
    third = f"The first step: d/d{step.var or var} [{_show(step.expr)}] = {_show(working)}."
    return [first, second, third]


def _show_text(sentence: str) -> str:
    return sentence.replace("**", "^")


# -- the exercise ------------------------------------------------------------------------------------------


@dataclass
class Exercise:
    r"""One task with a hidden solution, checked answers, and hints on request.

    Build one with a constructor per task: :meth:`derivative`, :meth:`gradient`, :meth:`hessian`,
    :meth:`critical_points`, :meth:`descent_step`, :meth:`backprop` (and :meth:`matrix_gradient` where
    ``symcalc.matrix_gradient`` exists), or from a JSONL object with :meth:`from_dict`.

    Attributes:
        task: one of :data:`TASKS`.
        expr: the function, as typed.
        vars: the variables, in order (``None``: the free symbols in natural order).
        id: a name for the exercise, unique in its set.
        title: a short title.
        params: what the task needs besides the function (``order``; ``x0``, ``lr``; ``at``, ``wrt``).
        attempts, solved, hints_used, revealed: the learner's progress on it.

    Example:
        >>> ex = Exercise.gradient("x^2*y + y^3", ["x", "y"])
        >>> v = ex.check("[2x y, x^2 + 3y^3]")
        >>> v.ok, v.mistakes
        (False, ('power.exponent',))
        >>> ex.check("2 x y; x^2 + 3 y^2").ok
        True
    """

    task: str
    expr: str
    vars: tuple[str, ...] | None = None
    id: str = ""
    title: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    solved: bool = False
    hints_used: int = 0
    revealed: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise SymcalcError(f"unknown task {self.task!r}; one of {', '.join(TASKS)}")
        if not isinstance(self.expr, str):
            self.expr = sympy.sstr(self.expr)
        if isinstance(self.vars, str):
            self.vars = tuple(v for v in re.split(r"[,\s]+", self.vars) if v)
        elif self.vars is not None:
            self.vars = tuple(str(v) for v in self.vars)
        # a typo in an exercise is an error when it is made, not when it is tried
        if self.task != "matrix_gradient":
            parse(self.expr)
        if not self.id:
            self.id = f"{self.task}:{self.expr}"

    # -- constructors -------------------------------------------------------------------------------------

    @classmethod
    def derivative(
        cls, expr: Any, var: Any = None, *, order: int = 1, id: str = "", title: str = ""
    ) -> Exercise:
        """Differentiate ``expr`` by ``var`` (``order`` times). Example: ``Exercise.derivative("x^2 sin(x)")``."""
        e = parse(expr)
        x = resolve_variables([e], [var] if var is not None else None)
        if var is None and len(x) != 1:
            raise SymcalcError("name the variable: the function has several symbols")
        return cls("derivative", _text(expr), (str(x[0]),), id, title, {"order": int(order)})

    @classmethod
    def gradient(cls, expr: Any, vars: Any = None, *, id: str = "", title: str = "") -> Exercise:
        """The gradient (one partial derivative per variable). Example: ``Exercise.gradient("x^2 y", "x, y")``."""
        return cls("gradient", _text(expr), _names(expr, vars), id, title)

    @classmethod
    def hessian(cls, expr: Any, vars: Any = None, *, id: str = "", title: str = "") -> Exercise:
        """The Hessian matrix of second partial derivatives."""
        return cls("hessian", _text(expr), _names(expr, vars), id, title)

    @classmethod
    def critical_points(cls, expr: Any, vars: Any = None, *, id: str = "", title: str = "") -> Exercise:
        """Every critical point, each with its kind (``"(1, 1) minimum; (0, 0) saddle"``)."""
        ex = cls("critical", _text(expr), _names(expr, vars), id, title)
        if ex._critical().infinite:
            raise UnsupportedError("pick a function with finitely many critical points for an exercise")
        return ex

    @classmethod
    def descent_step(
        cls,
        expr: Any,
        x0: Sequence[float],
        lr: float,
        vars: Any = None,
        *,
        id: str = "",
        title: str = "",
    ) -> Exercise:
        """One step of gradient descent, ``x0 - lr * grad f(x0)``: the answer is the new point."""
        names = _names(expr, vars)
        point = [float(v) for v in x0]
        if len(point) != len(names):
            raise SymcalcError(f"x0 has {len(point)} coordinates; the function has {len(names)} variables")
        return cls("descent_step", _text(expr), names, id, title, {"x0": point, "lr": float(lr)})

    @classmethod
    def backprop(
        cls,
        expr: Any,
        at: Mapping[str, float],
        wrt: Sequence[str] | None = None,
        *,
        id: str = "",
        title: str = "",
    ) -> Exercise:
        """One backpropagation pass at ``at``: the answer is the gradient by ``wrt`` there (the inputs' adjoints)."""
        e = parse(expr)
        names = sorted(str(s) for s in e.free_symbols)
        values = {str(k): float(v) for k, v in at.items()}
        missing = [n for n in names if n not in values]
        if missing:
            raise SymcalcError(f"give a value for {', '.join(missing)} in at")
        targets = tuple(str(w) for w in wrt) if wrt else tuple(names)
        return cls("backprop", _text(expr), targets, id, title, {"at": values})

    @classmethod
    def matrix_gradient(
        cls, expr: str, wrt: str, shapes: str | Mapping[str, Any], *, id: str = "", title: str = ""
    ) -> Exercise:
        """The gradient of a matrix expression (``"(X w - y)^T (X w - y)"``, by ``"w"``) in matrix form.

        Needs ``symcalc.matrix_gradient`` (vector and matrix calculus)."""
        _matrix_gradient()  # raise now where it does not exist
        return cls("matrix_gradient", expr, (wrt,), id, title, {"shapes": shapes})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Exercise:
        """An exercise from its JSONL object (the batch problems' keys: ``id``, ``task``, ``expr``, ``vars``)."""
        data = dict(data)
        task = data.get("task", "derivative")
        expr = data.get("expr")
        if not isinstance(expr, str) or not expr.strip():
            raise SymcalcError("an exercise needs an expression: the key expr")
        common = {"id": str(data.get("id", "")), "title": str(data.get("title", ""))}
        if task == "derivative":
            vars_ = data.get("vars") or [None]
            return cls.derivative(expr, vars_[0], order=int(data.get("order", 1)), **common)
        if task == "gradient":
            return cls.gradient(expr, data.get("vars"), **common)
        if task == "hessian":
            return cls.hessian(expr, data.get("vars"), **common)
        if task == "critical":
            return cls.critical_points(expr, data.get("vars"), **common)
        if task == "descent_step":
            return cls.descent_step(expr, data["x0"], data["lr"], data.get("vars"), **common)
        if task == "backprop":
            return cls.backprop(expr, data["at"], data.get("wrt") or data.get("vars"), **common)
        if task == "matrix_gradient":
            wrt = data["wrt"]
            return cls.matrix_gradient(
                expr, wrt[0] if isinstance(wrt, list) else wrt, data["shapes"], **common
            )
        raise SymcalcError(f"unknown task {task!r}; one of {', '.join(TASKS)}")

    def to_dict(self) -> dict[str, Any]:
        """The exercise as one JSONL object (the task, never its solution)."""
        out: dict[str, Any] = {"id": self.id, "task": self.task, "expr": self.expr}
        if self.title:
            out["title"] = self.title
        if self.task == "backprop":
            out["wrt"] = list(self.vars or ())
        elif self.task == "matrix_gradient":
            out["wrt"] = (self.vars or ("",))[0]
        elif self.vars is not None:
            out["vars"] = list(self.vars)
        for k, v in self.params.items():
            if not (k == "order" and v == 1):
                out[k] = v
        return out

    # -- what the learner sees ----------------------------------------------------------------------------

    @property
    def prompt(self) -> str:
        """The task in words."""
        if self.task == "matrix_gradient":
            return f"Find the gradient of {self.expr} by {(self.vars or ('',))[0]} in matrix form (shapes: {self.params['shapes']})."
        f = _show(parse(self.expr))
        vs = ", ".join(self.vars or ())
        if self.task == "derivative":
            order = self.params.get("order", 1)
            what = "the derivative" if order == 1 else f"the derivative of order {order}"
            return f"Find {what} of f({vs}) = {f} by {vs}."
        if self.task == "gradient":
            return (
                f"Find the gradient of f({vs}) = {f}: one partial derivative per variable, in the order {vs}."
            )
        if self.task == "hessian":
            return f"Find the Hessian of f({vs}) = {f}: the matrix of second partial derivatives, rows and columns in the order {vs}."
        if self.task == "critical":
            example = (
                "x = 1 minimum; x = -1 maximum"
                if len(self.vars or ()) == 1
                else "(1, 1) minimum; (0, 0) saddle"
            )
            return (
                f"Find every critical point of f({vs}) = {f} and say what kind each is "
                f"(minimum, maximum, saddle), e.g. {example}."
            )
        if self.task == "descent_step":
            x0 = ", ".join(_num(v) for v in self.params["x0"])
            return (
                f"Take one step of gradient descent on f({vs}) = {f} from ({x0}) with learning rate "
                f"{_num(self.params['lr'])}: give the new point."
            )
        if self.task == "backprop":
            at = ", ".join(f"{k} = {_num(v)}" for k, v in self.params["at"].items())
            return (
                f"Backpropagate through L = {f} at {at}: give the gradient by {vs} "
                "(the adjoints of those inputs), in that order."
            )
        raise AssertionError(self.task)  # pragma: no cover - every task is handled above

    @property
    def prompt_latex(self) -> str:
        """The task as LaTeX (for KaTeX or MathJax)."""
        if self.task == "matrix_gradient":
            return f"\\nabla_{{{(self.vars or ('',))[0]}}} L,\\ L = \\text{{{self.expr}}}"
        e = sympy.latex(parse(self.expr))
        vs = ", ".join(sympy.latex(sympy.Symbol(v)) for v in self.vars or ())
        if self.task == "derivative":
            order = self.params.get("order", 1)
            d = f"\\frac{{d}}{{d{vs}}}" if order == 1 else f"\\frac{{d^{{{order}}}}}{{d{vs}^{{{order}}}}}"
            return f"{d}\\left[{e}\\right]"
        if self.task == "gradient":
            return f"\\nabla f \\text{{ for }} f({vs}) = {e}"
        if self.task == "hessian":
            return f"H_f \\text{{ for }} f({vs}) = {e}"
        if self.task == "critical":
            return f"\\nabla f = 0 \\text{{ for }} f({vs}) = {e}"
        if self.task == "descent_step":
            x0 = ", ".join(_num(v) for v in self.params["x0"])
            return f"x_1 = x_0 - {_num(self.params['lr'])}\\,\\nabla f(x_0),\\ x_0 = ({x0}),\\ f({vs}) = {e}"
        if self.task == "backprop":
            grads = ", ".join(
                f"\\frac{{\\partial L}}{{\\partial {sympy.latex(sympy.Symbol(v))}}}" for v in self.vars or ()
            )
            return f"\\left({grads}\\right) \\text{{ for }} L = {e}"
        raise AssertionError(self.task)  # pragma: no cover - every task is handled above

    def _repr_markdown_(self) -> str:
        head = f"**{html.escape(self.title)}**: " if self.title else ""
        return (
            f"{head}${self.prompt_latex}$\n\n{html.escape(self.prompt)} "
            'Answer with `.check("...")` (plain text or LaTeX); `.hint()` gives a hint, `.solution()` the worked solution.'
        )

    def __str__(self) -> str:
        return self.prompt

    def widget(self) -> Any:
        """An ipywidgets widget for this exercise: a text box with a live preview, Check and Hint (extra
        ``widgets``)."""
        return exercise_widget(self)

    # -- the hidden solution ------------------------------------------------------------------------------

    def _expr(self) -> sympy.Expr:
        if "expr" not in self._cache:
            self._cache["expr"] = parse(self.expr)
        expr: sympy.Expr = self._cache["expr"]
        return expr

    def _symbols(self) -> list[sympy.Symbol]:
        return resolve_variables([self._expr()], list(self.vars) if self.vars else None)

    def _derivation(self) -> Any:
        if "derivation" not in self._cache:
            from ..derive.derivative import derivative

            self._cache["derivation"] = derivative(
                self._expr(), (self.vars or (None,))[0], order=int(self.params.get("order", 1))
            )
        return self._cache["derivation"]

    def _gradient(self) -> Any:
        if "gradient" not in self._cache:
            from ..derive.multivariable import gradient

            self._cache["gradient"] = gradient(self._expr(), self._symbols())
        return self._cache["gradient"]

    def _critical(self) -> Any:
        if "critical" not in self._cache:
            from ..derive.critical import critical_points

            self._cache["critical"] = critical_points(self._expr(), self._symbols())
        return self._cache["critical"]

    def solution(self) -> Any:
        """The worked solution (a Derivation, Gradient, Hessian, CriticalPoints, or a backprop trace); it
        displays itself in Jupyter. Revealing it is kept in the progress."""
        self.revealed = True
        if self.task == "derivative":
            return self._derivation()
        if self.task == "gradient":
            return self._gradient()
        if self.task == "hessian":
            from ..derive.multivariable import hessian

            return hessian(self._expr(), self._symbols())
        if self.task == "critical":
            return self._critical()
        if self.task == "descent_step":
            return _DescentSolution(self)
        if self.task == "backprop":
            return self._trace()
        return _matrix_gradient()(self.expr, (self.vars or ("",))[0], shapes=self.params["shapes"])

    def expected(self) -> Any:
        """The expected answer (SymPy objects or numbers): part of the solution, so it counts as revealed."""
        self.revealed = True
        return self._expected()

    def _expected(self) -> Any:
        if self.task == "derivative":
            return self._derivation().result
        if self.task == "gradient":
            return list(self._gradient().result)
        if self.task == "hessian":
            xs = self._symbols()
            return sympy.Matrix([[sympy.diff(self._expr(), a, b) for b in xs] for a in xs])
        if self.task == "critical":
            return [(p.coords, p.kind) for p in self._critical()]
        if self.task == "descent_step":
            return self._step()[0]
        if self.task == "backprop":
            return self._backprop_gradient()
        return self.solution().result

    def _step(self) -> tuple[np.ndarray, np.ndarray]:
        """(the new point, the gradient at the start)."""
        xs = self._symbols()
        x0 = self.params["x0"]
        at = {x: sympy.Float(v, 30) for x, v in zip(xs, x0, strict=True)}
        g = np.array([float(lower(sympy.diff(self._expr(), x)).evalf(30, subs=at)) for x in xs])
        return np.array(x0, dtype=float) - self.params["lr"] * g, g

    def _trace(self) -> Any:
        if "trace" not in self._cache:
            from .backprop import backprop

            self._cache["trace"] = backprop(self._expr(), self.params["at"], list(self.vars or ()))
        return self._cache["trace"]

    def _backprop_gradient(self) -> np.ndarray:
        trace = self._trace()
        index = {str(s): i for i, s in enumerate(trace.wrt)}
        return np.array([trace.gradient[index[v]] for v in self.vars or ()])

    # -- hints --------------------------------------------------------------------------------------------

    def _ladder(self, mistake: str | None = None, component: int = 0) -> list[str]:
        """The hints, in increasing detail, about the place a mistake happened (or the first step)."""
        rules = _MISTAKE_RULES.get(mistake or "", ())
        if self.task == "derivative":
            d = self._derivation()
            step = _first_step(d.steps, rules) or _first_step(d.steps)
            return _ladder(step, d.var)
        if self.task in ("gradient", "hessian"):
            xs = self._symbols()
            g = self._gradient()
            if self.task == "gradient":
                i = component
                d = g.components[i]
                others = [str(v) for v in xs if v != xs[i]]
                held = f" holding {', '.join(others)} constant" if others else ""
                lead = f"For d/d{xs[i]}: differentiate by {xs[i]} alone{held}. "
            else:
                i, j = divmod(component, len(xs))
                from ..derive.derivative import derivative

                d = derivative(g.result[i], xs[j])
                lead = (
                    f"Entry ({i + 1}, {j + 1}) is d/d{xs[j]} of the gradient's component "
                    f"d/d{xs[i]} = {_show(g.result[i])}. "
                )
            steps = _ladder(_first_step(d.steps, rules) or _first_step(d.steps), d.var)
            return [lead + steps[0], *steps[1:]] if steps else [lead.strip()]
        if self.task == "critical":
            xs = self._symbols()
            g = self._gradient()
            eqs = ", ".join(f"{_show(c)} = 0" for c in g.result)
            pts = list(self._critical())
            first = f"The first solution is ({', '.join(_show(v) for v in pts[0].coords)})." if pts else ""
            test = (
                "the sign of f'' (or a higher derivative)"
                if len(xs) == 1
                else "the Hessian's eigenvalues (for two variables, D = f_xx f_yy - f_xy^2)"
            )
            return [
                f"Set every partial derivative to zero and solve; then classify each solution by {test}.",
                f"The equations: {eqs}.",
                f"Solve them together. {first}".strip(),
            ]
        if self.task == "descent_step":
            new, grad = self._step()
            g_expr = ", ".join(_show(c) for c in self._gradient().result)
            x0 = ", ".join(_num(v) for v in self.params["x0"])
            return [
                "One step of gradient descent: x_new = x - lr * grad f(x), the gradient taken at the start.",
                f"Here grad f = ({g_expr}), x = ({x0}) and lr = {_num(self.params['lr'])}.",
                f"At the start, grad f = ({', '.join(_num(v) for v in grad)}); now subtract lr times it from x.",
            ]
        if self.task == "backprop":
            trace = self._trace()
            nodes = [n for n in trace.graph.nodes if n.op not in ("input", "const")]
            listing = "; ".join(
                f"{n.name} = {n.op}({', '.join(trace.graph.nodes[i].name for i in n.inputs)})" for n in nodes
            )
            values = ", ".join(f"{n.name} = {_num(trace.values[n.id])}" for n in nodes)
            return [
                "Forward pass first (every node's value), then backward from the output with adjoint 1: each node "
                "passes its adjoint times its local derivative to each input, and an input used twice adds up "
                "what it receives.",
                f"The graph: {listing}.",
                f"The forward values: {values}. The output's adjoint is 1; go back one node at a time.",
            ]
        lines = self.solution().to_text().splitlines()
        self.revealed = False  # reading the working to make hints is not revealing it
        layout = next((x for x in lines if x.startswith("Layout:")), "")
        shape_line = next((x for x in lines if x.startswith("Shapes:")), "")
        k = next((i for i, x in enumerate(lines) if x.startswith("1. ")), None)
        working = " ".join(x.strip() for x in lines[k + 1 : k + 3]) if k is not None else ""
        return [
            "Work in the denominator layout: the gradient has the shape of the variable. " + layout,
            shape_line,
            f"The first step: {working}".strip(),
        ]

    def hint(self, level: int | None = None) -> str:
        """The next hint (or the one at ``level``, 0 = the rule), in increasing detail; counted in the progress.

        Example:
            >>> ex = Exercise.derivative("x^2 sin(x)")
            >>> ex.hint().startswith("Use the product rule")
            True
            >>> print(ex.hint())
            Here u = x^2, v = sin(x). Their derivatives: u' = 2*x, v' = cos(x).
        """
        ladder = self._ladder()
        k = self.hints_used if level is None else int(level)
        if k >= len(ladder) or k < 0:
            return "No more hints: .solution() shows the worked solution."
        self.hints_used = max(self.hints_used, k + 1)
        return ladder[k]

    @property
    def hint_count(self) -> int:
        """How many hints there are."""
        return len(self._ladder())

    # -- checking -----------------------------------------------------------------------------------------

    def check(self, answer: Any) -> Verdict:
        """Judge an answer (plain text, LaTeX, SymPy, numbers or a list of them); counted in the progress.

        A derivative, gradient or Hessian is compared with the truth and a wrong one gets the classic mistake
        that produces it; a point set, a descent step or a backprop pass is compared by value.
        """
        text = answer if isinstance(answer, str) else _answer_text(answer)
        if isinstance(answer, str) and not answer.strip():
            return Verdict(False, message=_EMPTY, answer=text)
        self.attempts += 1
        try:
            verdict = self._check(answer)
        except ParseError as err:
            return Verdict(
                False,
                message="Your answer could not be read.",
                error=str(err),
                position=err.position,
                answer=text,
            )
        except SymcalcError as err:
            return Verdict(False, message="Your answer could not be checked.", error=str(err), answer=text)
        verdict = Verdict(**{**verdict.__dict__, "answer": text})
        if verdict.ok:
            self.solved = True
        return verdict

    def _check(self, answer: Any) -> Verdict:
        checker = {
            "derivative": self._check_derivative,
            "gradient": self._check_gradient,
            "hessian": self._check_hessian,
            "critical": self._check_critical,
            "descent_step": self._check_descent,
            "backprop": self._check_backprop,
            "matrix_gradient": self._check_matrix,
        }[self.task]
        return checker(answer)

    def _wrong(self, mistakes: list[tuple[str, str]], details: list[str], component: int = 0) -> Verdict:
        ids = tuple(m for m, _ in mistakes)
        ladder = self._ladder(ids[0] if ids else None, component)
        what = f"the mistake: {ids[0]}" if ids else "no classic mistake matches it"
        return Verdict(
            False,
            ids,
            tuple(e for _, e in mistakes),
            tuple(ladder),
            f"Not right yet ({what}).",
            tuple(details),
        )

    def _check_derivative(self, answer: Any) -> Verdict:
        d = self._derivation()
        claim = _one(answer)
        order = int(self.params.get("order", 1))
        # the derivative of order n is the first derivative of the one of order n - 1
        base = sympy.diff(self._expr(), d.var, order - 1) if order > 1 else self._expr()
        return self._from_check(check_gradient(base, [claim], [d.var]))

    def _from_check(self, c: Any, entry: int | None = None) -> Verdict:
        if c.ok:
            return Verdict(True, message="Right.")
        mistakes, details = [], []
        first = c.wrong[0]
        known = {str(s) for s in c.expr.free_symbols} | {str(v) for v in c.variables}
        strangers = sorted(
            {str(s) for v in c.components if v.claimed is not None for s in v.claimed.free_symbols} - known
        )
        if strangers:
            details.append(
                f"the answer uses {', '.join(strangers)}, which the function does not have (letters glued "
                "together are read as a product only when each is a variable of the problem)"
            )
        for k in c.wrong:
            v = c.components[k]
            where = f"d/d{v.variable}" if entry is None else f"entry {entry + 1} by {v.variable}"
            if v.point is not None and v.expected_value is not None and v.claimed_value is not None:
                at = ", ".join(f"{n} = {_num(x)}" for n, x in v.point.items())
                details.append(
                    f"{where}: at {at} the answer gives {_num(v.claimed_value)}, the derivative "
                    f"{_num(v.expected_value)}"
                )
            else:
                details.append(f"{where}: not equal to the derivative")
            if v.mistake:
                mistakes.append((v.mistake, v.hint or MISTAKES[v.mistake]))
        return self._wrong(mistakes, details, first)

    def _check_gradient(self, answer: Any) -> Verdict:
        xs = self._symbols()
        parts = _components(answer)
        if len(parts) != len(xs):
            raise SymcalcError(
                f"the answer has {len(parts)} components; the gradient has {len(xs)} (one per variable: "
                f"{', '.join(map(str, xs))})"
            )
        return self._from_check(check_gradient(self._expr(), parts, xs))

    def _check_hessian(self, answer: Any) -> Verdict:
        xs = self._symbols()
        rows = _rows(answer)
        n = len(xs)
        if len(rows) != n or any(len(r) != n for r in rows):
            raise SymcalcError(f"the Hessian is {n} x {n}: give {n} rows of {n} entries")
        g = self._gradient()
        mistakes, details, first = [], [], None
        for i in range(n):
            c = check_gradient(g.result[i], rows[i], xs)
            for j in c.wrong:
                v = c.components[j]
                first = i * n + j if first is None else first
                details.append(
                    f"entry ({i + 1}, {j + 1}): d/d{xs[j]} of {_show(g.result[i])} is not {_show(v.claimed)}"
                )
                if v.mistake:
                    mistakes.append((v.mistake, v.hint or MISTAKES[v.mistake]))
        if first is None:
            return Verdict(True, message="Right.")
        return self._wrong(mistakes, details, first)

    def _check_critical(self, answer: Any) -> Verdict:
        xs = self._symbols()
        cp = self._critical()
        given = _points(answer, [str(x) for x in xs])
        truth = [(p.as_floats(), p.kind, p.coords) for p in cp]
        grad = [sympy.lambdify(xs, lower(c), "numpy") for c in self._gradient().result]
        mistakes: list[tuple[str, str]] = []
        details: list[str] = []
        matched: set[int] = set()
        for coords, kind in given:
            hit = next(
                (i for i, (p, _k, _c) in enumerate(truth) if np.allclose(p, coords, rtol=1e-6, atol=1e-6)),
                None,
            )
            shown = "(" + ", ".join(_num(v) for v in coords) + ")"
            if hit is None:
                with np.errstate(all="ignore"):
                    values = [float(gi(*coords)) for gi in grad]
                detail = f"{shown}: grad f there is ({', '.join(_num(v) for v in values)})"
                mistakes.append(
                    ("critical.not_critical", EXERCISE_MISTAKES["critical.not_critical"].format(detail=shown))
                )
                details.append(detail)
                continue
            matched.add(hit)
            true_kind = truth[hit][1]
            if kind is not None and kind != true_kind and true_kind != "inconclusive":
                text = f"{shown} is a {true_kind}, not a {kind}"
                mistakes.append(("critical.kind", EXERCISE_MISTAKES["critical.kind"].format(detail=text)))
                details.append(text + f" ({cp[hit].reason})")
        for i, (_p, _kind, coords) in enumerate(truth):
            if i not in matched:
                shown = "(" + ", ".join(_show(v) for v in coords) + ")"
                mistakes.append(
                    (
                        "critical.missing_point",
                        EXERCISE_MISTAKES["critical.missing_point"].format(detail="one of them is missing"),
                    )
                )
                details.append(f"{len(truth) - len(matched)} critical point(s) missing")
                break
        if not mistakes:
            unkinded = sum(1 for _c, k in given if k is None)
            if unkinded:
                return Verdict(
                    False,
                    message="The points are right; now say what kind each one is (minimum, maximum, saddle).",
                    hints=tuple(self._ladder()),
                )
            return Verdict(True, message="Right.")
        return self._wrong(mistakes, details)

    def _check_descent(self, answer: Any) -> Verdict:
        values = [_number(v) for v in _components(answer)]
        new, grad = self._step()
        if len(values) != len(new):
            raise SymcalcError(f"the new point has {len(new)} coordinates; the answer has {len(values)}")
        got = np.array(values)
        if np.allclose(got, new, rtol=1e-6, atol=1e-9):
            return Verdict(True, message="Right.")
        x0, lr = np.array(self.params["x0"]), self.params["lr"]
        models = {
            "descent.sign": x0 + lr * grad,
            "descent.no_lr": x0 - grad,
        }
        details = [
            f"expected a point near ({', '.join(_num(v) for v in new)})"
            if self.revealed
            else "the new point differs"
        ]
        for mistake, candidate in models.items():
            if np.allclose(got, candidate, rtol=1e-6, atol=1e-9):
                return self._wrong([(mistake, EXERCISE_MISTAKES[mistake])], details)
        claimed_grad = (x0 - got) / lr
        wrong = [
            i for i in range(len(grad)) if not np.isclose(claimed_grad[i], grad[i], rtol=1e-6, atol=1e-9)
        ]
        names = self.vars or ()
        detail = ", ".join(
            f"d/d{names[i]} = {_num(grad[i])} at the start, not {_num(claimed_grad[i])}" for i in wrong
        )
        return self._wrong(
            [("descent.gradient", EXERCISE_MISTAKES["descent.gradient"].format(detail=detail))], details
        )

    def _check_backprop(self, answer: Any) -> Verdict:
        names = list(self.vars or ())
        if isinstance(answer, Mapping):
            try:
                parts: list[Any] = [answer[n] for n in names]
            except KeyError as err:
                raise SymcalcError(f"no value for {err.args[0]} in the answer") from None
        else:
            parts = _components(answer)
        if len(parts) != len(names):
            raise SymcalcError(
                f"give {len(names)} values, one per input ({', '.join(names)}); the answer has {len(parts)}"
            )
        got = np.array([_number(v) for v in parts])
        want = self._backprop_gradient()
        bad = [i for i in range(len(want)) if not np.isclose(got[i], want[i], rtol=1e-6, atol=1e-9)]
        if not bad:
            return Verdict(True, message="Right.")
        details = [f"d/d{names[i]} differs" for i in bad]
        if np.allclose(got, -want, rtol=1e-6, atol=1e-9):
            return self._wrong([("backprop.sign", EXERCISE_MISTAKES["backprop.sign"])], details)
        found = _backprop_mistake(self._expr(), self._symbols(), self.params["at"], bad, got)
        if found:
            return self._wrong([found], details)
        return self._wrong([], details)

    def _check_matrix(self, answer: Any) -> Verdict:
        from importlib import import_module

        try:
            checker = import_module(f"{__package__}.matrix_check").check_matrix_gradient
        except (ImportError, AttributeError):
            raise UnsupportedError(
                "checking a matrix-form gradient needs symcalc.check_matrix_gradient"
            ) from None
        c = checker(self.expr, _one(answer), (self.vars or ("",))[0], shapes=self.params["shapes"])
        if c.ok:
            return Verdict(True, message="Right.")
        details = []
        if getattr(c, "point", None) and c.expected_value is not None and c.claimed_value is not None:
            details.append(
                f"at {c.point}: the answer gives {_num(c.claimed_value)}, the gradient {_num(c.expected_value)}"
            )
        return self._wrong(list(getattr(c, "found", ())), details)


def _answer_text(answer: Any) -> str:
    if isinstance(answer, sympy.Basic):
        return str(sympy.sstr(answer))
    try:
        return json.dumps(answer, default=str)
    except (TypeError, ValueError):
        return str(answer)


def _one(answer: Any) -> Any:
    if isinstance(answer, list | tuple) and len(answer) == 1:
        return answer[0]
    return answer


def _text(expr: Any) -> str:
    return expr if isinstance(expr, str) else sympy.sstr(expr)


def _names(expr: Any, vars: Any) -> tuple[str, ...]:
    if isinstance(vars, str):
        vars = [v for v in re.split(r"[,\s]+", vars) if v]
    return tuple(str(x) for x in resolve_variables([parse(expr)], vars))


def _points(answer: Any, names: list[str]) -> list[tuple[np.ndarray, str | None]]:
    """Points with an optional kind each: ``"(0, 0) saddle; (1, 1) minimum"``, ``[(1, 1), ...]``, ``x = 1``."""
    n = len(names)
    items: list[Any]
    if isinstance(answer, str):
        t = _strip_brackets(answer) if n == 1 else answer.strip()
        if n > 1 and t.startswith("[") and t.endswith("]"):
            t = t[1:-1]
        items = split_answer(t) if ";" not in t else [p for p in t.split(";") if p.strip()]
        if n > 1 and ";" not in t:
            items = _group_points(t)
    else:
        items = list(answer) if not isinstance(answer, Mapping) else [(k, v) for k, v in answer.items()]
    out: list[tuple[np.ndarray, str | None]] = []
    for item in items:
        kind: str | None = None
        if (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[1], str)
            and item[1].strip().lower() in _KINDS
        ):
            coords_part, kind = item[0], _KINDS[item[1].strip().lower()]
        elif isinstance(item, str):
            coords_part, kind = _split_kind(item)
        else:
            coords_part = item
        if isinstance(coords_part, str):
            text = coords_part
            for name in names:
                text = re.sub(rf"\b{re.escape(name)}\s*=\s*", "", text)
            values = [_number(v) for v in split_answer(text)]
        elif isinstance(coords_part, int | float | sympy.Basic):
            values = [_number(coords_part)]
        else:
            values = [_number(v) for v in coords_part]
        if len(values) != n:
            raise SymcalcError(f"a point has {n} coordinates ({', '.join(names)}); one has {len(values)}")
        out.append((np.array(values), kind))
    if not out:
        raise SymcalcError("no point given")
    return out


def _group_points(text: str) -> list[str]:
    """``(0, 0) saddle, (1, 1) minimum`` -> one item per bracket group, with the words after it."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [s.strip() for s in items if s.strip()]


def _split_kind(item: str) -> tuple[str, str | None]:
    t = item.strip()
    for word in sorted(_KINDS, key=len, reverse=True):
        for form in (word, word.replace(" ", "_")):
            if t.lower().endswith(form):
                rest = t[: -len(form)].rstrip(" :-")
                return rest, _KINDS[word]
    return t, None


def _backprop_mistake(
    e: sympy.Expr, xs: list[sympy.Symbol], at: Mapping[str, float], bad: list[int], got: np.ndarray
) -> tuple[str, str] | None:
    """A node whose local derivative, left out (taken as 1), gives exactly the answer's wrong components."""
    point = {s: sympy.Float(at[s.name], 30) for s in e.free_symbols if isinstance(s, sympy.Symbol)}
    marker = sympy.Symbol("_symcalc_node_", real=True)
    for node in sympy.preorder_traversal(e):
        if node == e or not isinstance(node, sympy.Function | sympy.Pow) or node.is_Atom:
            continue
        if isinstance(node, sympy.Pow) and not node.exp.is_number:
            continue
        inner = node.args[0] if isinstance(node, sympy.Function) else node.base
        outer = e.xreplace({node: marker})
        if not outer.has(marker):
            continue
        ok = True
        for i in bad:
            x = xs[i]
            # d/dx with the node's derivative replaced by its inner derivative (its local derivative taken as 1)
            wrong = (sympy.diff(outer, x) + sympy.diff(outer, marker) * sympy.diff(inner, x)).xreplace(
                {marker: node}
            )
            try:
                value = float(lower(wrong).evalf(30, subs=point))
            except (TypeError, ValueError):
                ok = False
                break
            if not np.isclose(value, got[i], rtol=1e-6, atol=1e-9):
                ok = False
                break
        if ok:
            return "backprop.missing_local", EXERCISE_MISTAKES["backprop.missing_local"].format(
                detail=_show(node)
            )
    repeated = [xs[i] for i in bad if sum(1 for a in sympy.preorder_traversal(e) if a == xs[i]) > 1]
    if repeated:
        name = str(repeated[0])
        return "backprop.missing_path", EXERCISE_MISTAKES["backprop.missing_path"].format(detail=name)
    return None


def _matrix_gradient() -> Any:
    from .. import derive

    try:
        from importlib import import_module

        module = import_module(f"{derive.__name__}.matrix")
    except ImportError:
        raise UnsupportedError(
            "matrix-form gradients need symcalc.matrix_gradient, not in this version"
        ) from None
    func = getattr(module, "matrix_gradient", None)
    if func is None:
        raise UnsupportedError("matrix-form gradients need symcalc.matrix_gradient, not in this version")
    return func


@dataclass(frozen=True)
class _DescentSolution:
    """The worked step of a descent exercise."""

    exercise: Exercise

    def to_text(self) -> str:
        ex = self.exercise
        new, grad = ex._step()
        g_expr = ", ".join(_show(c) for c in ex._gradient().result)
        x0 = ", ".join(_num(v) for v in ex.params["x0"])
        return "\n".join(
            [
                f"grad f = ({g_expr})",
                f"at x0 = ({x0}): grad f = ({', '.join(_num(v) for v in grad)})",
                f"x1 = x0 - {_num(ex.params['lr'])} * grad f(x0) = ({', '.join(_num(v) for v in new)})",
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        new, grad = self.exercise._step()
        return {"type": "descent_step", "gradient": grad.tolist(), "x1": new.tolist()}

    def _repr_markdown_(self) -> str:
        return "```text\n" + self.to_text() + "\n```"

    def __str__(self) -> str:
        return self.to_text()


# -- sets of exercises -------------------------------------------------------------------------------------

_BUILTIN = Path(__file__).with_name("exercise_sets")


@dataclass
class ExerciseSet(Sequence[Exercise]):
    """Exercises done one after another, with the learner's progress (tried, right, hints used).

    Example:
        >>> s = ExerciseSet.builtin("derivatives")
        >>> s[0].check(s[0].expected()).ok
        True
        >>> p = s.progress()
        >>> p["tried"], p["right"], p["total"] == len(s)
        (1, 1, True)
    """

    name: str
    exercises: list[Exercise]
    title: str = ""

    @classmethod
    def loads(cls, text: str, name: str = "exercises") -> ExerciseSet:
        """A set from JSONL text: one exercise object a line (blank lines and ``#`` comments skipped)."""
        exercises: list[Exercise] = []
        title = ""
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                raise SymcalcError(f"{name}:{n}: not valid JSON ({err.msg})") from None
            if not isinstance(data, dict):
                raise SymcalcError(f"{name}:{n}: each line is one JSON object")
            if "task" not in data and "title" in data and "expr" not in data:
                title = str(data["title"])
                continue
            data.setdefault("id", f"line{n}")
            try:
                exercises.append(Exercise.from_dict(data))
            except KeyError as err:
                raise SymcalcError(f"{name}:{n}: missing {err.args[0]!r}") from None
            except SymcalcError as err:
                raise SymcalcError(f"{name}:{n}: {err}") from None
        ids = [e.id for e in exercises]
        if len(set(ids)) != len(ids):
            raise SymcalcError(f"{name}: exercise ids must be unique")
        return cls(name, exercises, title)

    @classmethod
    def load(cls, path: str | Path) -> ExerciseSet:
        """A set from a ``.jsonl`` file."""
        path = Path(path)
        return cls.loads(path.read_text(encoding="utf-8"), path.stem)

    @classmethod
    def builtin(cls, name: str) -> ExerciseSet:
        """One of the sets shipped with symcalc (:meth:`builtin_names`)."""
        if name not in cls.builtin_names():
            raise SymcalcError(f"no exercise set {name!r}; one of {', '.join(cls.builtin_names())}")
        return cls.load(_BUILTIN / f"{name}.jsonl")

    @staticmethod
    def builtin_names() -> list[str]:
        """The names of the shipped sets, in the order of the learning path."""
        order = ["derivatives", "optimization", "multivariable", "descent", "backprop"]
        found = {p.stem for p in _BUILTIN.glob("*.jsonl")}
        return [n for n in order if n in found] + sorted(found - set(order))

    def to_jsonl(self) -> str:
        """The set as JSONL (the tasks, never the solutions)."""
        head = [json.dumps({"title": self.title})] if self.title else []
        return "\n".join(head + [json.dumps(e.to_dict()) for e in self.exercises]) + "\n"

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, str):
            for e in self.exercises:
                if e.id == i:
                    return e
            raise KeyError(i)
        return self.exercises[i]

    def __len__(self) -> int:
        return len(self.exercises)

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self.exercises)

    def next(self) -> Exercise | None:
        """The first exercise not solved yet (None when all are)."""
        return next((e for e in self.exercises if not e.solved), None)

    def progress(self) -> dict[str, Any]:
        """Tried, right and hints used, per exercise and in total (JSON-ready)."""
        rows = [
            {
                "id": e.id,
                "task": e.task,
                "attempts": e.attempts,
                "tried": e.attempts > 0,
                "right": e.solved,
                "hints_used": e.hints_used,
                "revealed": e.revealed,
            }
            for e in self.exercises
        ]
        return {
            "set": self.name,
            "total": len(rows),
            "tried": sum(r["tried"] for r in rows),
            "right": sum(r["right"] for r in rows),
            "hints_used": sum(r["hints_used"] for r in rows),
            "exercises": rows,
        }

    def export_progress(self, path: str | Path | None = None) -> str:
        """The progress as JSON text; written to ``path`` too when given."""
        text = json.dumps(self.progress(), indent=2) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def _repr_markdown_(self) -> str:
        p = self.progress()
        head = f"**{html.escape(self.title or self.name)}**: {p['right']} of {p['total']} right, {p['tried']} tried, {p['hints_used']} hints used\n\n"
        lines = ["| # | exercise | status |", "| --- | --- | --- |"]
        for k, (e, r) in enumerate(zip(self.exercises, p["exercises"], strict=True)):
            status = "right" if r["right"] else ("tried" if r["tried"] else "")
            lines.append(f"| {k} | ${e.prompt_latex}$ | {status} |")
        return head + "\n".join(lines)

    def widget(self) -> Any:
        """An ipywidgets widget to work through the set (needs the ``widgets`` extra)."""
        return exercise_widget(self)


# -- the notebook widget -----------------------------------------------------------------------------------


def exercise_widget(exercises: Exercise | ExerciseSet) -> Any:
    """A text box with a live LaTeX preview of what is typed, Check, Hint and (for a set) Next buttons.

    Needs ipywidgets (``pip install 'symcalc[widgets]'``). Everything shown from the learner's input is
    escaped; the preview is the LaTeX of the parsed expression, or the parse error at its position.
    """
    try:
        import ipywidgets as w
    except ImportError as err:
        raise SymcalcError("the exercise widget needs ipywidgets: pip install 'symcalc[widgets]'") from err
    items = list(exercises) if isinstance(exercises, ExerciseSet) else [exercises]
    state = {"k": 0}
    prompt = w.HTMLMath()
    box = w.Text(
        placeholder="your answer, plain text or LaTeX", continuous_update=True, layout=w.Layout(width="60%")
    )
    preview = w.HTMLMath()
    out = w.HTML()
    progress = w.HTML()
    check, hint, nxt = (
        w.Button(description="Check"),
        w.Button(description="Hint"),
        w.Button(description="Next"),
    )

    def current() -> Exercise:
        return items[state["k"]]

    def show_progress() -> None:
        if isinstance(exercises, ExerciseSet):
            p = exercises.progress()
            progress.value = html.escape(
                f"exercise {state['k'] + 1} of {p['total']}: {p['right']} right, {p['tried']} tried, "
                f"{p['hints_used']} hints used"
            )

    def show_exercise() -> None:
        ex = current()
        prompt.value = f"{html.escape(ex.title)} $${ex.prompt_latex}$$"
        box.value, out.value, preview.value = "", "", ""
        show_progress()

    def on_type(change: Any) -> None:
        preview.value = _preview_html(str(change["new"]), current().task)

    def on_check(_b: Any) -> None:
        v = current().check(box.value)
        parts = [f"<b>{'Right' if v.ok else 'Not yet'}</b>: {html.escape(v.message)}"]
        if v.error:
            parts.append(f"<pre>{html.escape(v.error)}</pre>")
        parts += [
            f"<div>mistake <code>{html.escape(m)}</code>: {html.escape(e)}</div>"
            for m, e in zip(v.mistakes, v.explanations, strict=True)
        ]
        parts += [f"<div>{html.escape(d)}</div>" for d in v.details]
        out.value = "".join(parts)
        show_progress()

    def on_hint(_b: Any) -> None:
        out.value = f"<div>Hint: {html.escape(current().hint())}</div>"
        show_progress()

    def on_next(_b: Any) -> None:
        state["k"] = (state["k"] + 1) % len(items)
        show_exercise()

    box.observe(on_type, names="value")
    check.on_click(on_check)
    hint.on_click(on_hint)
    nxt.on_click(on_next)
    show_exercise()
    buttons = [check, hint] + ([nxt] if len(items) > 1 else [])
    return w.VBox([prompt, box, preview, w.HBox(buttons), out, progress])


def _preview_html(text: str, task: str = "derivative") -> str:
    """The LaTeX preview of a typed answer (each component), or the parse error, escaped, at its position."""
    if not text.strip():
        return ""
    try:
        parts = [text] if task == "derivative" else split_answer(text)
        latex = ",\\ ".join(sympy.latex(parse(p)) for p in parts if _KINDS.get(p.strip().lower()) is None)
    except ParseError as err:
        return f"<pre>{html.escape(str(err))}</pre>"
    except SymcalcError as err:
        return f"<span>{html.escape(str(err))}</span>"
    return f"$${latex}$$"
