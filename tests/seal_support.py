"""Sealed decisions in tests that are about the workflow, not about identity: bench/sealing.py's
client codec (the benchmarks use the same)."""

from bench.sealing import SealingTestCodec, sealing_data_converter

__all__ = ["SealingTestCodec", "sealing_data_converter"]
