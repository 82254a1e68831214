"""Project subclasses of flask-smorest's Api and Blueprint.

- Validation errors are 400 (never 422) in the project's error shape.
- `Blueprint.auth(scope)` authenticates the API key, enforces its scope, answers a POST's
  `Idempotency-Key` (app/idempotency.py), records the actor on every event the view triggers, and
  documents the security requirement and the 401/403 replies.
- The OpenAPI document is served as `app.openapi.enrich()` finishes it (operationIds, errors,
  headers, examples, servers; no `/internal` routes on the public instance).
"""

import functools
import http
import json
from typing import Any, Callable, Dict, Optional, ParamSpec, TypeVar, cast

import flask_smorest
from flask import Flask, Response, current_app, g, request
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from app import idempotency, openapi
from app.auth import authenticate, presented_key
from app.errors import ErrorSchema, error_body
from events.context import acting_as

P = ParamSpec("P")
View = TypeVar("View", bound=Callable[..., Any])


class Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400

    def _handle_invalid_json_error(self, error: Exception, req: Any, *args: Any, **kwargs: Any) -> Any:
        flask_smorest.abort(400, message="the request body is not valid JSON", code="invalid_json")


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().init_app(app, *args, **kwargs)
        app.extensions["cloudsignal.openapi"] = self
        domain = app.extensions.get("cloudsignal")
        idempotency.install(app, domain.env if domain is not None else {})
        if app.config.get("ROLE", "public") == "public":
            from app import docs, llms

            app.register_blueprint(docs.blp)
            app.register_blueprint(llms.blp)

    def document(self) -> Dict[str, Any]:
        """The finished OpenAPI document (built once, after every blueprint is registered)."""
        cached = getattr(self, "_document", None)
        if cached is None:
            cached = self._document = openapi.enrich(self.spec.to_dict(), current_app.config.get("ROLE", "public"))
        return cached

    def _openapi_json(self) -> Response:
        document = {**self.document(), "servers": [
            {"url": request.url_root.rstrip("/"), "description": "The deployment serving this document"}]}
        return current_app.response_class(json.dumps(document, indent=2), mimetype="application/json")

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

    def auth(self, scope: Optional[str], public: bool = False) -> Callable[[Callable[P, Any]], Callable[P, Any]]:
        """Require an API key with `scope` (None: any secret or restricted key).

        `public=True` also admits public (`pk_`) keys.
        """

        def decorator(view: Callable[P, Any]) -> Callable[P, Any]:
            @functools.wraps(view)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                key = authenticate(scope, public)
                replay = idempotency.begin(key.key_id, presented_key() or "")
                if replay is not None:
                    return replay
                with acting_as(key.key_id, g.request_id):
                    return view(*args, **kwargs)

            documented = self.doc(
                security=[{"bearerAuth": []}, {"secretKeyHeader": []}],
                **({"x-required-scope": scope} if scope else {}),
                **({"x-public-key": True} if public else {}),
            )(wrapper)
            documented = self.alt_response(401, response="UNAUTHORIZED")(documented)
            documented = self.alt_response(429, response="TOO_MANY_REQUESTS")(documented)
            documented = self.alt_response(403, response="FORBIDDEN")(documented)
            # flask-smorest's doc decorators are untyped; they return `wrapper` with documentation attached
            return cast(Callable[P, Any], documented)

        return decorator

    def errors(self, *statuses: int) -> Callable[[View], View]:
        """Document further error replies a view can give."""

        def decorator(view: View) -> View:
            for status in statuses:
                # flask-smorest's alt_response is untyped; it returns the view with documentation attached
                view = cast(View, self.alt_response(status, response=http.HTTPStatus(status).name)(view))
            return view

        return decorator
