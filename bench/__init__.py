"""Benchmarks: one module per benchmark, each with `run() -> Section`; `python -m bench`
runs them and writes docs/benchmarks.md."""
