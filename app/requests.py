"""Per-request plumbing: request ids, and refusing bodies that are not JSON before any view runs."""

import json
import re

from flask import Flask, Response, g, request

from app.errors import ApiError
from events.ids import BASE62, random_string

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# No request body of this API nests deeper; a deeper one would only exhaust the parsers' stacks.
MAX_BODY_DEPTH = 32
_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _depth(body: bytes) -> int:
    """The deepest nesting of '[' and '{' in a JSON text (strings skipped), in one linear pass."""
    depth = deepest = 0
    for token in _STRUCTURE.finditer(body):
        char = token.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def install_request_hooks(app: Flask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else "req_" + random_string(BASE62, 20)

    @app.before_request
    def require_json_body() -> None:
        if request.method not in ("POST", "PUT", "PATCH") or not request.get_data(cache=True):
            return
        if not request.is_json:
            raise ApiError(
                400,
                f"send the body as JSON with 'Content-Type: application/json', not {request.mimetype or 'no type'!r}",
                "invalid_content_type",
            )
        body = request.get_data(cache=True)
        if _depth(body) > MAX_BODY_DEPTH:
            raise ApiError(400, f"the request body nests more than {MAX_BODY_DEPTH} levels of objects and lists",
                           "invalid_json")
        try:
            json.loads(body)
        except (ValueError, RecursionError) as error:
            raise ApiError(400, f"the request body is not valid JSON: {error}", "invalid_json") from None

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        window = g.get("rate_limit")
        if window is not None:
            response.headers["X-RateLimit-Limit"] = str(window.limit)
            response.headers["X-RateLimit-Remaining"] = str(window.remaining)
            response.headers["X-RateLimit-Reset"] = str(window.reset)
        return response
