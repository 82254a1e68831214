"""The documented first REST call, typed exactly as in the product's examples."""

import json
import subprocess

from tests.conftest import eventually


def curl(command: str) -> str:
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True).stdout


def test_create_user_curl_example(service, org):
    documented = (
        'curl -X POST http://127.0.0.1:8080/v2/users \\\n'
        '  -H "Authorization: Bearer sk_..." -H "Content-Type: application/json" \\\n'
        '  -d \'{"username": "agent-01", "password": "secure-password"}\''
    )
    command = documented.replace("http://127.0.0.1:8080", service.url).replace("sk_...", org["key"])
    command = command.replace("curl ", "curl -s -w '\\n%{http_code}' ", 1)
    body, status = curl(command).rsplit("\n", 1)
    assert status == "201"
    assert json.loads(body)["mqtt_username"] == f"agent-01@{org['org_id']}"

    listing = f'curl -s {service.url}/v2/users -H "Authorization: Bearer {org["key"]}"'
    assert eventually(lambda: [u["username"] for u in json.loads(curl(listing))["data"]] == ["agent-01"])

    body, status = curl(command).rsplit("\n", 1)
    assert status == "409" and json.loads(body)["error"] == "conflict"
