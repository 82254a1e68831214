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
    for service in ("postgres:", "redis:", "service:", "broker:"):
        assert service in result.stdout
    assert result.stdout.count("healthcheck:") == 4
    # secrets come from files; no password is written into the stack itself
    assert "POSTGRES_PASSWORD_FILE" in result.stdout and "POSTGRES_PASSWORD:" not in result.stdout
    assert "not-a-real-secret" not in result.stdout


def test_images_build_with_the_makefile_steps():
    for dockerfile in ("deploy/service.Dockerfile", "deploy/broker.Dockerfile"):
        text = (ROOT / dockerfile).read_text()
        assert "RUN make apt" in text, dockerfile
