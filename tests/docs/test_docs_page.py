"""/v2/docs as a person sees it: Swagger UI, served by the service itself (no other origin), renders
every operation of the document in headless Chromium; the screenshot is kept in
var/test-artifacts/docs-page.png (git-ignored) to look at."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.support.processes import ROOT, Service

SDK = ROOT / "sdk" / "js"
CHROMIUM = os.environ.get("CS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "var" / "test-artifacts"


def test_the_page_and_its_assets_come_from_the_service(service: Service):
    page = requests.get(f"{service.url}/v2/docs", timeout=10)
    assert page.status_code == 200, "the renderer is missing: run 'make docs-ui'"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "http" not in page.text.replace(service.url, "")  # every asset is a path on this origin
    bundle = requests.get(f"{service.url}/v2/docs/assets/swagger-ui-bundle.js", timeout=10)
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert requests.get(f"{service.url}/v2/docs/assets/index.html", timeout=10).status_code == 404


def test_the_page_renders_every_operation_in_chromium(service: Service):
    if shutil.which("node") is None or not (SDK / "node_modules" / "playwright-core").is_dir() \
            or not Path(CHROMIUM).exists():
        pytest.fail("needs Node.js, sdk/js's packages (npm ci) and Debian's chromium: make deps")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "docs-page.png"
    result = subprocess.run(
        ["node", str(Path(__file__).with_name("render_docs_page.mjs")), service.url, str(screenshot)],
        env={**os.environ, "CS_SDK_DIR": str(SDK)}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    document = requests.get(f"{service.url}/v2/openapi.json", timeout=10).json()
    expected = [op["operationId"] for item in document["paths"].values() for op in item.values()
                if isinstance(op, dict) and "operationId" in op]
    assert seen["status"] == 200 and seen["title"].startswith("CloudSignal API")
    assert seen["operations"] == len(expected)
    assert sorted(seen["operationIds"]) == sorted(expected)
    assert '"username": "agent-01"' in seen["example"]
    assert seen["errors"] == [] and seen["elsewhere"] == []
    assert screenshot.stat().st_size > 10_000
