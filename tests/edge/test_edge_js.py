"""The JS SDK against the stack behind the edge, over real TLS (issue 14's Acceptance): MQTT.js
through CloudSignalClient under Node over wss with the certificate verified against the test CA
(and clean failures over plain ws:// and with a wrong CA), and the browser build in headless
Chromium on an https page, over wss, receiving a POST /v2/publish made through the edge.

Chromium trusts the test CA through a temporary NSS database (certutil, Debian's libnss3-tools) in
a throwaway HOME: the chain is verified as for any trusted root, nothing is ignored."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.broker.conftest import allow, make_user
from tests.js.test_js_sdk import CHROMIUM, SDK, npm, run_node
from tests.support.processes import ROOT

OUTPUTS = ("dist/browser/cloudsignal.js", "dist/esm/index.js", "dist/cjs/index.js",
           "build/test/Edge.wss.test.js", "build/test/Browser.https.test.js")


@pytest.fixture(scope="module")
def built_sdk() -> None:
    """The SDK and its tests built from the current sources: rebuilt only when a source is newer
    than the build (tests/js rebuilds them anyway; this keeps the edge's run short)."""
    if shutil.which("node") is None or not (SDK / "node_modules").is_dir():
        pytest.fail("the JS SDK needs Node.js 20+ and its packages: apt-get install nodejs npm; cd sdk/js && npm ci")
    sources = [path for folder in ("src", "test", "scripts") for path in (SDK / folder).rglob("*") if path.is_file()]
    sources += list(SDK.glob("tsconfig*.json")) + [SDK / "package.json", SDK / "package-lock.json"]
    newest = max(path.stat().st_mtime for path in sources)
    outputs = [SDK / name for name in OUTPUTS]
    if not all(path.exists() for path in outputs) or min(path.stat().st_mtime for path in outputs) < newest:
        npm("run", "build")
        npm("run", "build:test")


@pytest.fixture
def js_env(edge_stack, edge_org, edge_api, tmp_path: Path, built_sdk: None) -> dict:
    allow(edge_api, "edge/#")
    allow(edge_api, "browser/#")
    username = make_user(edge_api, "js-edge")
    tls = edge_stack.broker.settings.tls_dir
    wrong = tmp_path / "wrong-ca"  # a CA of its own: did not sign the edge's certificate
    subprocess.run([str(ROOT / "broker-config" / "make-tls.sh"), str(wrong)], check=True, stdout=subprocess.DEVNULL)
    edge = edge_stack.edge
    return {"CS_EDGE_HTTPS_URL": edge.https_url, "CS_EDGE_WSS_PORT": str(edge.wss_port), "CS_TLS_DIR": str(tls),
            "CS_CA_FILE": str(tls / "ca.crt"), "CS_WRONG_CA_FILE": str(wrong / "ca.crt"),
            "CS_SECRET_KEY": edge_org["key"], "CS_ORG_ID": edge_org["org_id"], "CS_API_URL": edge.https_url,
            "CS_USER": username, "CS_PASSWORD": "secure-password", "CS_TENANCY": "multi"}


def test_mqtt_js_over_wss_verifies_the_edge_with_the_test_ca(js_env: dict, tmp_path: Path) -> None:
    run_node(["Edge.wss.test.js"], js_env, tmp_path, timeout=60)


def trusting_home(ca: Path, home: Path) -> Path:
    """A HOME whose NSS database (where Chromium on Linux reads the user's trust anchors) has `ca`
    as a trusted CA for TLS servers."""
    certutil = shutil.which("certutil")
    assert certutil, "the https browser test needs certutil: apt-get install libnss3-tools"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([certutil, "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True, capture_output=True)
    subprocess.run([certutil, "-A", "-d", f"sql:{nssdb}", "-n", "CloudSignal test CA", "-t", "C,,", "-i", str(ca)],
                   check=True, capture_output=True)
    return home


def test_browser_bundle_on_an_https_page_over_wss_through_the_edge(js_env: dict, tmp_path: Path) -> None:
    assert Path(CHROMIUM).exists(), "the browser test needs Debian's chromium: apt-get install chromium"
    home = trusting_home(Path(js_env["CS_CA_FILE"]), tmp_path / "home")
    run_node(["Browser.https.test.js"], {**js_env, "CS_CHROMIUM_HOME": str(home)}, tmp_path, timeout=90)
    screenshot = tmp_path / "artifacts" / "browser-https.png"
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (SDK / "test-artifacts" / "browser-https.png").read_bytes() == screenshot.read_bytes()
