"""Benchmarks: ratios of a candidate against a baseline measured in the same run."""
