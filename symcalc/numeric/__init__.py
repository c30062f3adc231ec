"""Numbers: compiled NumPy functions, objectives over data, optax-style update rules, minimize, regression.

``compile`` (-> ``CompiledFunction``), ``data`` (sums over data lowered to arrays), ``updates`` (update rules
and the descent loop on plain callables: nothing here knows SymPy), ``minimize`` (the public ``minimize``,
``suggest_lr`` and the check against critical points), ``regression``.
"""
