"""The public OpenAPI document as an agent or a generator reads it: valid (openapi-spec-validator),
every route in it with an operationId, a scope, its errors and an example for every body (each
example valid against its schema), rate-limit headers, servers, and no broker-only route."""

import re
from typing import Any, Dict, Iterator, Tuple

import pytest
import requests
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from openapi_spec_validator import validate

from tests.support.processes import Service

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def document(service: Service) -> Dict[str, Any]:
    reply = requests.get(f"{service.url}/v2/openapi.json", timeout=10)
    assert reply.status_code == 200
    return reply.json()


def operations(document: Dict[str, Any]) -> Iterator[Tuple[str, str, Dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(document: Dict[str, Any], node: Dict[str, Any]) -> Dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_broker_routes_are_not_in_the_public_document(document, service):
    assert not [path for path in document["paths"] if path.startswith("/internal")]
    assert requests.get(f"{service.url}/internal/broker/authenticate", timeout=5).status_code == 404


def test_every_route_of_the_app_is_documented(document, tmp_path):
    """Every /v2 rule the public app serves (as flask routes it) has its operation in the document."""
    from app import create_app

    app = create_app({"CLOUDSIGNAL_SQLITE_PATH": str(tmp_path / "s.sqlite")}, follow=False)
    undocumented = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        if not path.startswith("/v2/") or path.startswith(("/v2/docs", "/v2/openapi")):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in document["paths"].get(path, {}):
                undocumented.append(f"{method} {path}")
    assert undocumented == []


def test_every_operation_has_a_unique_operation_id_tags_and_a_scope(document):
    seen = {}
    for path, method, operation in operations(document):
        identifier = operation.get("operationId")
        assert identifier and re.fullmatch(r"[a-z][a-z0-9_]*", identifier), (method, path)
        assert identifier not in seen, f"{identifier} names {seen.get(identifier)} and {method} {path}"
        seen[identifier] = f"{method} {path}"
        assert operation.get("tags") and operation.get("summary"), identifier
        assert operation.get("security"), identifier
        if identifier not in ("whoami",):
            assert operation.get("x-required-scope"), identifier
    assert {"users_create", "users_list", "acl_rules_create", "acl_check", "publish_message", "sessions_list",
            "api_keys_create", "api_keys_rotate", "acl_policy_apply", "acl_policy_get"} <= set(seen)
    assert {tag["name"] for tag in document["tags"]} >= {"users", "acl", "publish"}
    assert all(tag.get("description") for tag in document["tags"])


def test_every_body_has_an_example_that_its_schema_accepts(document):
    problems = []

    def check(example: Any, schema: Dict[str, Any], validator: Any, where: str) -> None:
        errors = [error.message for error in validator(_inline(document, schema)).iter_errors(example)]
        if errors:
            problems.append(f"{where}: {errors[:3]}")

    for path, method, operation in operations(document):
        identifier = operation["operationId"]
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            assert "example" in content, f"{identifier}: request body without example"
            check(content["example"], content["schema"], OAS30WriteValidator, f"{identifier} request")
        for status, response in operation["responses"].items():
            response = resolve(document, response)
            for media_type, content in response.get("content", {}).items():
                assert "example" in content, f"{identifier} {status}: response without example"
                if "schema" in content and media_type == "application/json":
                    check(content["example"], content["schema"], OAS30ReadValidator, f"{identifier} {status}")
    assert not problems, "\n".join(problems)


def _inline(document: Dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """The schema with its $refs replaced by their targets (the validators take one schema)."""
    if depth > 30:
        return {}
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(document, resolve(document, schema), depth + 1)
        return {key: _inline(document, value, depth + 1) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(document, item, depth + 1) for item in schema]
    return schema


def test_errors_are_documented_with_their_shape_codes_and_headers(document):
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "message"} and "request_id" in error["properties"]
    for path, method, operation in operations(document):
        identifier = operation["operationId"]
        statuses = set(operation["responses"])
        assert {"401", "403", "429", "default"} <= statuses, identifier
        if "requestBody" in operation:
            assert {"400", "413"} <= statuses, identifier
        if method == "post":
            assert "409" in statuses, identifier
            assert {"$ref": "#/components/parameters/IdempotencyKey"} in operation["parameters"], identifier
        for status in statuses - {"default"}:
            response = resolve(document, operation["responses"][status])
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
                assert "`error` is one of" in response["description"]
            else:
                assert {"X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
                    response["headers"]), identifier
    too_many = resolve(document, {"$ref": "#/components/responses/TOO_MANY_REQUESTS"})
    assert "Retry-After" in too_many["headers"] and "`rate_limited`" in too_many["description"]
    assert "`insufficient_scope`" in resolve(document, {"$ref": "#/components/responses/FORBIDDEN"})["description"]


def test_servers_name_the_deployment_that_served_the_document(document, service):
    assert document["servers"][0]["url"] == service.url
    assert "Authorization: Bearer" in document["info"]["description"]


def test_llms_txt_names_every_main_task_and_links_the_document(service):
    text = requests.get(f"{service.url}/llms.txt", timeout=10)
    assert text.status_code == 200 and text.headers["Content-Type"].startswith("text/plain")
    body = text.text
    assert body.startswith("# CloudSignal\n\n> ")
    for task in ("users_create", "acl_rules_create", "acl_check", "publish_message", "sessions_list",
                 "api_keys_create", "events_list", "acl_policy_apply"):
        line = next(line for line in body.splitlines() if f"(`{task}`)" in line)
        assert "`curl " in line and f"{service.url}/v2/" in line
    assert f"{service.url}/v2/openapi.json" in body and f"{service.url}/v2/docs" in body
    assert "Authorization: Bearer" in body
    full = requests.get(f"{service.url}/llms-full.txt", timeout=10).text
    assert full.startswith(body.rstrip("\n").split("\n## Optional")[0])
    assert "## users_create: POST /v2/users" in full and "# Python SDK and CLI" in full


def test_the_main_tasks_of_llms_txt_run_as_written(service, org):
    """An agent copies the curl lines: they work against a new organization, in the order given."""
    import subprocess

    body = requests.get(f"{service.url}/llms.txt", timeout=10).text
    lines = {re.search(r"\(`(\w+)`\)", line).group(1): line.split(": `", 1)[1].rstrip("`")
             for line in body.splitlines() if line.startswith("- ") and "`curl " in line}
    for task in ("acl_rule_sets_create", "users_create", "acl_rules_create", "acl_check", "users_list",
                 "acl_policy_apply", "whoami", "organization_get", "events_list", "audit_access"):
        command = lines[task].replace("curl ", "curl -s -o /dev/null -w '%{http_code}' ", 1)
        status = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30,
                                env={"PATH": "/usr/bin:/bin", "CLOUDSIGNAL_API_KEY": org["key"]}).stdout
        assert status.startswith("2"), f"{task}: {status} from {lines[task]}"
