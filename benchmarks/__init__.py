"""Benchmarks and the detection evaluation (run as scripts from the repository root)."""
