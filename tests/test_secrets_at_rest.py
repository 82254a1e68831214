"""Issue 13, item 8 (part): `cloudsignal-server export` output is readable by its owner only."""

import os
import stat

from tests.support.processes import Service


def test_an_export_is_created_0600_whatever_the_umask(tmp_path):
    single = Service({"CLOUDSIGNAL_SQLITE_PATH": str(tmp_path / "events.sqlite"), "CLOUDSIGNAL_TENANCY": "single"},
                     log_dir=tmp_path)
    assert single.admin("init").returncode == 0
    out = tmp_path / "log.jsonl"
    out.write_text("")
    out.chmod(0o644)  # an existing, world-readable file is narrowed too
    old = os.umask(0o022)
    try:
        result = single.admin("export", "--out", str(out))
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text().count("\n") >= 2
    fresh = tmp_path / "fresh.jsonl"
    assert single.admin("export", "--out", str(fresh)).returncode == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
