"""How one kind of class becomes JSON and comes back: Pydantic v2 models and dataclasses.

Pydantic is optional: a model is recognised by its methods, so this module never imports
Pydantic, and a dataclass-only application does not need it installed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from tidings._model.jsonvalues import JsonValue, decode_json, normalise_json
from tidings.errors import ValidationError

__all__ = ["Codec", "codec_for", "is_pydantic_model", "state_to_json"]


class Codec(Protocol):
    """Turns instances of one class into JSON values and back."""

    def dump(self, instance: Any, field: str) -> JsonValue:
        """The instance as a JSON value (ValidationError naming ``field`` if it is not)."""
        ...

    def load_json(self, text: str) -> Any:
        """An instance from JSON text (Pydantic validates the text itself)."""
        ...

    def load(self, value: JsonValue) -> Any:
        """An instance from a JSON value (after upcasting)."""
        ...


def is_pydantic_model(kind: object) -> bool:
    """Whether ``kind`` is a Pydantic v2 model class (told by its methods, not by import)."""
    return isinstance(kind, type) and all(
        callable(getattr(kind, method, None))
        for method in ("model_validate_json", "model_validate", "model_dump")
    )


class PydanticCodec:
    """A Pydantic v2 model: ``model_dump(mode="json")`` out, ``model_validate_json`` in."""

    __slots__ = ("kind", "load_json")

    def __init__(self, kind: Any) -> None:
        self.kind = kind
        # The model's own validator, called directly: what model_validate_json calls,
        # without the per-call overhead of the class method.
        validator = getattr(kind, "__pydantic_validator__", None)
        validate = getattr(validator, "validate_json", None)
        self.load_json: Callable[[str], Any] = (
            validate if callable(validate) else kind.model_validate_json
        )

    def dump(self, instance: Any, field: str) -> JsonValue:
        return normalise_json(instance.model_dump(mode="json"), field)

    def load(self, value: JsonValue) -> Any:
        return self.kind.model_validate(value)


class DataclassCodec:
    """A standard dataclass whose fields hold JSON values (nested dataclasses included):
    ``dataclasses.asdict`` out, the constructor in. Richer field types need Pydantic."""

    __slots__ = ("kind",)

    def __init__(self, kind: type) -> None:
        self.kind = kind

    def dump(self, instance: Any, field: str) -> JsonValue:
        return normalise_json(dataclasses.asdict(instance), field)

    def load_json(self, text: str) -> Any:
        return self.load(decode_json(text))

    def load(self, value: JsonValue) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f"expected a JSON object for {self.kind.__name__}, got {value!r}")
        return self.kind(**value)


def codec_for(kind: object, field: str = "type") -> Codec:
    """The codec of an event or state class; ValidationError for any other class."""
    if is_pydantic_model(kind):
        return PydanticCodec(kind)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return DataclassCodec(kind)
    raise ValidationError(
        field,
        f"must be a Pydantic v2 model or a dataclass, got {getattr(kind, '__name__', kind)!r}",
    )


def state_to_json(state: Any) -> Any:
    """A projection state as JSON: models and dataclasses become dicts; others pass."""
    kind = type(state)
    if is_pydantic_model(kind):
        return state.model_dump(mode="json")
    if dataclasses.is_dataclass(kind):
        return dataclasses.asdict(state)
    return state
