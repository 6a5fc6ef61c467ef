"""Benchmarks (BENCHMARKS.md): each takes a size, and prints its figure beside a baseline."""
