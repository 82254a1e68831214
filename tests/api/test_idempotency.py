"""`Idempotency-Key` on POST, as Stripe defines it, held in PostgreSQL so that it holds across the
service's two worker processes."""

import threading
import uuid

import psycopg2
import requests

from tests.conftest import Client, create_org

USER = {"username": "agent-01", "password": "secure-password"}


def post(api: Client, path: str, key: str, body: dict) -> requests.Response:
    # a new connection each time, so the requests spread over the service's workers
    return requests.post(api.base_url + path, json=body, timeout=10,
                         headers={"Authorization": f"Bearer {api.key}", "Idempotency-Key": key})


def test_the_same_key_and_body_get_the_same_reply_and_change_nothing(api):
    key = str(uuid.uuid4())
    first = post(api, "/v2/users", key, USER)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    for _ in range(6):
        again = post(api, "/v2/users", key, dict(reversed(list(USER.items()))))  # same body, other key order
        assert again.status_code == 201 and again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert [u["username"] for u in api.get("/v2/users").json()["data"]] == ["agent-01"]
    created = [e for e in api.get("/v2/events", params={"type": "MqttUser.Created"}).json()["data"]]
    assert len(created) == 1
    # without the key, the same request is a new one (and the name is taken)
    assert api.post("/v2/users", json=USER).status_code == 409


def test_the_same_key_with_another_body_or_path_is_a_conflict(api):
    key = str(uuid.uuid4())
    assert post(api, "/v2/users", key, USER).status_code == 201
    other = post(api, "/v2/users", key, {**USER, "username": "agent-02"})
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"
    elsewhere = post(api, "/v2/acl/rules", key, {"topic": "a/#", "action": "both", "permission": "allow"})
    assert elsewhere.status_code == 409 and elsewhere.json()["error"] == "idempotency_key_reused"
    assert api.get("/v2/users/agent-02").status_code == 404


def test_errors_are_replayed_but_invalid_requests_are_not_kept(api):
    key = str(uuid.uuid4())
    invalid = post(api, "/v2/users", key, {"username": "no spaces", "password": "secure-password"})
    assert invalid.status_code == 400
    assert post(api, "/v2/users", key, {"username": "fixed", "password": "secure-password"}).status_code == 201
    taken = str(uuid.uuid4())
    conflict = post(api, "/v2/users", taken, {"username": "fixed", "password": "secure-password"})
    assert conflict.status_code == 409 and conflict.json()["error"] == "conflict"
    api.delete("/v2/users/fixed")
    replayed = post(api, "/v2/users", taken, {"username": "fixed", "password": "secure-password"})
    assert replayed.status_code == 409 and replayed.headers["Idempotent-Replayed"] == "true"


def test_keys_are_scoped_to_the_api_key_and_secrets_are_not_stored_in_clear(api, service):
    key = str(uuid.uuid4())
    minted = post(api, "/v2/api-keys", key, {"name": "ci", "type": "restricted", "scopes": ["users:write"]})
    assert minted.status_code == 201
    assert post(api, "/v2/api-keys", key, {"name": "ci", "type": "restricted",
                                            "scopes": ["users:write"]}).json()["key"] == minted.json()["key"]
    other_org = create_org(service)
    elsewhere = post(Client(service.url, other_org["key"]), "/v2/api-keys", key,
                     {"name": "ci", "type": "restricted", "scopes": ["users:write"]})
    assert elsewhere.status_code == 201 and elsewhere.json()["id"] != minted.json()["id"]
    with psycopg2.connect(service.env["DATABASE_URL"]) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT body FROM cloudsignal_idempotency")
        bodies = [bytes(row[0]) for row in cursor.fetchall() if row[0] is not None]
    assert bodies and not any(minted.json()["key"].encode() in body for body in bodies)
    assert not any(b"ci" in body and b"restricted" in body for body in bodies)


def test_concurrent_requests_with_one_key_create_once(api):
    key = str(uuid.uuid4())
    replies = []

    def send() -> None:
        replies.append(post(api, "/v2/acl/rules", key, {"topic": "race/#", "action": "both", "permission": "allow"}))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(reply.status_code for reply in replies)
    assert set(statuses) <= {201, 409} and 201 in statuses
    assert all(reply.json()["error"] == "idempotency_key_in_use" for reply in replies if reply.status_code == 409)
    assert len({reply.json()["id"] for reply in replies if reply.status_code == 201}) == 1
    assert len(api.get("/v2/acl/rules").json()["data"]) == 1


def test_the_embedded_sqlite_store_keeps_keys_too(tmp_path):
    """`make run` without PostgreSQL: the table lives in the SQLite file beside the events."""
    from app import create_app
    from app.current import current_domain

    app = create_app({"CLOUDSIGNAL_SQLITE_PATH": str(tmp_path / "store.sqlite")}, follow=False)
    with app.app_context():
        domain = current_domain()
        org = domain.create_organization("embedded")
        _, secret = domain.create_key(org.org_id, "admin", "secret")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "deploy-1"}
    first = client.post("/v2/users", json=USER, headers=headers)
    again = client.post("/v2/users", json=USER, headers=headers)
    assert first.status_code == again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/v2/users", json={**USER, "username": "agent-02"}, headers=headers)
    assert other.status_code == 409 and other.get_json()["error"] == "idempotency_key_reused"
