"""Option parsing helpers shared by commands."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import click


def json_value(text: Optional[str], what: str) -> Any:
    """A JSON argument given inline or as ``@file``; a usage error (exit 2) when it is not JSON."""
    if text is None:
        return None
    try:
        source = Path(text[1:]).read_text() if text.startswith("@") else text
    except OSError as error:
        raise click.BadParameter(f"cannot read {text[1:]}: {error.strerror}", param_hint=what) from None
    try:
        return json.loads(source)
    except ValueError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint=what) from None


def moment(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[str]:
    """Option callback for an ISO 8601 time with a zone (``2025-01-31T12:00:00Z``, ``...+02:00``):
    passed on as ISO 8601; anything else is a usage error (exit 2)."""
    if value is None:
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time, e.g. 2025-01-31T12:00:00Z") from None
    if parsed.utcoffset() is None:
        raise click.BadParameter(f"{value!r} has no time zone: add Z or an offset such as +02:00")
    return parsed.isoformat()
