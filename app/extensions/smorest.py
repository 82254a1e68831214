"""Project subclasses of flask-smorest's Api and Blueprint.

- Validation errors are 400 (never 422) in the project's error shape.
- `Blueprint.auth(scope)` authenticates the API key, enforces its scope, records the actor on
  every event the view triggers, and documents the security requirement and the 401/403 replies.
"""

import functools
import http
from typing import Any, Callable, Optional

import flask_smorest
from flask import g, request
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from app.auth import authenticate
from app.errors import ErrorSchema, error_body
from events.context import acting_as


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400

    def _handle_invalid_json_error(self, error: Exception, req: Any, *args: Any, **kwargs: Any) -> Any:
        flask_smorest.abort(400, message="the request body is not valid JSON", code="invalid_json")


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        data = getattr(error, "data", None) or {}
        status = error.code or 500
        detail = data.get("errors") or data.get("messages")
        if isinstance(detail, dict) and set(detail) <= {"json", "query", "view_args"}:
            # webargs keys errors by location; one location is noise to the caller
            detail = next(iter(detail.values())) if len(detail) == 1 else detail
        if "message" in data:
            message = data["message"]
        elif detail:
            message = "the request is invalid; see detail"
        elif status in (404, 405):
            message = f"{http.HTTPStatus(status).phrase}: {request.method} {request.path}"
        else:
            message = error.description or http.HTTPStatus(status).phrase
        return error_body(status, message, data.get("code"), detail), status, data.get("headers", {})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def auth(self, scope: Optional[str], public: bool = False) -> Callable[[Callable], Callable]:
        """Require an API key with `scope` (None: any secret or restricted key).

        `public=True` also admits public (`pk_`) keys.
        """

        def decorator(view: Callable) -> Callable:
            @functools.wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                key = authenticate(scope, public)
                with acting_as(key.key_id, g.request_id):
                    return view(*args, **kwargs)

            documented = self.doc(
                security=[{"bearerAuth": []}, {"secretKeyHeader": []}],
                **({"x-required-scope": scope} if scope else {}),
            )(wrapper)
            documented = self.alt_response(401, response="UNAUTHORIZED")(documented)
            documented = self.alt_response(429, response="TOO_MANY_REQUESTS")(documented)
            return self.alt_response(403, response="FORBIDDEN")(documented)

        return decorator

    def errors(self, *statuses: int) -> Callable[[Callable], Callable]:
        """Document further error replies a view can give."""

        def decorator(view: Callable) -> Callable:
            for status in statuses:
                view = self.alt_response(status, response=http.HTTPStatus(status).name)(view)
            return view

        return decorator
