"""The conformance suites, one module per area of the behaviour contract."""
