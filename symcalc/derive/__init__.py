"""Derivation: the rule engine and its verified traces, and everything built on derivatives.

``steps`` (the trace and the rule catalogue), ``rules`` (the engine), ``verify`` (every node against SymPy),
``derivative`` (the public entry points), ``tidy`` (final forms), ``conditions`` (domains and kinks),
``multivariable`` (gradients, Jacobians, Hessians), ``critical`` (critical points), ``lagrange`` (constrained
extrema). Nothing here imports ``render`` at module level, nor anything numeric but the compiled Hessian
that the critical-point search borrows inside a function.
"""
