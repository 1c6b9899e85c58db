"""Benchmarks for tidings, beside eventsourcing and the raw drivers, in one run.

Run ``python -m tidings_bench --help`` (or ``tox -e bench -- --help``).
"""
