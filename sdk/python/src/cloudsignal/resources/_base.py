"""What every resource shares: the transport, path quoting, optional fields, list pages."""

from __future__ import annotations

from typing import Any, Mapping, Optional
from urllib.parse import quote

from cloudsignal._http import HttpClient
from cloudsignal.pagination import Page


class NotGiven:
    """Marks an argument that was not passed, so that ``None`` can mean "clear this field"."""

    _instance: Optional["NotGiven"] = None

    def __new__(cls) -> "NotGiven":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


def fields(**values: Any) -> dict[str, Any]:
    """A request body of the arguments that were given."""
    return {name: value for name, value in values.items() if value is not NOT_GIVEN}


def segment(value: str) -> str:
    """A path segment, quoted (usernames and names may hold dots; ids never need it)."""
    return quote(value, safe="")


class Resource:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def _page(self, path: str, params: Mapping[str, Any], limit: Optional[int], cursor: Optional[str]) -> Page[Any]:
        def fetch(next_cursor: Optional[str]) -> Page[Any]:
            body = self._http.request("GET", path, params={**params, "limit": limit, "cursor": next_cursor})
            return Page(body, fetch)

        return fetch(cursor)
