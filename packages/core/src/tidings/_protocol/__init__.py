"""The adapter protocol and the I/O-free helpers every adapter shares."""
