"""Hand-derived gradients, right and wrong, for testing ``symcalc.check_gradient(expr, claimed, variables)``.

All texts use symcalc's plain-text syntax with explicit ``*`` (``^`` for powers, ``e^(...)``, ``ln`` for the
natural logarithm). Every symbol is real. Functions with a logarithm or a root are meant on the region where
every variable is positive (test points are drawn from there); no other case depends on the domain.

``WRONG`` is a list of tuples ``(expr_text, variables, claimed, wrong_components, mistake)``:

* ``claimed``: the student's gradient, one string per variable, with exactly one classic mistake in one
  component; every other component is right.
* ``wrong_components``: the indices of the wrong components.
* ``mistake``: the stable id of the mistake the checker should diagnose:

  - ``chain.missing_inner``: the chain rule's inner derivative forgotten (also for ``e^(u)`` claimed ``e^(u)``).
  - ``product.missing_term``: the product rule done as only one of its two terms.
  - ``product.f_prime_g_prime``: the product rule done as ``f'*g'``.
  - ``quotient.sign``: the quotient rule's numerator reversed, ``(u*v' - u'*v)/v^2``.
  - ``quotient.denominator``: the quotient rule's denominator not squared.
  - ``power.exponent``: the exponent not lowered (``x^3`` -> ``3*x^3``).
  - ``power.on_exponential``: the power rule applied to ``a^x`` or ``e^x`` (``2^x`` -> ``x*2^(x - 1)``).
  - ``ln.missing_inner``: ``ln(u)`` differentiated as ``1/u``.
  - ``trig.sign``: the sign lost in the derivative of ``cos``, ``cot`` or ``csc``.
  - ``partial.not_constant``: another variable not held constant.
  - ``constant.not_zero``: the derivative of a constant term kept.

Each case's comment gives the correct gradient.

``RIGHT`` is a list of tuples ``(expr_text, variables, claimed)`` whose claim is the correct gradient written in
a form different from the obvious one.

``NUMPY_BUGGY`` is a list of tuples ``(expr_text, variables, code, wrong_component)``: ``code`` is the source
of ``def grad(p):`` (``p`` a numpy array holding the variables' values in order, ``np`` being numpy in the
namespace it is executed in) returning the gradient as a numpy array, with one bug in component
``wrong_component``.
"""

from __future__ import annotations

WrongCase = tuple[str, list[str], list[str], list[int], str]
RightCase = tuple[str, list[str], list[str]]
NumpyCase = tuple[str, list[str], str, int]

WRONG: list[WrongCase] = [
    # --- chain.missing_inner ---------------------------------------------------------------------------
    # correct: 2*x*cos(x^2)
    ("sin(x^2)", ["x"], ["cos(x^2)"], [0], "chain.missing_inner"),
    # correct: (y*e^(x*y), x*e^(x*y)); d/dy claimed e^(x*y), the factor x missing
    ("e^(x*y)", ["x", "y"], ["y*e^(x*y)", "e^(x*y)"], [1], "chain.missing_inner"),
    # correct: (-3*sin(3*x + y), -sin(3*x + y)); d/dx missing the factor 3
    ("cos(3*x + y)", ["x", "y"], ["-sin(3*x + y)", "-sin(3*x + y)"], [0], "chain.missing_inner"),
    # correct: 10*x*(x^2 + 1)^4; the factor 2*x missing
    ("(x^2 + 1)^5", ["x"], ["5*(x^2 + 1)^4"], [0], "chain.missing_inner"),
    # correct: (x/sqrt(x^2 + y^2), y/sqrt(x^2 + y^2)); d/dy claimed 1/(2*sqrt(u)), the factor 2*y missing
    (
        "sqrt(x^2 + y^2)",
        ["x", "y"],
        ["x/sqrt(x^2 + y^2)", "1/(2*sqrt(x^2 + y^2))"],
        [1],
        "chain.missing_inner",
    ),
    # correct: -2*x*e^(-x^2); e^(u) claimed e^(u)
    ("e^(-x^2)", ["x"], ["e^(-x^2)"], [0], "chain.missing_inner"),
    # --- product.missing_term --------------------------------------------------------------------------
    # correct: 2*x*sin(x) + x^2*cos(x); only f'*g kept
    ("x^2*sin(x)", ["x"], ["2*x*sin(x)"], [0], "product.missing_term"),
    # correct: (cos(x) - x*sin(x), 2*y); only f'*g kept
    ("x*cos(x) + y^2", ["x", "y"], ["cos(x)", "2*y"], [0], "product.missing_term"),
    # correct: (y*ln(x) + y, x*ln(x)); the term x*y*(1/x) missing
    ("x*y*ln(x)", ["x", "y"], ["y*ln(x)", "x*ln(x)"], [0], "product.missing_term"),
    # correct: cos(x)^2 - sin(x)^2; only f'*g kept
    ("sin(x)*cos(x)", ["x"], ["cos(x)^2"], [0], "product.missing_term"),
    # correct: (2*x, e^y + y*e^y); d/dy only f*g' kept
    ("x^2 + y*e^y", ["x", "y"], ["2*x", "y*e^y"], [1], "product.missing_term"),
    # --- product.f_prime_g_prime -----------------------------------------------------------------------
    # correct: 2*x*sin(x) + x^2*cos(x); claimed (2*x)*(cos(x))
    ("x^2*sin(x)", ["x"], ["2*x*cos(x)"], [0], "product.f_prime_g_prime"),
    # correct: 2*x*cos(x) - x^2*sin(x); claimed (2*x)*(-sin(x))
    ("x^2*cos(x)", ["x"], ["-2*x*sin(x)"], [0], "product.f_prime_g_prime"),
    # --- quotient.sign ---------------------------------------------------------------------------------
    # correct: (x*cos(x) - sin(x))/x^2
    ("sin(x)/x", ["x"], ["(sin(x) - x*cos(x))/x^2"], [0], "quotient.sign"),
    # correct: ((x^2 + 1) - 2*x^2)/(x^2 + 1)^2 = (1 - x^2)/(x^2 + 1)^2
    ("x/(x^2 + 1)", ["x"], ["(2*x^2 - (x^2 + 1))/(x^2 + 1)^2"], [0], "quotient.sign"),
    # correct: (1/y, -x/y^2); d/dy with u = x, v = y: (u*v' - u'*v)/v^2 = x/y^2
    ("x/y", ["x", "y"], ["1/y", "x/y^2"], [1], "quotient.sign"),
    # correct: ((e^x*(x + y) - e^x)/(x + y)^2, -e^x/(x + y)^2)
    (
        "e^x/(x + y)",
        ["x", "y"],
        ["(e^x - e^x*(x + y))/(x + y)^2", "-e^x/(x + y)^2"],
        [0],
        "quotient.sign",
    ),
    # --- quotient.denominator --------------------------------------------------------------------------
    # correct: (x*cos(x) - sin(x))/x^2
    ("sin(x)/x", ["x"], ["(x*cos(x) - sin(x))/x"], [0], "quotient.denominator"),
    # correct: ((x - 1) - (x + 1))/(x - 1)^2 = -2/(x - 1)^2
    ("(x + 1)/(x - 1)", ["x"], ["((x - 1) - (x + 1))/(x - 1)"], [0], "quotient.denominator"),
    # correct: (2*x/(y + 1), -x^2/(y + 1)^2)
    ("x^2/(y + 1)", ["x", "y"], ["2*x/(y + 1)", "-x^2/(y + 1)"], [1], "quotient.denominator"),
    # --- power.exponent --------------------------------------------------------------------------------
    # correct: 3*x^2
    ("x^3", ["x"], ["3*x^3"], [0], "power.exponent"),
    # correct: (4*x^3, 2*y)
    ("x^4 + y^2", ["x", "y"], ["4*x^4", "2*y"], [0], "power.exponent"),
    # correct: (2*x*y^3, 3*x^2*y^2)
    ("x^2*y^3", ["x", "y"], ["2*x*y^3", "3*x^2*y^3"], [1], "power.exponent"),
    # correct: (2*x, 2*y, 4*z^3)
    ("x^2 + y^2 + z^4", ["x", "y", "z"], ["2*x", "2*y", "4*z^4"], [2], "power.exponent"),
    # --- power.on_exponential --------------------------------------------------------------------------
    # correct: 2^x*ln(2)
    ("2^x", ["x"], ["x*2^(x - 1)"], [0], "power.on_exponential"),
    # correct: (e^x, 2*y)
    ("e^x + y^2", ["x", "y"], ["x*e^(x - 1)", "2*y"], [0], "power.on_exponential"),
    # correct: (3^y, x*3^y*ln(3))
    ("x*3^y", ["x", "y"], ["3^y", "x*y*3^(y - 1)"], [1], "power.on_exponential"),
    # --- ln.missing_inner ------------------------------------------------------------------------------
    # correct: 2*x/(x^2 + 1)
    ("ln(x^2 + 1)", ["x"], ["1/(x^2 + 1)"], [0], "ln.missing_inner"),
    # correct: (1/x, 1/y); d/dx claimed 1/(x*y), the factor y missing
    ("ln(x*y)", ["x", "y"], ["1/(x*y)", "1/y"], [0], "ln.missing_inner"),
    # correct: cos(x)/sin(x)
    ("ln(sin(x))", ["x"], ["1/sin(x)"], [0], "ln.missing_inner"),
    # correct: (2*x/(x^2 + y^2), 2*y/(x^2 + y^2))
    ("ln(x^2 + y^2)", ["x", "y"], ["2*x/(x^2 + y^2)", "1/(x^2 + y^2)"], [1], "ln.missing_inner"),
    # --- trig.sign -------------------------------------------------------------------------------------
    # correct: -sin(x)
    ("cos(x)", ["x"], ["sin(x)"], [0], "trig.sign"),
    # correct: -csc(x)^2
    ("cot(x)", ["x"], ["csc(x)^2"], [0], "trig.sign"),
    # correct: -csc(x)*cot(x)
    ("csc(x)", ["x"], ["csc(x)*cot(x)"], [0], "trig.sign"),
    # correct: (y, x - sin(y))
    ("x*y + cos(y)", ["x", "y"], ["y", "x + sin(y)"], [1], "trig.sign"),
    # --- partial.not_constant --------------------------------------------------------------------------
    # correct: (y, x); d/dx claimed y + x, as if y varied with x
    ("x*y", ["x", "y"], ["y + x", "x"], [0], "partial.not_constant"),
    # correct: (2*x, 2*y); d/dx of y^2 taken as 2*y
    ("x^2 + y^2", ["x", "y"], ["2*x + 2*y", "2*y"], [0], "partial.not_constant"),
    # correct: (2*x*y, x^2); d/dy with x^2 differentiated too
    ("x^2*y", ["x", "y"], ["2*x*y", "2*x*y + x^2"], [1], "partial.not_constant"),
    # correct: (cos(x)*y^2, 2*y*sin(x)); d/dx with y^2 differentiated too
    (
        "sin(x)*y^2",
        ["x", "y"],
        ["cos(x)*y^2 + 2*y*sin(x)", "2*y*sin(x)"],
        [0],
        "partial.not_constant",
    ),
    # --- constant.not_zero -----------------------------------------------------------------------------
    # correct: 2*x
    ("x^2 + 5", ["x"], ["2*x + 5"], [0], "constant.not_zero"),
    # correct: 3*x^2
    ("x^3 - 4", ["x"], ["3*x^2 - 4"], [0], "constant.not_zero"),
    # correct: (y, x)
    ("x*y + 8", ["x", "y"], ["y", "x + 8"], [1], "constant.not_zero"),
]

RIGHT: list[RightCase] = [
    # true: 2*sin(x)*cos(x)
    ("sin(x)^2", ["x"], ["sin(2*x)"]),
    # true: -2*sin(x)*cos(x)
    ("cos(x)^2", ["x"], ["-sin(2*x)"]),
    # true: cos(x)^2 - sin(x)^2
    ("sin(x)*cos(x)", ["x"], ["cos(2*x)"]),
    # true: -4*sin(x)*cos(x)
    ("cos(x)^2 - sin(x)^2", ["x"], ["-2*sin(2*x)"]),
    # true: ((x^2 + 1) - 2*x^2)/(x^2 + 1)^2
    ("x/(x^2 + 1)", ["x"], ["(1 - x^2)/(x^2 + 1)^2"]),
    # true: (2*x*(x^2 + 1) - 2*x*(x^2 - 1))/(x^2 + 1)^2
    ("(x^2 - 1)/(x^2 + 1)", ["x"], ["4*x/(x^2 + 1)^2"]),
    # true: 2*x/x^2
    ("ln(x^2)", ["x"], ["2/x"]),
    # true: e^(2*ln(x))*2/x (x > 0)
    ("e^(2*ln(x))", ["x"], ["2*x"]),
    # true: 2*x*e^x + x^2*e^x
    ("x^2*e^x", ["x"], ["x*(x + 2)*e^x"]),
    # true: sec(x)^2
    ("tan(x)", ["x"], ["1/cos(x)^2"]),
    # true: 2^x*ln(2)
    ("2^x", ["x"], ["ln(2)*e^(x*ln(2))"]),
    # true: e^(-x)/(1 + e^(-x))^2
    ("1/(1 + e^(-x))", ["x"], ["e^x/(1 + e^x)^2"]),
    # true: (y*(x + y) + x*y, x*(x + y) + x*y)
    ("x*y*(x + y)", ["x", "y"], ["2*x*y + y^2", "x^2 + 2*x*y"]),
    # true: (y*x^y/x, x^y*ln(x)) (x > 0)
    ("x^y", ["x", "y"], ["y*x^(y - 1)", "ln(x)*e^(y*ln(x))"]),
    # true: (y*e^(y*(x + z)), (x + z)*e^(y*(x + z)), y*e^(y*(x + z)))
    (
        "e^(y*(x + z))",
        ["x", "y", "z"],
        ["y*e^(x*y)*e^(y*z)", "(x + z)*e^(x*y + y*z)", "y*e^(x*y)*e^(y*z)"],
    ),
    # true: (3*(x + y)^2 - 3*(x - y)^2, 3*(x + y)^2 + 3*(x - y)^2)
    ("(x + y)^3 - (x - y)^3", ["x", "y"], ["12*x*y", "6*x^2 + 6*y^2"]),
    # true: (1/y - y/x^2, 1/x - x/y^2)
    ("x/y + y/x", ["x", "y"], ["(x^2 - y^2)/(x^2*y)", "(y^2 - x^2)/(x*y^2)"]),
    # true: (cos(x + y), cos(x + y))
    (
        "sin(x + y)",
        ["x", "y"],
        ["cos(x)*cos(y) - sin(x)*sin(y)", "cos(y)*cos(x) + sin(x)*(-sin(y))"],
    ),
    # true: (3*x^2 + 6*x*y + 3*y^2, 3*x^2 + 6*x*y + 3*y^2)
    ("x^3 + 3*x^2*y + 3*x*y^2 + y^3", ["x", "y"], ["3*(x + y)^2", "3*(x + y)^2"]),
    # true: (x, y, z)/sqrt(x^2 + y^2 + z^2)
    (
        "sqrt(x^2 + y^2 + z^2)",
        ["x", "y", "z"],
        [
            "x/sqrt((x + y)^2 - 2*x*y + z^2)",
            "y/sqrt((x + y)^2 - 2*x*y + z^2)",
            "z/sqrt((x + y)^2 - 2*x*y + z^2)",
        ],
    ),
]

NUMPY_BUGGY: list[NumpyCase] = [
    # true: (2*x/(x^2 + y^2), 2*y/(x^2 + y^2)); the factor 2 missing in component 0
    (
        "ln(x^2 + y^2)",
        ["x", "y"],
        "def grad(p):\n"
        "    x, y = p[0], p[1]\n"
        "    r2 = x**2 + y**2\n"
        "    return np.array([x / r2, 2 * y / r2])\n",
        0,
    ),
    # true: (y*e^(x*y), x*e^(x*y)); the factor x missing in component 1
    (
        "e^(x*y)",
        ["x", "y"],
        "def grad(p):\n    x, y = p[0], p[1]\n    return np.array([y * np.exp(x * y), np.exp(x * y)])\n",
        1,
    ),
    # true: (y*z, x*z, x*y - sin(z)); the sign of sin wrong in component 2
    (
        "x*y*z + cos(z)",
        ["x", "y", "z"],
        "def grad(p):\n"
        "    x, y, z = p[0], p[1], p[2]\n"
        "    return np.array([y * z, x * z, x * y + np.sin(z)])\n",
        2,
    ),
]
