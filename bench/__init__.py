"""Fangkong benchmarks: run them with bench/run (see docs/benchmarks.md)."""
