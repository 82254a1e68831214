"""Option parsing helpers shared by commands."""

from __future__ import annotations

import json
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
