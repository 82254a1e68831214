"""Payloads: what ``publish`` sends and what handlers receive."""

from __future__ import annotations

import json
from typing import Any, Optional

JSON_CONTENT_TYPE = "application/json"


def encode(payload: Any) -> tuple[bytes, Optional[str]]:
    """Bytes to send, and the MQTT 5 content type they deserve (JSON values only).

    dict, list, numbers and booleans are sent as JSON; str as UTF-8 text; bytes as they are;
    None as an empty payload.
    """
    if payload is None:
        return b"", None
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload), None
    if isinstance(payload, str):
        return payload.encode("utf-8"), None
    if isinstance(payload, (dict, list, tuple, int, float, bool)):
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), JSON_CONTENT_TYPE
    raise TypeError(f"cannot publish a {type(payload).__name__}: pass dict, list, str or bytes")


def decode(data: bytes, content_type: Optional[str] = None) -> Any:
    """The JSON value when the payload is JSON, else the text when it is UTF-8, else the bytes.

    A content type that is not JSON (``text/plain``) keeps a JSON-looking text as text.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    if content_type and "json" not in content_type.lower():
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
