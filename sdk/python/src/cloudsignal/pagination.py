"""Cursor pagination: one page of a list, and iteration over every item of every page."""

from __future__ import annotations

from typing import Any, Callable, Generic, Iterator, Optional, TypeVar

T = TypeVar("T")


class Page(Generic[T]):
    """One page of a list reply (``{"data": [...], "next_cursor": ...}``).

    ``page.data`` holds this page's items. Iterating a page walks every item of this page and of
    the pages after it, fetching them as needed::

        page = api.users.list(limit=100)   # one request
        print(len(page.data), page.next_cursor)
        for user in api.users.list():      # as many requests as there are pages
            print(user["mqtt_username"])
    """

    def __init__(self, body: Any, fetch_next: Callable[[str], "Page[T]"]) -> None:
        self.data: list[T] = list(body.get("data") or [])
        self.next_cursor: Optional[str] = body.get("next_cursor")
        self._fetch_next = fetch_next

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None

    def next_page(self) -> Optional["Page[T]"]:
        """The following page, or None on the last one."""
        return self._fetch_next(self.next_cursor) if self.next_cursor else None

    def iter_pages(self) -> Iterator["Page[T]"]:
        """This page and each following one."""
        page: Optional[Page[T]] = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data

    def to_dict(self) -> dict[str, Any]:
        """The API's JSON for this page."""
        return {"data": self.data, "next_cursor": self.next_cursor}

    def __repr__(self) -> str:
        return f"Page({len(self.data)} items, next_cursor={self.next_cursor!r})"
