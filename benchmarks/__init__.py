"""Benchmarks: each entry point answers one question and writes JSON + a markdown table."""
