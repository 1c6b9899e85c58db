"""The ``tidings`` command line, in its own distribution so that ``tidings-core`` stays
free of click. The entry point is :data:`tidings_cli.main.cli`."""

from __future__ import annotations

__all__: list[str] = []
