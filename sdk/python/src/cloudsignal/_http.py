"""The REST transport: one requests session, JSON in and out, errors mapped to the tree in
:mod:`cloudsignal.errors`, retries with backoff and jitter on 429, 5xx and connection errors."""

from __future__ import annotations

import logging
import random
import time
from typing import Any, Mapping, Optional

import requests

from cloudsignal._version import __version__
from cloudsignal.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    error_for_status,
    parse_retry_after,
)

log = logging.getLogger("cloudsignal")

DEFAULT_API_URL = "http://127.0.0.1:8080"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_WAIT = 60.0  # by default, a longer Retry-After is raised, not slept through


class HttpClient:
    """Sends requests to ``base_url`` with ``Authorization: Bearer <api_key>``."""

    def __init__(
        self,
        api_key: Optional[str],
        base_url: str,
        timeout: float = 30.0,
        max_retries: int = 2,
        session: Optional[requests.Session] = None,
        max_retry_wait: float = MAX_RETRY_WAIT,
    ) -> None:
        self.api_key = api_key
        self.max_retry_wait = max_retry_wait
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"cloudsignal-python/{__version__}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Optional[Mapping[str, Any]] = None,
    ) -> Any:
        """Send one request; return the decoded JSON body (None for 204) or raise an APIError."""
        return decode(self.send(method, path, json=json, params=params))

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        stream: bool = False,
        timeout: Any = None,
    ) -> requests.Response:
        """Send a request, retrying as the class says; return the successful response (a
        ``stream`` one is open: close it) or raise an APIError."""
        url = self.base_url + path
        sent = {"Accept": "application/json", **(headers or {})}
        if self.api_key:
            sent["Authorization"] = f"Bearer {self.api_key}"
        query = {name: value for name, value in (params or {}).items() if value is not None}
        attempt = 0
        while True:
            try:
                # verify given explicitly: requests lets REQUESTS_CA_BUNDLE override a session's CA file
                response = self.session.request(method, url, json=json, params=query, headers=sent,
                                                stream=stream, timeout=timeout or self.timeout,
                                                verify=self.session.verify)
            except requests.Timeout as error:
                failure: APIError = APITimeoutError(f"no reply from {self.base_url} within {self.timeout}s")
                failure.__cause__ = error
                wait = None
            except requests.RequestException as error:
                failure = APIConnectionError(f"cannot reach {self.base_url}: {reason_of(error)}")
                failure.__cause__ = error
                wait = None
            else:
                if response.status_code < 400:
                    return response
                failure = to_error(response)
                response.close()
                if response.status_code not in RETRY_STATUSES:
                    raise failure
                wait = retry_wait(response)
            if attempt >= self.max_retries or (wait is not None and wait > self.max_retry_wait):
                raise failure
            delay = wait if wait is not None else backoff(attempt)
            log.info("%s %s failed (%s); retrying in %.2fs", method, path, failure, delay)
            time.sleep(delay)
            attempt += 1


def decode(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def to_error(response: requests.Response) -> APIError:
    """The APIError subclass for an error reply, with the service's code, message and detail."""
    body = decode(response)
    if isinstance(body, dict) and "message" in body:
        message, code = str(body["message"]), body.get("error")
        detail, request_id = body.get("detail"), body.get("request_id")
    else:
        message, code, detail = f"HTTP {response.status_code}: {str(body or response.reason)[:200]}", None, None
        request_id = None
    return error_for_status(response.status_code)(
        message,
        status=response.status_code,
        code=code,
        detail=detail,
        request_id=request_id or response.headers.get("X-Request-Id"),
        headers=response.headers,
    )


def retry_wait(response: requests.Response) -> Optional[float]:
    """What the service asked us to wait: ``Retry-After``, else ``X-RateLimit-Reset`` on a 429."""
    wait = parse_retry_after(response.headers.get("Retry-After"))
    if wait is None and response.status_code == 429:
        reset = response.headers.get("X-RateLimit-Reset")
        try:
            wait = max(0.0, float(reset) - time.time()) if reset else None
        except ValueError:
            wait = None
    return wait


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: 0.5 s, 1 s, 2 s ... capped at 8 s."""
    return random.uniform(0, min(8.0, 0.5 * 2**attempt)) + 0.1


def reason_of(error: requests.RequestException) -> str:
    """The innermost, most readable cause of a requests failure."""
    cause: BaseException = error
    while cause.__context__ is not None and cause.__context__ is not cause:
        cause = cause.__context__
    text = str(cause) or type(cause).__name__
    return text if len(text) < 200 else text[:200] + "..."
