"""Cursor pagination over in-memory projections: `?limit=&cursor=` -> `{data, next_cursor}`."""

import base64
import binascii
import json
from typing import Any, Callable, Dict, List, Optional, Sequence, Type

import marshmallow as ma

from app.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class ListArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page (1-{MAX_LIMIT})"},
    )
    cursor = ma.fields.String(
        load_default=None, metadata={"description": "`next_cursor` of the previous page"}
    )


def page_schema(item_schema: Type[ma.Schema], name: str) -> Type[ma.Schema]:
    """A `{data: [item], next_cursor}` schema for `item_schema`."""
    return ma.Schema.from_dict(
        {
            "data": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next_cursor": ma.fields.String(
                allow_none=True, required=True, metadata={"description": "null on the last page"}
            ),
        },
        name=name,
    )


def paginate(
    items: Sequence[Any], sort_key: Callable[[Any], List[Any]], limit: int, cursor: Optional[str]
) -> Dict[str, Any]:
    """One page of `items` ordered by `sort_key` (JSON-serialisable and unique), after `cursor`."""
    ordered = sorted(items, key=sort_key)
    if cursor is not None:
        after = _decode(cursor)
        if ordered and not _same_shape(after, sort_key(ordered[0])):
            raise _invalid_cursor()
        ordered = [item for item in ordered if sort_key(item) > after]
    page = ordered[:limit]
    more = len(ordered) > limit
    return {"data": page, "next_cursor": _encode(sort_key(page[-1])) if more else None}


def _encode(key: List[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode(cursor: str) -> List[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        key = None
    if not isinstance(key, list) or not key or not all(isinstance(part, str) for part in key):  # keys are text
        raise _invalid_cursor()
    return key


def _same_shape(cursor: List[Any], key: List[Any]) -> bool:
    """A cursor compares with the sort keys only when it has their length and types."""
    return len(cursor) == len(key) and all(type(a) is type(b) for a, b in zip(cursor, key))


def _invalid_cursor() -> ApiError:
    return ApiError(400, "invalid cursor: pass next_cursor from the previous page", "invalid_cursor",
                    {"cursor": ["invalid"]})

