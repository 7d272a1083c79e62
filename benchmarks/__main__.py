"""Run every benchmark module of this package (or those named) and print their results as one table."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

import benchmarks


def discover() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(benchmarks.__path__) if not info.name.startswith("_"))


def table(results: dict[str, dict[str, Any]]) -> str:
    rows = [("benchmark", "metric", "value")]
    for name, result in results.items():
        for metric, value in result.items():
            rows.append((name, metric, f"{value:.3f}" if isinstance(value, float) else str(value)))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    available = discover()
    names = list(argv) or available
    unknown = [name for name in names if name not in available]
    if unknown:
        print(f"benchmarks: unknown benchmark {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        if not hasattr(module, "run"):
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = module.run()
    print(table(results))
    return 1 if any(result.get("passed") is False for result in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
