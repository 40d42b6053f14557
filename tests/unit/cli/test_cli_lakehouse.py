"""`fashion-search export` then `fashion-search import` through Typer, on a tiny store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("pyarrow")

from fashion_search.cli.main import create_cli  # noqa: E402
from fashion_search.domain import Product  # noqa: E402
from fashion_search.store.sqlite import SqliteStore  # noqa: E402


def test_export_then_import_round_trip(tmp_path: Path) -> None:
    source = SqliteStore(tmp_path / "a")
    source.upsert_products(
        [Product(id=i, name=f"p{i}", base_colour="Red", image_file=f"{i}.jpg") for i in (1, 2)]
    )
    source.put_vectors("text", "fake-4", [1, 2], np.eye(2, 4), ["h1", "h2"])
    source.close()
    cli = create_cli()
    runner = CliRunner()
    out = tmp_path / "lake"
    exported = runner.invoke(
        cli,
        ["export", str(out), "--data-dir", str(tmp_path / "a"), "--tables", "products,embeddings", "--json"],
    )
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["rows"] == {"products": 2, "embeddings": 2}
    again = runner.invoke(
        cli, ["export", str(out), "--data-dir", str(tmp_path / "a"), "--tables", "products"]
    )
    assert again.exit_code == 2 and "already exists" in again.stderr

    imported = runner.invoke(cli, ["import", str(out), "--data-dir", str(tmp_path / "b")])
    assert imported.exit_code == 0, imported.output
    assert "products" in imported.stdout and "embeddings" in imported.stdout
    target = SqliteStore(tmp_path / "b")
    try:
        assert target.get_product(2) == Product(id=2, name="p2", base_colour="Red", image_file="2.jpg")
        ids, vectors = target.load_vectors("text")
        assert ids.tolist() == [1, 2] and np.array_equal(vectors, np.eye(2, 4, dtype=np.float32))
    finally:
        target.close()

    bad = runner.invoke(cli, ["import", str(out), "--data-dir", str(tmp_path / "b"), "--tables", "orders"])
    assert bad.exit_code == 2 and "unknown lakehouse table 'orders'" in bad.stderr
