"""Multivariable functions with their gradients and Hessians.

``CASES`` is a list of tuples ``(name, text, variables, gradient, hessian)``:

* ``name``: a short, unique id.
* ``text``: the function as a student types it in symcalc's plain-text syntax (``^`` for powers, ``e^(...)``,
  ``ln``, ``sigmoid``, ``softplus``, ``tanh``, ``arctan`` ...). Multi-letter names such as ``w1`` or ``mu``
  are one symbol each.
* ``variables``: the variables, in order (2 to 5 of them). Every other symbol (``a``, ``b``, ``c``, ``k``,
  ``t`` and ``x`` where ``x`` is not listed) is a constant.
* ``gradient``: one partial derivative per variable, in SymPy's Python syntax, in a textbook form. Each is
  mathematically equal to the true partial derivative, not necessarily equal to SymPy's output form.
* ``hessian``: the n x n matrix of second partial derivatives, in the same syntax (symmetric).

``sigmoid`` and ``softplus`` in the SymPy strings stand for symcalc's functions
(``symcalc.functions.sigmoid``/``softplus``), so they need those names in the ``sympify`` namespace. Every
symbol is meant to be real, and each function is meant on its natural domain (``x, y > 0`` for
``x^(1/3)*y^(2/3)`` and the logarithms, ``x != 0`` for ``arctan(y/x)``, ``s > 0`` for the Gaussian
likelihood). Decimal coefficients (Beale, Matyas, three-hump camel, McCormick, Zakharov) make the expected
forms equal to the true ones only up to floating-point rounding, so compare those numerically.
"""

from __future__ import annotations

Case = tuple[str, str, list[str], list[str], list[list[str]]]

# Shared pieces of the longer expected forms.
_D = "(x**2 + y**2 + 1)"
_R2 = "(x**2 + y**2)"
_S1, _S2 = "sigmoid(2*w + b)", "sigmoid(b - w)"
_A, _C = "sigmoid(-3*w - b)", "sigmoid(w + b)"
_Z = "(exp(2*w1) + exp(2*w2))"
_S3 = "(exp(w1) + exp(w2) + exp(w3))"
_TL = "tanh(2*w + b - 1)"
_TN = "tanh(w*x + b)"
_TW = "tanh(2*w)"
_SL = "sigmoid(w1 + 2*w2 + b)"
_SR = "sigmoid(3*w + b)"
_SSE = "((1 - mu)**2 + (3 - mu)**2)"
_B1, _B2, _B3 = "(1.5 - x + x*y)", "(2.25 - x + x*y**2)", "(2.625 - x + x*y**3)"
_U = "(x/2 + y)"

CASES: list[Case] = [
    # --- textbook exercises ----------------------------------------------------------------------------
    ("paraboloid", "x^2 + y^2", ["x", "y"], ["2*x", "2*y"], [["2", "0"], ["0", "2"]]),
    ("saddle_surface", "x^2 - y^2", ["x", "y"], ["2*x", "-2*y"], [["2", "0"], ["0", "-2"]]),
    (
        "quadratic_form_implicit",
        "3x^2 + 2x y + 5y^2 - 4x + 7",
        ["x", "y"],
        ["6*x + 2*y - 4", "2*x + 10*y"],
        [["6", "2"], ["2", "10"]],
    ),
    (
        "cubic_mixed",
        "x^3*y^2 - 4*x*y + y^3",
        ["x", "y"],
        ["3*x**2*y**2 - 4*y", "2*x**3*y - 4*x + 3*y**2"],
        [["6*x*y**2", "6*x**2*y - 4"], ["6*x**2*y - 4", "2*x**3 + 6*y"]],
    ),
    (
        "x2y_plus_y3",
        "x^2*y + y^3",
        ["x", "y"],
        ["2*x*y", "x**2 + 3*y**2"],
        [["2*y", "2*x"], ["2*x", "6*y"]],
    ),
    (
        "exp_xy",
        "e^(x*y)",
        ["x", "y"],
        ["y*exp(x*y)", "x*exp(x*y)"],
        [["y**2*exp(x*y)", "(1 + x*y)*exp(x*y)"], ["(1 + x*y)*exp(x*y)", "x**2*exp(x*y)"]],
    ),
    (
        "x_exp_y",
        "x*e^y",
        ["x", "y"],
        ["exp(y)", "x*exp(y)"],
        [["0", "exp(y)"], ["exp(y)", "x*exp(y)"]],
    ),
    (
        "sin_cos",
        "sin(x)*cos(y)",
        ["x", "y"],
        ["cos(x)*cos(y)", "-sin(x)*sin(y)"],
        [["-sin(x)*cos(y)", "-cos(x)*sin(y)"], ["-cos(x)*sin(y)", "-sin(x)*cos(y)"]],
    ),
    (
        "sin_xy",
        "sin(x*y)",
        ["x", "y"],
        ["y*cos(x*y)", "x*cos(x*y)"],
        [
            ["-y**2*sin(x*y)", "cos(x*y) - x*y*sin(x*y)"],
            ["cos(x*y) - x*y*sin(x*y)", "-x**2*sin(x*y)"],
        ],
    ),
    (
        "ln_quadratic",
        "ln(x^2 + y^2 + 1)",
        ["x", "y"],
        [f"2*x/{_D}", f"2*y/{_D}"],
        [
            [f"2*(1 - x**2 + y**2)/{_D}**2", f"-4*x*y/{_D}**2"],
            [f"-4*x*y/{_D}**2", f"2*(1 + x**2 - y**2)/{_D}**2"],
        ],
    ),
    (
        "euclidean_norm",
        "sqrt(x^2 + y^2)",
        ["x", "y"],
        [f"x/sqrt{_R2}", f"y/sqrt{_R2}"],
        [[f"y**2/{_R2}**(3/2)", f"-x*y/{_R2}**(3/2)"], [f"-x*y/{_R2}**(3/2)", f"x**2/{_R2}**(3/2)"]],
    ),
    (
        "gaussian_bump",
        "e^(-(x^2 + y^2))",
        ["x", "y"],
        ["-2*x*exp(-x**2 - y**2)", "-2*y*exp(-x**2 - y**2)"],
        [
            ["(4*x**2 - 2)*exp(-x**2 - y**2)", "4*x*y*exp(-x**2 - y**2)"],
            ["4*x*y*exp(-x**2 - y**2)", "(4*y**2 - 2)*exp(-x**2 - y**2)"],
        ],
    ),
    (
        "quotient_xy",
        "x/y",
        ["x", "y"],
        ["1/y", "-x/y**2"],
        [["0", "-1/y**2"], ["-1/y**2", "2*x/y**3"]],
    ),
    (
        "polar_angle",
        "arctan(y/x)",
        ["x", "y"],
        [f"-y/{_R2}", f"x/{_R2}"],
        [[f"2*x*y/{_R2}**2", f"(y**2 - x**2)/{_R2}**2"], [f"(y**2 - x**2)/{_R2}**2", f"-2*x*y/{_R2}**2"]],
    ),
    (
        "cobb_douglas",
        "x^(1/3)*y^(2/3)",
        ["x", "y"],
        ["y**(2/3)/(3*x**(2/3))", "2*x**(1/3)/(3*y**(1/3))"],
        [
            ["-2*y**(2/3)/(9*x**(5/3))", "2/(9*x**(2/3)*y**(1/3))"],
            ["2/(9*x**(2/3)*y**(1/3))", "-2*x**(1/3)/(9*y**(4/3))"],
        ],
    ),
    (
        "log_sum_exp_2",
        "ln(e^x + e^y)",
        ["x", "y"],
        ["exp(x)/(exp(x) + exp(y))", "exp(y)/(exp(x) + exp(y))"],
        [
            ["exp(x + y)/(exp(x) + exp(y))**2", "-exp(x + y)/(exp(x) + exp(y))**2"],
            ["-exp(x + y)/(exp(x) + exp(y))**2", "exp(x + y)/(exp(x) + exp(y))**2"],
        ],
    ),
    (
        "product_xyz",
        "x*y*z",
        ["x", "y", "z"],
        ["y*z", "x*z", "x*y"],
        [["0", "z", "y"], ["z", "0", "x"], ["y", "x", "0"]],
    ),
    (
        "quadratic_3var",
        "x^2 + y^2 + z^2 + x*y + y*z",
        ["x", "y", "z"],
        ["2*x + y", "x + 2*y + z", "y + 2*z"],
        [["2", "1", "0"], ["1", "2", "1"], ["0", "1", "2"]],
    ),
    (
        "cyclic_cubic_3var",
        "x^2*y + y^2*z + z^2*x",
        ["x", "y", "z"],
        ["2*x*y + z**2", "x**2 + 2*y*z", "y**2 + 2*x*z"],
        [["2*y", "2*x", "2*z"], ["2*x", "2*z", "2*y"], ["2*z", "2*y", "2*x"]],
    ),
    (
        "monomial_3var",
        "x^2*y*z^3",
        ["x", "y", "z"],
        ["2*x*y*z**3", "x**2*z**3", "3*x**2*y*z**2"],
        [
            ["2*y*z**3", "2*x*z**3", "6*x*y*z**2"],
            ["2*x*z**3", "0", "3*x**2*z**2"],
            ["6*x*y*z**2", "3*x**2*z**2", "6*x**2*y*z"],
        ],
    ),
    (
        "exp_linear_3var",
        "e^(x + 2*y + 3*z)",
        ["x", "y", "z"],
        ["exp(x + 2*y + 3*z)", "2*exp(x + 2*y + 3*z)", "3*exp(x + 2*y + 3*z)"],
        [
            ["exp(x + 2*y + 3*z)", "2*exp(x + 2*y + 3*z)", "3*exp(x + 2*y + 3*z)"],
            ["2*exp(x + 2*y + 3*z)", "4*exp(x + 2*y + 3*z)", "6*exp(x + 2*y + 3*z)"],
            ["3*exp(x + 2*y + 3*z)", "6*exp(x + 2*y + 3*z)", "9*exp(x + 2*y + 3*z)"],
        ],
    ),
    (
        "x_exp_yz",
        "x*e^(y*z)",
        ["x", "y", "z"],
        ["exp(y*z)", "x*z*exp(y*z)", "x*y*exp(y*z)"],
        [
            ["0", "z*exp(y*z)", "y*exp(y*z)"],
            ["z*exp(y*z)", "x*z**2*exp(y*z)", "x*(1 + y*z)*exp(y*z)"],
            ["y*exp(y*z)", "x*(1 + y*z)*exp(y*z)", "x*y**2*exp(y*z)"],
        ],
    ),
    (
        "ln_weighted_3var",
        "ln(x) + 2*ln(y) + 3*ln(z)",
        ["x", "y", "z"],
        ["1/x", "2/y", "3/z"],
        [["-1/x**2", "0", "0"], ["0", "-2/y**2", "0"], ["0", "0", "-3/z**2"]],
    ),
    (
        "cyclic_4var",
        "w*x + x*y + y*z + z*w",
        ["w", "x", "y", "z"],
        ["x + z", "w + y", "x + z", "w + y"],
        [["0", "1", "0", "1"], ["1", "0", "1", "0"], ["0", "1", "0", "1"], ["1", "0", "1", "0"]],
    ),
    (
        "chain_5var",
        "x1*x2 + x2*x3 + x3*x4 + x4*x5",
        ["x1", "x2", "x3", "x4", "x5"],
        ["x2", "x1 + x3", "x2 + x4", "x3 + x5", "x4"],
        [
            ["0", "1", "0", "0", "0"],
            ["1", "0", "1", "0", "0"],
            ["0", "1", "0", "1", "0"],
            ["0", "0", "1", "0", "1"],
            ["0", "0", "0", "1", "0"],
        ],
    ),
    (
        "weighted_squares_5var",
        "x1^2 + 2*x2^2 + 3*x3^2 + 4*x4^2 + 5*x5^2",
        ["x1", "x2", "x3", "x4", "x5"],
        ["2*x1", "4*x2", "6*x3", "8*x4", "10*x5"],
        [
            ["2", "0", "0", "0", "0"],
            ["0", "4", "0", "0", "0"],
            ["0", "0", "6", "0", "0"],
            ["0", "0", "0", "8", "0"],
            ["0", "0", "0", "0", "10"],
        ],
    ),
    # --- regression and classification losses with the data baked in ------------------------------------
    (
        "mse_linear",
        "(w*1 + b - 2)^2 + (w*3 + b - 5)^2",
        ["w", "b"],
        ["2*(w + b - 2) + 6*(3*w + b - 5)", "2*(w + b - 2) + 2*(3*w + b - 5)"],
        [["20", "8"], ["8", "4"]],
    ),
    (
        "mse_mean_3points",
        "((w*1 + b - 1)^2 + (w*2 + b - 3)^2 + (w*3 + b - 4)^2)/3",
        ["w", "b"],
        ["2*(14*w + 6*b - 19)/3", "2*(6*w + 3*b - 8)/3"],
        [["28/3", "4"], ["4", "2"]],
    ),
    (
        "mse_two_features",
        "(w1*1 + w2*2 + b - 3)^2 + (w1*2 - w2 + b - 1)^2 + (w2 + b - 2)^2",
        ["w1", "w2", "b"],
        [
            "2*(w1 + 2*w2 + b - 3) + 4*(2*w1 - w2 + b - 1)",
            "4*(w1 + 2*w2 + b - 3) - 2*(2*w1 - w2 + b - 1) + 2*(w2 + b - 2)",
            "2*(w1 + 2*w2 + b - 3) + 2*(2*w1 - w2 + b - 1) + 2*(w2 + b - 2)",
        ],
        [["10", "0", "6"], ["0", "12", "4"], ["6", "4", "6"]],
    ),
    (
        "ridge_linear",
        "(2*w + b - 3)^2 + (-w + b + 1)^2 + k*w^2",
        ["w", "b"],
        ["4*(2*w + b - 3) - 2*(-w + b + 1) + 2*k*w", "2*(2*w + b - 3) + 2*(-w + b + 1)"],
        [["10 + 2*k", "2"], ["2", "4"]],
    ),
    (
        "logistic_loss",
        "-ln(sigmoid(w*2 + b)) - ln(1 - sigmoid(w*(-1) + b))",
        ["w", "b"],
        [f"2*({_S1} - 1) - {_S2}", f"{_S1} - 1 + {_S2}"],
        [
            [f"4*{_S1}*(1 - {_S1}) + {_S2}*(1 - {_S2})", f"2*{_S1}*(1 - {_S1}) - {_S2}*(1 - {_S2})"],
            [f"2*{_S1}*(1 - {_S1}) - {_S2}*(1 - {_S2})", f"{_S1}*(1 - {_S1}) + {_S2}*(1 - {_S2})"],
        ],
    ),
    (
        "logistic_two_features",
        "-ln(sigmoid(w1*1 + w2*2 + b))",
        ["w1", "w2", "b"],
        [f"{_SL} - 1", f"2*({_SL} - 1)", f"{_SL} - 1"],
        [
            [f"{_SL}*(1 - {_SL})", f"2*{_SL}*(1 - {_SL})", f"{_SL}*(1 - {_SL})"],
            [f"2*{_SL}*(1 - {_SL})", f"4*{_SL}*(1 - {_SL})", f"2*{_SL}*(1 - {_SL})"],
            [f"{_SL}*(1 - {_SL})", f"2*{_SL}*(1 - {_SL})", f"{_SL}*(1 - {_SL})"],
        ],
    ),
    (
        "logistic_l2",
        "-ln(sigmoid(3*w + b)) + k*w^2/2",
        ["w", "b"],
        [f"3*({_SR} - 1) + k*w", f"{_SR} - 1"],
        [
            [f"9*{_SR}*(1 - {_SR}) + k", f"3*{_SR}*(1 - {_SR})"],
            [f"3*{_SR}*(1 - {_SR})", f"{_SR}*(1 - {_SR})"],
        ],
    ),
    (
        "logistic_softplus_form",
        "softplus(-(w*3 + b)) + softplus(w*1 + b)",
        ["w", "b"],
        [f"-3*{_A} + {_C}", f"-{_A} + {_C}"],
        [
            [f"9*{_A}*(1 - {_A}) + {_C}*(1 - {_C})", f"3*{_A}*(1 - {_A}) + {_C}*(1 - {_C})"],
            [f"3*{_A}*(1 - {_A}) + {_C}*(1 - {_C})", f"{_A}*(1 - {_A}) + {_C}*(1 - {_C})"],
        ],
    ),
    (
        "softmax_ce_2class",
        "-ln(e^(2*w1)/(e^(2*w1) + e^(2*w2)))",
        ["w1", "w2"],
        [f"-2*exp(2*w2)/{_Z}", f"2*exp(2*w2)/{_Z}"],
        [
            [f"4*exp(2*w1 + 2*w2)/{_Z}**2", f"-4*exp(2*w1 + 2*w2)/{_Z}**2"],
            [f"-4*exp(2*w1 + 2*w2)/{_Z}**2", f"4*exp(2*w1 + 2*w2)/{_Z}**2"],
        ],
    ),
    (
        "softmax_ce_3class",
        "-ln(e^(w1)/(e^(w1) + e^(w2) + e^(w3)))",
        ["w1", "w2", "w3"],
        [f"exp(w1)/{_S3} - 1", f"exp(w2)/{_S3}", f"exp(w3)/{_S3}"],
        [
            [f"exp(w1)*(exp(w2) + exp(w3))/{_S3}**2", f"-exp(w1 + w2)/{_S3}**2", f"-exp(w1 + w3)/{_S3}**2"],
            [f"-exp(w1 + w2)/{_S3}**2", f"exp(w2)*(exp(w1) + exp(w3))/{_S3}**2", f"-exp(w2 + w3)/{_S3}**2"],
            [f"-exp(w1 + w3)/{_S3}**2", f"-exp(w2 + w3)/{_S3}**2", f"exp(w3)*(exp(w1) + exp(w2))/{_S3}**2"],
        ],
    ),
    (
        "log_cosh_loss",
        "ln(cosh(w*2 + b - 1))",
        ["w", "b"],
        [f"2*{_TL}", f"{_TL}"],
        [[f"4*(1 - {_TL}**2)", f"2*(1 - {_TL}**2)"], [f"2*(1 - {_TL}**2)", f"1 - {_TL}**2"]],
    ),
    (
        "tanh_neuron_squared_error",
        "(tanh(w*x + b) - t)^2",
        ["w", "b"],
        [f"2*x*({_TN} - t)*(1 - {_TN}**2)", f"2*({_TN} - t)*(1 - {_TN}**2)"],
        [
            [
                f"2*x**2*(1 - {_TN}**2)*(1 - 3*{_TN}**2 + 2*t*{_TN})",
                f"2*x*(1 - {_TN}**2)*(1 - 3*{_TN}**2 + 2*t*{_TN})",
            ],
            [
                f"2*x*(1 - {_TN}**2)*(1 - 3*{_TN}**2 + 2*t*{_TN})",
                f"2*(1 - {_TN}**2)*(1 - 3*{_TN}**2 + 2*t*{_TN})",
            ],
        ],
    ),
    (
        "two_layer_tanh",
        "(v*tanh(2*w) - 1)^2",
        ["v", "w"],
        [f"2*{_TW}*(v*{_TW} - 1)", f"4*v*(v*{_TW} - 1)*(1 - {_TW}**2)"],
        [
            [f"2*{_TW}**2", f"4*(1 - {_TW}**2)*(2*v*{_TW} - 1)"],
            [f"4*(1 - {_TW}**2)*(2*v*{_TW} - 1)", f"8*v*(1 - {_TW}**2)*(v - 3*v*{_TW}**2 + 2*{_TW})"],
        ],
    ),
    (
        "exponential_loss",
        "e^(-(w*2 + b)) + e^(w*1 + b)",
        ["w", "b"],
        ["-2*exp(-2*w - b) + exp(w + b)", "-exp(-2*w - b) + exp(w + b)"],
        [
            ["4*exp(-2*w - b) + exp(w + b)", "2*exp(-2*w - b) + exp(w + b)"],
            ["2*exp(-2*w - b) + exp(w + b)", "exp(-2*w - b) + exp(w + b)"],
        ],
    ),
    (
        "poisson_regression",
        "e^(w*1 + b) - 3*(w*1 + b) + e^(w*2 + b) - 5*(w*2 + b)",
        ["w", "b"],
        ["exp(w + b) + 2*exp(2*w + b) - 13", "exp(w + b) + exp(2*w + b) - 8"],
        [
            ["exp(w + b) + 4*exp(2*w + b)", "exp(w + b) + 2*exp(2*w + b)"],
            ["exp(w + b) + 2*exp(2*w + b)", "exp(w + b) + exp(2*w + b)"],
        ],
    ),
    (
        "matrix_factorization",
        "(u*v - 3)^2 + k*(u^2 + v^2)",
        ["u", "v"],
        ["2*v*(u*v - 3) + 2*k*u", "2*u*(u*v - 3) + 2*k*v"],
        [["2*v**2 + 2*k", "4*u*v - 6"], ["4*u*v - 6", "2*u**2 + 2*k"]],
    ),
    (
        "gaussian_nll",
        "2*ln(s) + ((1 - mu)^2 + (3 - mu)^2)/(2*s^2)",
        ["mu", "s"],
        ["(2*mu - 4)/s**2", f"2/s - {_SSE}/s**3"],
        [["2/s**2", "(8 - 4*mu)/s**3"], ["(8 - 4*mu)/s**3", f"-2/s**2 + 3*{_SSE}/s**4"]],
    ),
    # --- standard optimisation test functions -----------------------------------------------------------
    (
        "rosenbrock",
        "(1 - x)^2 + 100*(y - x^2)^2",
        ["x", "y"],
        ["-2*(1 - x) - 400*x*(y - x**2)", "200*(y - x**2)"],
        [["1200*x**2 - 400*y + 2", "-400*x"], ["-400*x", "200"]],
    ),
    (
        "rosenbrock_3d",
        "(1 - x)^2 + 100*(y - x^2)^2 + (1 - y)^2 + 100*(z - y^2)^2",
        ["x", "y", "z"],
        [
            "-2*(1 - x) - 400*x*(y - x**2)",
            "200*(y - x**2) - 2*(1 - y) - 400*y*(z - y**2)",
            "200*(z - y**2)",
        ],
        [
            ["1200*x**2 - 400*y + 2", "-400*x", "0"],
            ["-400*x", "1200*y**2 - 400*z + 202", "-400*y"],
            ["0", "-400*y", "200"],
        ],
    ),
    (
        "himmelblau",
        "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        ["x", "y"],
        ["4*x*(x**2 + y - 11) + 2*(x + y**2 - 7)", "2*(x**2 + y - 11) + 4*y*(x + y**2 - 7)"],
        [["12*x**2 + 4*y - 42", "4*x + 4*y"], ["4*x + 4*y", "12*y**2 + 4*x - 26"]],
    ),
    (
        "beale",
        "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
        ["x", "y"],
        [
            f"2*(y - 1)*{_B1} + 2*(y**2 - 1)*{_B2} + 2*(y**3 - 1)*{_B3}",
            f"2*x*{_B1} + 4*x*y*{_B2} + 6*x*y**2*{_B3}",
        ],
        [
            [
                "2*((y - 1)**2 + (y**2 - 1)**2 + (y**3 - 1)**2)",
                f"2*({_B1} + x*(y - 1)) + 4*(y*{_B2} + x*y*(y**2 - 1)) + 6*(y**2*{_B3} + x*y**2*(y**3 - 1))",
            ],
            [
                f"2*({_B1} + x*(y - 1)) + 4*(y*{_B2} + x*y*(y**2 - 1)) + 6*(y**2*{_B3} + x*y**2*(y**3 - 1))",
                f"2*x**2 + 4*x*{_B2} + 8*x**2*y**2 + 12*x*y*{_B3} + 18*x**2*y**4",
            ],
        ],
    ),
    (
        "booth",
        "(x + 2*y - 7)^2 + (2*x + y - 5)^2",
        ["x", "y"],
        ["10*x + 8*y - 34", "8*x + 10*y - 38"],
        [["10", "8"], ["8", "10"]],
    ),
    (
        "matyas",
        "0.26*(x^2 + y^2) - 0.48*x*y",
        ["x", "y"],
        ["0.52*x - 0.48*y", "0.52*y - 0.48*x"],
        [["0.52", "-0.48"], ["-0.48", "0.52"]],
    ),
    (
        "three_hump_camel",
        "2*x^2 - 1.05*x^4 + x^6/6 + x*y + y^2",
        ["x", "y"],
        ["4*x - 4.2*x**3 + x**5 + y", "x + 2*y"],
        [["4 - 12.6*x**2 + 5*x**4", "1"], ["1", "2"]],
    ),
    (
        "mccormick",
        "sin(x + y) + (x - y)^2 - 1.5*x + 2.5*y + 1",
        ["x", "y"],
        ["cos(x + y) + 2*(x - y) - 1.5", "cos(x + y) - 2*(x - y) + 2.5"],
        [["2 - sin(x + y)", "-2 - sin(x + y)"], ["-2 - sin(x + y)", "2 - sin(x + y)"]],
    ),
    (
        "styblinski_tang_2d",
        "(x^4 - 16*x^2 + 5*x + y^4 - 16*y^2 + 5*y)/2",
        ["x", "y"],
        ["2*x**3 - 16*x + 5/2", "2*y**3 - 16*y + 5/2"],
        [["6*x**2 - 16", "0"], ["0", "6*y**2 - 16"]],
    ),
    (
        "styblinski_tang_3d",
        "(x^4 - 16*x^2 + 5*x + y^4 - 16*y^2 + 5*y + z^4 - 16*z^2 + 5*z)/2",
        ["x", "y", "z"],
        ["2*x**3 - 16*x + 5/2", "2*y**3 - 16*y + 5/2", "2*z**3 - 16*z + 5/2"],
        [["6*x**2 - 16", "0", "0"], ["0", "6*y**2 - 16", "0"], ["0", "0", "6*z**2 - 16"]],
    ),
    (
        "sphere_3d",
        "x^2 + y^2 + z^2",
        ["x", "y", "z"],
        ["2*x", "2*y", "2*z"],
        [["2", "0", "0"], ["0", "2", "0"], ["0", "0", "2"]],
    ),
    (
        "shifted_sphere",
        "(x - a)^2 + (y - b)^2",
        ["x", "y"],
        ["2*(x - a)", "2*(y - b)"],
        [["2", "0"], ["0", "2"]],
    ),
    (
        "weighted_sum_of_squares",
        "a*x^2 + b*y^2 + c*z^2",
        ["x", "y", "z"],
        ["2*a*x", "2*b*y", "2*c*z"],
        [["2*a", "0", "0"], ["0", "2*b", "0"], ["0", "0", "2*c"]],
    ),
    (
        "rastrigin_2d",
        "20 + x^2 - 10*cos(2*pi*x) + y^2 - 10*cos(2*pi*y)",
        ["x", "y"],
        ["2*x + 20*pi*sin(2*pi*x)", "2*y + 20*pi*sin(2*pi*y)"],
        [["2 + 40*pi**2*cos(2*pi*x)", "0"], ["0", "2 + 40*pi**2*cos(2*pi*y)"]],
    ),
    (
        "zakharov_2d",
        "x^2 + y^2 + (0.5*x + y)^2 + (0.5*x + y)^4",
        ["x", "y"],
        [f"2*x + {_U} + 2*{_U}**3", f"2*y + 2*{_U} + 4*{_U}**3"],
        [[f"5/2 + 3*{_U}**2", f"1 + 6*{_U}**2"], [f"1 + 6*{_U}**2", f"4 + 12*{_U}**2"]],
    ),
]
