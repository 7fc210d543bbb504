"""Benchmarks of the records store (run from the repository root with `python -m bench....`)."""
