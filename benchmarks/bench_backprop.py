"""The backward pass is O(N): time per graph node as the number of inputs grows (n = 10 to 1,000).

Run: ``python benchmarks/bench_backprop.py``. For f = sum_i (x_i - i)^2 + (sum_i x_i)^2 it prints, per n, the
number of nodes, the time of ``symcalc.backprop``'s passes per node (building the graph excluded), and, where
PyTorch is installed, ``loss.backward()`` on the same function for comparison (not a dependency).
"""

from __future__ import annotations

import time

import numpy as np
import sympy

import symcalc as sc
from symcalc import _backprop as bp


def main() -> None:
    for n in (10, 100, 1000):
        xs = sympy.symbols(f"x1:{n + 1}", real=True)
        f = sum((x - i) ** 2 for i, x in enumerate(xs, 1)) + sum(xs) ** 2
        g = sc.graph(f, list(xs))
        at = {x.name: 0.5 for x in xs}
        start = time.perf_counter()
        values = bp._forward_values(g, at)
        adj = {g.output: 1.0}
        for node in reversed(g.nodes):
            if node.inputs and node.id in adj:
                local = bp._locals(node, [values[i] for i in node.inputs], values[node.id])
                for k, i in enumerate(node.inputs):
                    adj[i] = adj.get(i, 0.0) + adj[node.id] * local[k]
        elapsed = time.perf_counter() - start
        line = f"n = {n:5d}: {len(g.nodes):6d} nodes, passes {elapsed * 1e3:8.2f} ms, {elapsed / len(g.nodes) * 1e6:6.2f} us/node"
        try:
            import torch

            t = torch.full((n,), 0.5, dtype=torch.float64, requires_grad=True)
            idx = torch.arange(1, n + 1, dtype=torch.float64)
            start = time.perf_counter()
            loss = ((t - idx) ** 2).sum() + t.sum() ** 2
            loss.backward()
            line += f"; torch backward {1e3 * (time.perf_counter() - start):.3f} ms"
        except ImportError:
            pass
        grad = np.array([adj.get(i, 0.0) for i in range(n)])
        assert np.allclose(grad, 2 * (0.5 - np.arange(1, n + 1)) + 2 * 0.5 * n)
        print(line)


if __name__ == "__main__":
    main()
