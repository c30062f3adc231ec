"""Critical points and constrained extrema, with the answers checked numerically.

``UNCONSTRAINED`` is a list of tuples ``(name, text, variables, points, infinite, complete)``:

* ``text``: the function in symcalc's plain-text syntax; ``variables``: its variables, in order.
* ``points``: a list of ``(coords, kind, second_derivative_test_decides)``:

  - ``coords``: a tuple in variable order, each a Python float (accurate to about 1e-13 where it is not
    exact) or a string in SymPy syntax for an exact value (``"sqrt(2)"``, ``"pi/2"``, ``"log(2)/2"``).
  - ``kind``: the TRUE kind of the point, one of ``"local minimum"``, ``"local maximum"``,
    ``"saddle point"`` (a critical point of a function of two or more variables that is not a local
    extremum) and ``"neither"`` (the same for a function of one variable, like ``x^3`` at 0).
  - ``second_derivative_test_decides``: False exactly when the Hessian (``f''`` for one variable) is
    singular at the point, so the plain second-derivative test reports the point as inconclusive. A few such
    points have an indefinite singular Hessian (marked in a comment): an eigenvalue test that treats
    "a positive and a negative eigenvalue" as a saddle does identify those.

* ``infinite``: True when the critical points are infinitely many (a line, a curve, a periodic family);
  ``points`` then lists a few representatives.
* ``complete``: True when ``points`` lists every critical point (always False when ``infinite``).

``CONSTRAINED`` is a list of tuples
``(name, objective_text, constraints_texts, variables, maximum, minimum)``. Each constraint is
``"lhs = rhs"`` or an expression meaning ``expr = 0``. ``maximum`` and ``minimum`` are the GLOBAL extrema on
the constraint set: None when there is none (unbounded, or an infimum that is not attained), otherwise
``(value, [coords, ...])`` listing every point where it is attained, as floats.
"""

from __future__ import annotations

import math
from itertools import product

Coord = float | str
Point = tuple[tuple[Coord, ...], str, bool]
Unconstrained = tuple[str, str, list[str], list[Point], bool, bool]
Extremum = tuple[float, list[tuple[float, ...]]] | None
Constrained = tuple[str, str, list[str], list[str], Extremum, Extremum]

MIN, MAX, SADDLE, NEITHER = "local minimum", "local maximum", "saddle point", "neither"

# Styblinski-Tang: each coordinate is a root of 4t^3 - 32t + 5 = 0 (f'' = 6t^2 - 16 is > 0 at the outer
# roots and < 0 at the middle one).
_ST_ROOTS = (-2.903534027771177, 0.1567312567803401, 2.7468027709908370)


def _styblinski_tang_points(n: int) -> list[Point]:
    points: list[Point] = []
    for coords in product(_ST_ROOTS, repeat=n):
        middle = sum(c == _ST_ROOTS[1] for c in coords)
        kind = MIN if middle == 0 else MAX if middle == n else SADDLE
        points.append((coords, kind, True))
    return points


_LOGISTIC_SEPARABLE = "-ln(sigmoid(w*2 + b)) - ln(1 - sigmoid(w*(-1) + b))"
_LOGISTIC_OVERLAP = (
    "-ln(sigmoid(w + b)) - ln(1 - sigmoid(w + b)) - ln(sigmoid(b - w)) - 2*ln(1 - sigmoid(b - w))"
)

UNCONSTRAINED: list[Unconstrained] = [
    # --- one variable -------------------------------------------------------------------------------------
    ("cubic_1d", "x^3 - 3*x", ["x"], [((-1.0,), MAX, True), ((1.0,), MIN, True)], False, True),
    ("quartic_1d", "x^4", ["x"], [((0.0,), MIN, False)], False, True),
    ("cubic_inflection_1d", "x^3", ["x"], [((0.0,), NEITHER, False)], False, True),
    ("x_exp_neg_x", "x*e^(-x)", ["x"], [((1.0,), MAX, True)], False, True),
    ("x2_exp_neg_x", "x^2*e^(-x)", ["x"], [((0.0,), MIN, True), ((2.0,), MAX, True)], False, True),
    ("ln_over_x", "ln(x)/x", ["x"], [(("exp(1)",), MAX, True)], False, True),
    (
        "double_well_1d",
        "x^4 - 2*x^2",
        ["x"],
        [((-1.0,), MIN, True), ((0.0,), MAX, True), ((1.0,), MIN, True)],
        False,
        True,
    ),
    (
        "quartic_plus_cubic_1d",
        "x^4 + x^3",
        ["x"],
        [((-0.75,), MIN, True), ((0.0,), NEITHER, False)],
        False,
        True,
    ),
    ("sin_1d", "sin(x)", ["x"], [(("pi/2",), MAX, True), (("-pi/2",), MIN, True)], True, False),
    # --- no critical points -------------------------------------------------------------------------------
    ("linear_no_critical", "x + y", ["x", "y"], [], False, True),
    ("exp_plus_linear", "e^x + y", ["x", "y"], [], False, True),
    # Separable data: the loss tends to 0 but never gets there, so the gradient never vanishes.
    ("logistic_separable", _LOGISTIC_SEPARABLE, ["w", "b"], [], False, True),
    # --- quadratics ---------------------------------------------------------------------------------------
    ("paraboloid", "x^2 + y^2", ["x", "y"], [((0.0, 0.0), MIN, True)], False, True),
    ("saddle_surface", "x^2 - y^2", ["x", "y"], [((0.0, 0.0), SADDLE, True)], False, True),
    ("inverted_paraboloid", "-x^2 - y^2 + 4", ["x", "y"], [((0.0, 0.0), MAX, True)], False, True),
    ("quadratic_cross_term", "x^2 + 3*y^2 - 2*x*y", ["x", "y"], [((0.0, 0.0), MIN, True)], False, True),
    ("completed_square", "x^2 + y^2 + 2*x - 4*y + 5", ["x", "y"], [((-1.0, 2.0), MIN, True)], False, True),
    ("mse_linear", "(w*1 + b - 2)^2 + (w*3 + b - 5)^2", ["w", "b"], [((1.5, 0.5), MIN, True)], False, True),
    # --- textbook polynomials -----------------------------------------------------------------------------
    (
        "cubic_saddle_min",
        "x^3 + y^3 - 3*x*y",
        ["x", "y"],
        [((0.0, 0.0), SADDLE, True), ((1.0, 1.0), MIN, True)],
        False,
        True,
    ),
    (
        "quartic_three_points",
        "x^4 + y^4 - 4*x*y + 1",
        ["x", "y"],
        [((0.0, 0.0), SADDLE, True), ((1.0, 1.0), MIN, True), ((-1.0, -1.0), MIN, True)],
        False,
        True,
    ),
    (
        "triangle_product",
        "x*y*(1 - x - y)",
        ["x", "y"],
        [
            ((0.0, 0.0), SADDLE, True),
            ((1.0, 0.0), SADDLE, True),
            ((0.0, 1.0), SADDLE, True),
            (("1/3", "1/3"), MAX, True),
        ],
        False,
        True,
    ),
    (
        "textbook_cubic_150",
        "2*x^3 + 6*x*y^2 - 3*y^3 - 150*x",
        ["x", "y"],
        [
            ((5.0, 0.0), MIN, True),
            ((-5.0, 0.0), MAX, True),
            ((3.0, 4.0), SADDLE, True),
            ((-3.0, -4.0), SADDLE, True),
        ],
        False,
        True,
    ),
    (
        "textbook_cubic_12xy",
        "x^3 - 12*x*y + 8*y^3",
        ["x", "y"],
        [((0.0, 0.0), SADDLE, True), ((2.0, 1.0), MIN, True)],
        False,
        True,
    ),
    (
        "x2y_minus_squares",
        "x^2*y - x^2 - y^2",
        ["x", "y"],
        [((0.0, 0.0), MAX, True), (("sqrt(2)", 1.0), SADDLE, True), (("-sqrt(2)", 1.0), SADDLE, True)],
        False,
        True,
    ),
    # --- degenerate Hessians ------------------------------------------------------------------------------
    ("quartic_bowl", "x^4 + y^4", ["x", "y"], [((0.0, 0.0), MIN, False)], False, True),
    ("quartic_saddle", "x^4 - y^4", ["x", "y"], [((0.0, 0.0), SADDLE, False)], False, True),
    # Hessian diag(2, 0): positive semidefinite, the test cannot decide; the y^4 term makes it a minimum.
    ("quadratic_quartic", "x^2 + y^4", ["x", "y"], [((0.0, 0.0), MIN, False)], False, True),
    # Hessian diag(2, 0); -y^3 takes both signs along the y-axis.
    ("quadratic_cubic", "x^2 - y^3", ["x", "y"], [((0.0, 0.0), SADDLE, False)], False, True),
    ("monkey_saddle", "x^3 - 3*x*y^2", ["x", "y"], [((0.0, 0.0), SADDLE, False)], False, True),
    # --- infinitely many critical points ------------------------------------------------------------------
    (
        "x2y2",
        "x^2*y^2",
        ["x", "y"],  # both axes; f >= 0 = f(axis), so every point is a (non-strict) local minimum
        [((0.0, 0.0), MIN, False), ((1.0, 0.0), MIN, False), ((0.0, -2.0), MIN, False)],
        True,
        False,
    ),
    (
        "squared_difference",
        "(x - y)^2",
        ["x", "y"],  # the line y = x
        [((0.0, 0.0), MIN, False), ((2.0, 2.0), MIN, False)],
        True,
        False,
    ),
    (
        "product_xyz",
        "x*y*z",
        ["x", "y", "z"],  # the three coordinate axes (two coordinates zero)
        [
            ((0.0, 0.0, 0.0), SADDLE, False),
            # Hessian [[0, 0, 0], [0, 0, 1], [0, 1, 0]]: singular but indefinite (eigenvalues -1, 0, 1).
            ((1.0, 0.0, 0.0), SADDLE, False),
        ],
        True,
        False,
    ),
    (
        "sin_plus_sin",
        "sin(x) + sin(y)",
        ["x", "y"],
        [
            (("pi/2", "pi/2"), MAX, True),
            (("-pi/2", "-pi/2"), MIN, True),
            (("pi/2", "-pi/2"), SADDLE, True),
        ],
        True,
        False,
    ),
    (
        "matrix_factorization",
        "(u*v - 3)^2",
        ["u", "v"],  # the hyperbola u*v = 3 (minima) and the origin
        [
            ((0.0, 0.0), SADDLE, True),
            ((1.0, 3.0), MIN, False),
            ((3.0, 1.0), MIN, False),
            ((-1.0, -3.0), MIN, False),
        ],
        True,
        False,
    ),
    (
        "mccormick",
        "sin(x + y) + (x - y)^2 - 1.5*x + 2.5*y + 1",
        ["x", "y"],  # x - y = 1 and cos(x + y) = -1/2: the usual box [-1.5, 4] x [-3, 4] holds the first two
        [
            (("1/2 - pi/3", "-1/2 - pi/3"), MIN, True),
            (("1/2 + pi/3", "-1/2 + pi/3"), SADDLE, True),
            (("1/2 + 2*pi/3", "-1/2 + 2*pi/3"), MIN, True),
        ],
        True,
        False,
    ),
    # --- Gaussians and ML losses --------------------------------------------------------------------------
    ("gaussian_bump", "e^(-(x^2 + y^2))", ["x", "y"], [((0.0, 0.0), MAX, True)], False, True),
    (
        "x_gaussian",
        "x*e^(-(x^2 + y^2))",
        ["x", "y"],
        [(("sqrt(2)/2", 0.0), MAX, True), (("-sqrt(2)/2", 0.0), MIN, True)],
        False,
        True,
    ),
    (
        "logistic_overlap",
        _LOGISTIC_OVERLAP,
        ["w", "b"],
        [(("log(2)/2", "-log(2)/2"), MIN, True)],
        False,
        True,
    ),
    (
        "matrix_factorization_ridge",
        "(u*v - 3)^2 + (u^2 + v^2)/2",
        ["u", "v"],
        [
            ((0.0, 0.0), SADDLE, True),
            (("sqrt(10)/2", "sqrt(10)/2"), MIN, True),
            (("-sqrt(10)/2", "-sqrt(10)/2"), MIN, True),
        ],
        False,
        True,
    ),
    # --- standard test functions --------------------------------------------------------------------------
    ("rosenbrock", "(1 - x)^2 + 100*(y - x^2)^2", ["x", "y"], [((1.0, 1.0), MIN, True)], False, True),
    ("booth", "(x + 2*y - 7)^2 + (2*x + y - 5)^2", ["x", "y"], [((1.0, 3.0), MIN, True)], False, True),
    ("matyas", "0.26*(x^2 + y^2) - 0.48*x*y", ["x", "y"], [((0.0, 0.0), MIN, True)], False, True),
    (
        "himmelblau",
        "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        ["x", "y"],
        [
            ((3.0, 2.0), MIN, True),
            ((-2.805118086952745, 3.131312518250573), MIN, True),
            ((-3.779310253377747, -3.283185991286169), MIN, True),
            ((3.584428340330492, -1.848126526964404), MIN, True),
            ((-0.2708445906673476, -0.9230385564799815), MAX, True),
            ((-0.1279613467306801, -1.953714980244576), SADDLE, True),
            ((-3.073025750764390, -0.08135304428796751), SADDLE, True),
            ((3.385154183607021, 0.07385187983774929), SADDLE, True),
            ((0.08667750455539635, 2.884254701174776), SADDLE, True),
        ],
        False,
        True,
    ),
    (
        "beale",
        "(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
        ["x", "y"],
        [
            ((3.0, 0.5), MIN, True),
            ((0.0, 1.0), SADDLE, True),
            ((0.1005379373241584, -2.644513585023125), SADDLE, True),
        ],
        False,
        True,
    ),
    (
        "three_hump_camel",
        "2*x^2 - 1.05*x^4 + x^6/6 + x*y + y^2",
        ["x", "y"],  # y = -x/2 and x*(x^4 - 4.2*x^2 + 3.5) = 0
        [
            ((0.0, 0.0), MIN, True),
            ((1.747552345830289, -0.8737761729151444), MIN, True),
            ((-1.747552345830289, 0.8737761729151444), MIN, True),
            ((1.070542291823660, -0.5352711459118300), SADDLE, True),
            ((-1.070542291823660, 0.5352711459118300), SADDLE, True),
        ],
        False,
        True,
    ),
    (
        "styblinski_tang_2d",
        "(x^4 - 16*x^2 + 5*x + y^4 - 16*y^2 + 5*y)/2",
        ["x", "y"],
        _styblinski_tang_points(2),
        False,
        True,
    ),
    (
        "styblinski_tang_3d",
        "(x^4 - 16*x^2 + 5*x + y^4 - 16*y^2 + 5*y + z^4 - 16*z^2 + 5*z)/2",
        ["x", "y", "z"],
        _styblinski_tang_points(3),
        False,
        True,
    ),
    # --- three and four variables -------------------------------------------------------------------------
    ("sphere_3d", "x^2 + y^2 + z^2", ["x", "y", "z"], [((0.0, 0.0, 0.0), MIN, True)], False, True),
    ("saddle_3d", "x^2 + y^2 - z^2", ["x", "y", "z"], [((0.0, 0.0, 0.0), SADDLE, True)], False, True),
    (
        "quadratic_xy_3d",
        "x^2 + y^2 + z^2 - x*y",
        ["x", "y", "z"],
        [((0.0, 0.0, 0.0), MIN, True)],
        False,
        True,
    ),
    ("pairwise_products", "x*y + y*z + z*x", ["x", "y", "z"], [((0.0, 0.0, 0.0), SADDLE, True)], False, True),
    (
        "cubic_3d",
        "x^3 + y^2 + z^2 - 3*x",
        ["x", "y", "z"],
        [((1.0, 0.0, 0.0), MIN, True), ((-1.0, 0.0, 0.0), SADDLE, True)],
        False,
        True,
    ),
    (
        "shifted_sphere_4d",
        "(w - 1)^2 + (x - 2)^2 + (y + 1)^2 + z^2",
        ["w", "x", "y", "z"],
        [((1.0, 2.0, -1.0, 0.0), MIN, True)],
        False,
        True,
    ),
]

_R2 = math.sqrt(2) / 2
_S17 = math.sqrt(17)
_S29 = math.sqrt(29)

CONSTRAINED: list[Constrained] = [
    ("product_on_line", "x*y", ["x + y = 10"], ["x", "y"], (25.0, [(5.0, 5.0)]), None),
    (
        "sum_on_circle",
        "x + y",
        ["x^2 + y^2 = 1"],
        ["x", "y"],
        (math.sqrt(2), [(_R2, _R2)]),
        (-math.sqrt(2), [(-_R2, -_R2)]),
    ),
    ("norm_on_line", "x^2 + y^2", ["x + y = 1"], ["x", "y"], None, (0.5, [(0.5, 0.5)])),
    (
        "ellipse_form_on_circle",
        "x^2 + 2*y^2",
        ["x^2 + y^2 = 1"],
        ["x", "y"],
        (2.0, [(0.0, 1.0), (0.0, -1.0)]),
        (1.0, [(1.0, 0.0), (-1.0, 0.0)]),
    ),
    (
        "difference_of_squares_on_circle",
        "x^2 - y^2",
        ["x^2 + y^2 = 4"],
        ["x", "y"],
        (4.0, [(2.0, 0.0), (-2.0, 0.0)]),
        (-4.0, [(0.0, 2.0), (0.0, -2.0)]),
    ),
    (
        "linear_on_ellipse",
        "2*x + y",
        ["x^2 + 4*y^2 = 4"],
        ["x", "y"],
        (_S17, [(8 / _S17, 1 / _S17)]),
        (-_S17, [(-8 / _S17, -1 / _S17)]),
    ),
    # Squared distance from (1, 2) to the line x + y = 1: the foot of the perpendicular is (0, 1).
    (
        "squared_distance_point_line",
        "(x - 1)^2 + (y - 2)^2",
        ["x + y = 1"],
        ["x", "y"],
        None,
        (2.0, [(0.0, 1.0)]),
    ),
    # Distance from the origin to the line 3x + 4y = 25.
    ("distance_origin_line", "sqrt(x^2 + y^2)", ["3*x + 4*y = 25"], ["x", "y"], None, (5.0, [(3.0, 4.0)])),
    (
        "xy_on_circle_expression",
        "x*y",
        ["x^2 + y^2 - 8"],  # an expression meaning x^2 + y^2 - 8 = 0
        ["x", "y"],
        (4.0, [(2.0, 2.0), (-2.0, -2.0)]),
        (-4.0, [(2.0, -2.0), (-2.0, 2.0)]),
    ),
    (
        "x2y_on_circle",
        "x^2*y",
        ["x^2 + y^2 = 3"],
        ["x", "y"],
        (2.0, [(math.sqrt(2), 1.0), (-math.sqrt(2), 1.0)]),
        (-2.0, [(math.sqrt(2), -1.0), (-math.sqrt(2), -1.0)]),
    ),
    # On x^3 + y^3 = 16 the product x*y is at most 4 (at (2, 2)) and unbounded below, so e^(xy) has infimum 0,
    # never attained.
    ("exp_xy_on_cubic", "e^(x*y)", ["x^3 + y^3 = 16"], ["x", "y"], (math.exp(4), [(2.0, 2.0)]), None),
    (
        "product_on_sphere",
        "x*y*z",
        ["x^2 + y^2 + z^2 = 3"],
        ["x", "y", "z"],
        (1.0, [(1.0, 1.0, 1.0), (1.0, -1.0, -1.0), (-1.0, 1.0, -1.0), (-1.0, -1.0, 1.0)]),
        (-1.0, [(-1.0, -1.0, -1.0), (-1.0, 1.0, 1.0), (1.0, -1.0, 1.0), (1.0, 1.0, -1.0)]),
    ),
    (
        "sum_on_sphere",
        "x + y + z",
        ["x^2 + y^2 + z^2 = 12"],
        ["x", "y", "z"],
        (6.0, [(2.0, 2.0, 2.0)]),
        (-6.0, [(-2.0, -2.0, -2.0)]),
    ),
    # The point (1, 1, 1) satisfies the Lagrange conditions (a constrained local maximum, value 1) and
    # (3, 0, 0), (0, 3, 0), (0, 0, 3) are constrained saddles, but on the whole plane x*y*z is unbounded both
    # ways (take x = y = t, z = 3 - 2t): no global extremum.
    ("product_on_plane_unbounded", "x*y*z", ["x + y + z = 3"], ["x", "y", "z"], None, None),
    # Two constraints: the ellipse where the plane x - y + z = 1 cuts the cylinder x^2 + y^2 = 1.
    (
        "plane_cylinder_linear",
        "x + 2*y + 3*z",
        ["x - y + z = 1", "x^2 + y^2 = 1"],
        ["x", "y", "z"],
        (3 + _S29, [(-2 / _S29, 5 / _S29, 1 + 7 / _S29)]),
        (3 - _S29, [(2 / _S29, -5 / _S29, 1 - 7 / _S29)]),
    ),
    # Two constraints: the point of the line x + y + z = 3, x - y = 1 nearest the origin.
    (
        "distance_origin_two_planes",
        "x^2 + y^2 + z^2",
        ["x + y + z = 3", "x - y = 1"],
        ["x", "y", "z"],
        None,
        (3.5, [(1.5, 0.5, 1.0)]),
    ),
]
