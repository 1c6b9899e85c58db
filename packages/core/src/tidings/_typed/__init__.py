"""Typed events: Pydantic models and dataclasses as event types, with upcasting."""
