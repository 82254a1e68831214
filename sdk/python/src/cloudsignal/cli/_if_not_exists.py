"""``--if-not-exists`` for create commands, so that deploy scripts can run again.

The same resource already there: exit 0 and print it (nothing changes). One with the same name
(or, for rules, the same topic, action and user) but different settings: exit 1 with the error
``exists_with_different_settings`` and the differing fields in ``detail``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, TypeVar

import click

from cloudsignal.cli._context import Failure
from cloudsignal.cli._output import note

F = TypeVar("F", bound=Callable[..., Any])


def if_not_exists_option(function: F) -> F:
    return click.option(
        "--if-not-exists", is_flag=True,
        help="Exit 0 when the same resource already exists (it is printed, nothing changes); exit 1 when one "
             "exists with different settings.")(function)


def differences(existing: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The wanted settings (those given, not None) that the existing resource does not have."""
    return {name: {"existing": existing.get(name), "wanted": value}
            for name, value in wanted.items() if value is not None and existing.get(name) != value}


def same_or_fail(what: str, existing: Any, wanted: Mapping[str, Any], ignored: Optional[str] = None) -> Any:
    """`existing` when it has every wanted setting; otherwise a Failure naming the differences."""
    found = differences(existing, wanted)
    if found:
        raise Failure(f"{what} already exists with different settings: {', '.join(found)}",
                      code="exists_with_different_settings", detail=found)
    note(f"{what} already exists with the same settings; nothing changed." + (f" ({ignored})" if ignored else ""))
    return existing
