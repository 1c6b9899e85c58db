"""Entry point module: registers ``memory://`` exactly as a third-party plugin would."""

from __future__ import annotations

from tidings.adapters import (
    AdapterRegistrar,
    hookimpl,
)


@hookimpl
def tidings_register_adapters(register: AdapterRegistrar) -> None:
    register(
        "memory",
        "tidings_memory.adapter:MemoryAdapter",
        install_hint="pip install tidings-memory",
    )
