"""Output: the API's JSON with ``--json``, readable tables and records otherwise; data on
stdout, messages on stderr, styles only on a terminal."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, TypeVar

import click

from cloudsignal.cli._context import state

F = TypeVar("F", bound=Callable[..., Any])

Column = tuple[str, Callable[[Mapping[str, Any]], Any]]


def json_option(function: F) -> F:
    """``--json``: print the API's JSON on stdout."""
    return click.option("--json", "as_json", is_flag=True, help="Print the API's JSON on stdout.")(function)


def list_options(function: F) -> F:
    """``--limit``, ``--cursor``, ``--all`` and ``--json`` for list commands."""
    function = click.option("--all", "fetch_all", is_flag=True, help="Fetch every page.")(function)
    function = click.option("--cursor", help="Continue from this cursor (printed after a partial list).")(function)
    function = click.option("--limit", type=click.IntRange(1, 500), help="Items per page (1-500, default 50).")(function)
    return json_option(function)


def out(text: str = "") -> None:
    env = state().env
    click.echo(text, file=env.stdout, color=env.colour)


def note(text: str) -> None:
    """A message for the person at the terminal (stderr)."""
    click.echo(text, file=state().env.stderr)


def print_json(value: Any) -> None:
    out(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(cell(item) for item in value) or "-"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def field(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda item: item.get(name)


def print_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], empty: str = "Nothing to show.") -> None:
    """Aligned columns with a header; a note on stderr when there are no rows."""
    table = [[cell(get(row)) for _, get in columns] for row in rows]
    if not table:
        note(empty)
        return
    headers = [title for title, _ in columns]
    widths = [max(len(text) for text in column) for column in zip(headers, *table)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(value.ljust(width) for value, width in zip(values, widths)).rstrip()

    out(click.style(line(headers), bold=True))
    for values in table:
        out(line(values))


def print_record(record: Mapping[str, Any], fields: Optional[Sequence[str]] = None) -> None:
    """One item as ``name: value`` lines."""
    names = [name for name in (fields or list(record)) if name in record]
    if not names:
        return
    width = max(len(name) for name in names)
    for name in names:
        out(f"{click.style(name.ljust(width), bold=True)}  {cell(record[name])}")


def print_list(page: Any, columns: Sequence[Column], as_json: bool, fetch_all: bool, empty: str) -> None:
    """A page (or every page with ``--all``) as JSON or a table; the next cursor on stderr."""
    body: dict[str, Any] = {"data": list(page), "next_cursor": None} if fetch_all else page.to_dict()
    if as_json:
        print_json(body)
        return
    print_table(body["data"], columns, empty)
    if body["next_cursor"]:
        note(f"More results: add --cursor {body['next_cursor']} (or --all).")


def done(as_json: bool, message: str, body: Any = None) -> None:
    """A mutation without a reply body: a JSON object on stdout, or a message on stderr."""
    if as_json:
        print_json(body if body is not None else {"ok": True})
    else:
        note(message)
