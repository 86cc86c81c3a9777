"""Tests of the benchmarks' own computations: the only tests that import `bench`."""
