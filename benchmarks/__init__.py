"""Benchmarks: each module here with a ``run() -> dict`` function is one benchmark.

``python -m benchmarks`` (``make bench``) runs them all and prints one table; pass module
names to run only those. A result with ``"passed": False`` makes the run exit 1.
"""
