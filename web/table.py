"""A sortable, paged table whose state travels in its links' query string.

/applications and /people page and sort the same way; the links of the column headers and
of the pager are made here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode


def bounded_int(raw: str, default: int, low: int, high: int) -> int:
    """A number from a query string, clamped; anything else is the default."""
    return min(max(int(raw), low), high) if raw.isdigit() and len(raw) < 9 else default


def link(path: str, query: dict[str, str], **changes: str) -> str:
    merged = {**query, **changes}
    return f"{path}?" + urlencode({k: v for k, v in merged.items() if v})


def navigation(
    path: str, query: dict[str, str], sorts: Iterable[str], *, page: int, page_size: int,
    shown: int, total: int,
) -> dict[str, Any]:
    """The template's sort links (a second click reverses), rows shown and the pager."""
    first = (page - 1) * page_size + 1
    return {
        "sorts": {key: link(path, query, sort=key, page="1",
                            dir="desc" if query["sort"] == key and query["dir"] == "asc" else "asc")
                  for key in sorts},
        "first": first,
        "last": first + shown - 1,
        "previous": link(path, query, page=str(page - 1)) if page > 1 else None,
        "next": link(path, query, page=str(page + 1)) if first + shown - 1 < total else None,
    }
