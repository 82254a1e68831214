"""Every benchmark runs once at a tiny size (`--smoke`) so none can rot: exit 0 and a printed
table. No timing is asserted here; the figures belong in the benchmarks' own runs."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHES = sorted(path.name for path in (ROOT / "bench").glob("*.py")
                 if path.name not in ("__init__.py", "httpload.py"))  # httpload is a library
HEADERS = {  # a column heading each benchmark's table prints (any other benchmark: some lines)
    "api.py": "req/s", "broker.py": "scenario", "publish.py": "req/s", "replay.py": "events/s",
    "storm.py": "bare mosquitto",
}


@pytest.mark.parametrize("bench", BENCHES)
def test_benchmark_runs_tiny(bench):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / bench), "--smoke"], cwd=ROOT,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    if bench in HEADERS:
        assert any(HEADERS[bench] in line for line in result.stdout.splitlines()), result.stdout
    assert len(result.stdout.strip().splitlines()) >= 3, result.stdout  # a heading and some rows
