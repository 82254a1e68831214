"""What every endpoint shares: error shape, content type, request ids, OpenAPI."""

import requests


def test_non_json_body_and_wrong_content_type_are_400(api):
    bad_json = api.post("/v2/users", data="{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["error"] == "invalid_json"
    form = api.post("/v2/users", data="username=a&password=secure-password")
    assert form.status_code == 400 and form.json()["error"] == "invalid_content_type"
    array = api.post("/v2/users", json=["agent-01"])
    assert array.status_code == 400 and array.json()["error"] == "validation_error"
    empty = api.post("/v2/users")
    assert empty.status_code == 400 and set(empty.json()["detail"]) == {"username", "password"}
    assert api.get("/v2/users").json()["data"] == []


def test_oversized_body_is_refused(api):
    reply = api.post("/v2/users", data=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"})
    assert reply.status_code == 413 and reply.json()["error"] == "request_too_large"


def test_errors_carry_the_request_id(api):
    reply = api.get("/v2/users/nobody", headers={"X-Request-Id": "trace-123"})
    assert reply.status_code == 404
    assert reply.json() == {"error": "not_found", "message": "user 'nobody' not found", "detail": None,
                            "request_id": "trace-123"}
    assert reply.headers["X-Request-Id"] == "trace-123"
    generated = api.get("/v2/users/nobody").json()["request_id"]
    assert generated.startswith("req_")


def test_unknown_routes_and_methods_answer_json(api):
    assert api.get("/v2/nothing").json()["error"] == "not_found"
    reply = api.request("PUT", "/v2/users")
    assert reply.status_code == 405 and reply.json()["error"] == "method_not_allowed"


def test_openapi_documents_every_endpoint_scope_and_error(service):
    spec = requests.get(f"{service.url}/v2/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    expected = {
        "/v2/users": {"get", "post"}, "/v2/users/{username}": {"get", "patch", "delete"},
        "/v2/acl/rules": {"get", "post"}, "/v2/acl/rules/{rule_id}": {"get", "patch", "delete"},
        "/v2/acl/rule-sets": {"get", "post"}, "/v2/acl/rule-sets/{id_or_name}": {"get", "patch", "delete"},
        "/v2/acl/check": {"post"}, "/v2/api-keys": {"get", "post"},
        "/v2/api-keys/{key_id}": {"get", "patch", "delete"}, "/v2/api-keys/{key_id}/rotate": {"post"},
        "/v2/organization": {"get", "patch"},
        "/v2/sessions": {"get"}, "/v2/sessions/history": {"get"},
        "/v2/sessions/{client_id}": {"get", "delete"}, "/v2/users/{username}/terminate": {"post"},
        "/v2/publish": {"post"}, "/v2/publish/batch": {"post"},
        "/v2/auth-providers": {"get", "post"}, "/v2/auth-providers/{id_or_name}": {"get", "patch", "delete"},
        "/v2/tokens": {"post"}, "/v2/tokens/exchange": {"post"}, "/v2/tokens/refresh": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"], (path, method)
            assert {"401", "403", "429"} <= set(operation["responses"]), (path, method)
            assert operation["security"]
    assert paths["/v2/users"]["post"]["x-required-scope"] == "users:write"
    assert paths["/v2/tokens/exchange"]["post"]["x-required-scope"] == "tokens:create"
    assert {"503", "504"} <= set(paths["/v2/publish"]["post"]["responses"])
    assert not any(path.startswith("/internal/") for path in paths)  # the internal listener's own document
    assert "400" in paths["/v2/users"]["post"]["responses"]
    assert "409" in paths["/v2/users"]["post"]["responses"]
    assert "422" not in str(spec)
    schemas = spec["components"]["schemas"]
    assert {"error", "message", "detail", "request_id"} <= set(schemas["Error"]["properties"])
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_browsers_may_call_the_api_from_another_origin(service, org):
    preflight = requests.options(f"{service.url}/v2/tokens/exchange", timeout=10, headers={
        "Origin": "https://app.example.test", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "https://app.example.test")
    reply = requests.get(f"{service.url}/v2/organization", timeout=10,
                         headers={"Origin": "https://app.example.test", "Authorization": f"Bearer {org['key']}"})
    assert "X-RateLimit-Remaining" in reply.headers["Access-Control-Expose-Headers"]
