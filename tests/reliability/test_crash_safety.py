"""Crash safety: the short version of scripts/crash_loop.py (kill -9 of ingest, embed, index build
and server at random moments, then re-runs verified), and a corrupt index refused at start-up."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from fashion_search.api import create_app
from fashion_search.app import build
from fashion_search.errors import IndexCorruptError

if TYPE_CHECKING:
    from conftest import Catalog

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "crash_loop.py"


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_and_doubles_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--kills", "2", "--products", "200", "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout)
    for job in ("ingest", "embed", "index"):
        assert summary[job]["kills"] == 2 and summary[job]["reruns_verified"] == 2
    assert summary["server"]["restarts_verified"] == 3
    assert summary["server"]["events_acknowledged"] > 0
    for outcome in summary["corrupt_index"].values():
        assert outcome["serve_exit_code"] == 7 and outcome["rebuilt_and_served"]


@pytest.fixture
def copied(tmp_path: Path, catalog: Catalog) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(catalog.settings.data_dir, data_dir, ignore=shutil.ignore_patterns("server.lock"))
    return data_dir


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_a_damaged_index_is_refused_at_start_up_and_rebuilt(
    copied: Path, catalog: Catalog, damage: str
) -> None:
    victim = next((copied / "index").glob("image.*.vectors.npy"))
    data = victim.read_bytes()
    if damage == "truncate":
        victim.write_bytes(data[: len(data) - 100])
    elif damage == "flip":
        victim.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    else:
        victim.unlink()
    settings = catalog.settings.model_copy(update={"data_dir": copied})
    services = build(settings)
    try:
        with (
            pytest.raises(IndexCorruptError, match="fashion-search index"),
            TestClient(create_app(settings, services)),
        ):
            pass  # start-up (warm-up) refuses: nothing is served from a bad index
        index = services.rebuild_index()
        assert index.count() == len(catalog.services.products())
        with TestClient(create_app(settings, services)) as client:
            assert client.get("/api/v1/health/ready").status_code == 200
    finally:
        services.close()
