"""Benchmarks: `make bench` (python -m bench) runs each feature's `run()` and writes a JSON summary."""
