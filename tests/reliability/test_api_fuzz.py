"""The small CI run of the API fuzzing: scripts/fuzz_api.py with a few cases per operation.

The large run is the same script with its defaults (see the README): ``python scripts/fuzz_api.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fuzz_api.py"


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--max-examples", "4", "--products", "120", "--seed", "8"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["operations"] >= 18
    assert summary["cases"] >= 200, summary
    assert summary["failures"] == [] and summary["errors"] == [], summary
