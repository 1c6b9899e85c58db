"""Adapter discovery and config strings."""
