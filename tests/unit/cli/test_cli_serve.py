"""`fashion-search serve` and `demo` (which now serves the API), with uvicorn replaced by a recorder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from fashion_search.cli.main import create_cli
from fashion_search.cli.serve import with_address
from fashion_search.settings import load_settings


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    import uvicorn

    calls: list[dict[str, Any]] = []

    def fake_run(app: Any, host: str, port: int, **kwargs: Any) -> None:
        # While "serving", the app answers like the real server would.
        with TestClient(app) as client:
            health = client.get("/api/v1/health").json()
            users = client.get("/api/v1/users").json()
        calls.append({"host": host, "port": port, "health": health, "users": users})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("FASHION_SEARCH_MODEL", "fake:64")
    return calls


def test_serve_listens_where_asked(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(create_cli(), ["serve", "--port", "8123", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == "127.0.0.1" and served[0]["port"] == 8123
    assert served[0]["health"]["status"] == "empty"
    assert "http://127.0.0.1:8123/api/v1" in result.output


def test_serve_refuses_a_bad_port(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(create_cli(), ["serve", "--port", "70000", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0 and not served


def test_demo_builds_everything_then_serves_the_api(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    args = ["demo", "--n-products", "40", "--data-dir", str(tmp_path), "--port", "8765"]
    result = CliRunner().invoke(create_cli(), args)
    assert result.exit_code == 0, result.output
    assert "created" in result.output and "synthetic shoppers" in result.output
    assert "white sneakers" in result.output
    (call,) = served
    assert call["port"] == 8765
    assert call["health"]["products"] == 40 and call["health"]["users"] >= 20
    assert [u["name"] for u in call["users"]["data"]] == ["Arjun", "Priya", "Maya", "Sofia", "Leo"]
    # a second run reuses the catalog and the shoppers, and --no-serve stops after the searches
    again = CliRunner().invoke(create_cli(), [*args, "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "synthetic shoppers" not in again.output and "fashion-search serve" in again.output
    assert len(served) == 1


def test_with_address_replaces_only_what_is_given(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert with_address(settings, None, None) is settings
    moved = with_address(settings, "0.0.0.0", 9000)
    assert (moved.api.host, moved.api.port) == ("0.0.0.0", 9000)
    assert (settings.api.host, settings.api.port) == ("127.0.0.1", 8000)
    assert with_address(settings, None, 9001).api.host == "127.0.0.1"
