"""`fashion-search embed` end to end through Typer, with the fake model on a tiny stored catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from fashion_search.cli.embed import embed_command
from fashion_search.domain import ImageStatus, Product
from fashion_search.store.sqlite import SqliteStore


@pytest.fixture
def app() -> typer.Typer:
    cli = typer.Typer()
    cli.command("embed")(embed_command)
    cli.command("noop")(lambda: None)  # two commands, so "embed" is addressed by name as in the real CLI
    return cli


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    images = tmp_path / "catalog" / "images"
    images.mkdir(parents=True)
    Image.new("RGB", (20, 30), (200, 20, 20)).save(images / "1.jpg")
    (images / "2.jpg").write_bytes(b"broken")
    products = [
        Product(1, "Red Dress", article_type="Dresses", image_status=ImageStatus.PRESENT, image_file="1.jpg"),
        Product(2, "Blue Jeans", article_type="Jeans", image_status=ImageStatus.PRESENT, image_file="2.jpg"),
        Product(3, "Black Watch", article_type="Watches"),
    ]
    store = SqliteStore(tmp_path / "data")
    store.upsert_products(products)
    store.close()
    return tmp_path


def _args(root: Path, *extra: str) -> list[str]:
    return ["embed", "--data-dir", str(root / "data"), "--model", "fake:64", *extra]


def test_embed_json_report_then_incremental_rerun(app: typer.Typer, data_dir: Path) -> None:
    runner = CliRunner()
    images = str(data_dir / "catalog" / "images")
    first = runner.invoke(app, _args(data_dir, "--images", images, "--json", "--batch-size", "2"))
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["model"] == "fake-64"
    assert report["embedded"] == {"image": 1, "text": 3, "hybrid": 3}
    assert [f["product_id"] for f in report["images_failed"]] == [2]
    assert report["coverage"]["text"] == 1.0
    assert report["batches"] == 2

    again = runner.invoke(app, _args(data_dir, "--images", images, "--json"))
    assert json.loads(again.stdout)["embedded"] == {"image": 0, "text": 0, "hybrid": 0}

    forced = runner.invoke(app, _args(data_dir, "--images", images, "--force", "--hybrid-weight", "0.3"))
    assert forced.exit_code == 0, forced.output
    assert "embed report" in forced.stdout and "image of product 2 skipped" in forced.stdout


def test_missing_image_folder_and_spark_runner_are_clear_errors(app: typer.Typer, data_dir: Path) -> None:
    runner = CliRunner()
    no_images = runner.invoke(app, _args(data_dir))
    assert no_images.exit_code == 3
    assert "pass --images DIR" in no_images.stderr
    spark_only = runner.invoke(app, _args(data_dir, "--images", str(data_dir), "--spark-master", "local[1]"))
    assert spark_only.exit_code == 3
    assert "--spark-master and --spark-partitions need --runner spark" in spark_only.stderr
    bad = runner.invoke(app, _args(data_dir, "--images", str(data_dir), "--runner", "ray"))
    assert bad.exit_code == 3 and "unknown runner 'ray'" in bad.stderr


def test_without_images_the_folder_recorded_at_ingest_is_used(app: typer.Typer, data_dir: Path) -> None:
    from fashion_search.app import build
    from fashion_search.settings import load_settings

    services = build(load_settings(data_dir=data_dir / "data", model="fake:64"))
    services.record_catalog(data_dir / "catalog" / "images")
    services.close()
    result = CliRunner().invoke(app, _args(data_dir, "--json"))
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [f["product_id"] for f in report["images_failed"]] == [2]
