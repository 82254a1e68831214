"""The Compose stack's file is valid and its images build with the Makefile's own steps."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docker_compose_config_validates(tmp_path):
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    (tmp_path / "secrets").mkdir()
    for name in ("postgres_password", "broker_secret", "database_url"):
        (tmp_path / "secrets" / name).write_text("not-a-real-secret\n")
    result = subprocess.run(["docker-compose", "config"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for service in ("postgres:", "redis:", "service:", "edge:", "broker:"):
        assert service in result.stdout
    assert result.stdout.count("healthcheck:") == 5
    # secrets come from files; no password is written into the stack itself
    assert "POSTGRES_PASSWORD_FILE" in result.stdout and "POSTGRES_PASSWORD:" not in result.stdout
    assert "not-a-real-secret" not in result.stdout


def test_the_edge_is_the_only_way_in(tmp_path):
    """The edge uses deploy/edge's template (make run's), gunicorn listens on loopback only, the
    secrets key outlives the container, and no image gets the local state or secrets."""
    import yaml

    stack = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service, edge, broker = (stack["services"][name] for name in ("service", "edge", "broker"))
    assert edge["network_mode"] == broker["network_mode"] == "service:service"
    published = {port.rsplit(":", 1)[-1] for port in service["ports"]}
    assert published == {"8080", "8443", "9001", "9443", "1883", "8883"}  # never 8180, 8182, 8081 or 9101
    for name in ("CLOUDSIGNAL_BIND", "CLOUDSIGNAL_STREAM_BIND", "CLOUDSIGNAL_INTERNAL_BIND"):
        assert service["environment"][name].startswith("127.0.0.1:")
    assert broker["environment"]["CLOUDSIGNAL_WS_PORT"] == "9101"
    key_file = service["environment"]["CLOUDSIGNAL_SECRETS_KEY_FILE"]
    assert any(key_file.startswith(volume.split(":")[1]) for volume in service["volumes"])
    entrypoint = (ROOT / "deploy" / "edge-entrypoint.sh").read_text()
    assert "deploy/edge/render.py" in entrypoint and "deploy/edge/render.py" in (ROOT / "scripts" / "run-local.sh").read_text()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"var/", "secrets/", "tls/"} <= set(ignored)


def test_images_build_with_the_makefile_steps():
    for dockerfile in ("deploy/service.Dockerfile", "deploy/broker.Dockerfile", "deploy/edge.Dockerfile"):
        text = (ROOT / dockerfile).read_text()
        assert "RUN make apt" in text, dockerfile
