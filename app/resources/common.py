"""Schema pieces and helpers shared by several resources."""

import json
import re
from typing import Any, Dict, List

import marshmallow as ma

from events.topics import mqtt_string_error, topic_error

NAME_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
NAME_RULE = "1-64 letters, digits, '-', '_' or '.'"


def _whole_name(value: str) -> None:
    """The pattern's '$' also matches before a final newline; a name is the whole string."""
    if not re.fullmatch(NAME_PATTERN[1:-1], value):
        raise ma.ValidationError(f"must be {NAME_RULE}")


def name_field(description: str = "", **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(
        validate=[ma.validate.Regexp(NAME_PATTERN, error=f"must be {NAME_RULE}"), _whole_name],
        metadata={"description": f"{description} ({NAME_RULE})".strip()},
        **kwargs,
    )


MAX_METADATA_DEPTH = 8


def json_depth(value: Any) -> int:
    """How deeply `value` nests lists and objects (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, (list, tuple)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def validate_metadata(value: Dict[str, Any]) -> None:
    if len(value) > 32:
        raise ma.ValidationError("at most 32 keys")
    if json_depth(value) > MAX_METADATA_DEPTH:
        raise ma.ValidationError(f"at most {MAX_METADATA_DEPTH} levels of nested objects and lists")
    if len(json.dumps(value)) > 4096:
        raise ma.ValidationError("at most 4096 bytes once JSON-encoded")


def metadata_field(**kwargs: Any) -> ma.fields.Dict:
    return ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(min=1, max=64)),
        validate=validate_metadata,
        metadata={"description": "Free-form JSON object (at most 32 keys, 4 KiB, 8 levels deep)"},
        **kwargs,
    )


def topic_validator(*, wildcards: bool, placeholders: bool = False) -> Any:
    def validate(topic: str) -> None:
        error = topic_error(topic, wildcards=wildcards, placeholders=placeholders)
        if error:
            raise ma.ValidationError(error)

    return validate


def mqtt_string(value: str) -> None:
    """Validator: the value can travel as an MQTT UTF-8 string."""
    error = mqtt_string_error(value)
    if error:
        raise ma.ValidationError(error)


def timestamps(aggregate: Any) -> Dict[str, Any]:
    return {"created_at": aggregate.created_on, "updated_at": aggregate.modified_on}


def creation_order(item: Dict[str, Any]) -> List[str]:
    """Sort key for listing presented items oldest first; ties broken by id."""
    return [item["created_at"].isoformat(), item["id"]]


class TimestampedSchema(ma.Schema):
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)
