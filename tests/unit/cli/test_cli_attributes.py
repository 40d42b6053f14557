"""`fashion-search attributes` end to end through Typer, with the fake model on a tiny stored catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from fashion_search.cli.attributes import attributes_command
from fashion_search.domain import ImageStatus, Product
from fashion_search.store.sqlite import SqliteStore

COLOURS = {"Striped": (210, 35, 35), "Checked": (40, 90, 210)}


@pytest.fixture
def app() -> typer.Typer:
    cli = typer.Typer()
    cli.command("attributes")(attributes_command)
    cli.command("noop")(lambda: None)
    return cli


@pytest.fixture
def root(tmp_path: Path) -> Path:
    images = tmp_path / "catalog" / "images"
    images.mkdir(parents=True)
    products = []
    for i in range(100):
        pattern = list(COLOURS)[i % 2]
        Image.new("RGB", (16, 16), COLOURS[pattern]).save(images / f"{i + 1}.jpg")
        products.append(
            Product(
                i + 1,
                f"Men {pattern} Shirt",
                master_category="Apparel",
                sub_category="Topwear",
                article_type="Shirts",
                image_status=ImageStatus.PRESENT,
                image_file=f"{i + 1}.jpg",
            )
        )
    store = SqliteStore(tmp_path / "data")
    store.upsert_products(products)
    store.close()
    return tmp_path


def _args(root: Path, *extra: str) -> list[str]:
    return ["attributes", "--data-dir", str(root / "data"), "--model", "fake:64", *extra]


def test_attributes_json_then_table_on_rerun(app: typer.Typer, root: Path) -> None:
    runner = CliRunner()
    images = str(root / "catalog" / "images")
    first = runner.invoke(app, _args(root, "--images", images, "--json"))
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["refitted"] and report["tagged"] == 100
    assert [f["name"] for f in report["figures"]][:2] == ["material", "pattern"]
    pattern = report["figures"][1]
    assert pattern["method"] == "head" and pattern["accuracy"] == 1.0
    assert (root / "data" / "attributes" / "tagger.json").is_file()
    store = SqliteStore(root / "data")
    try:
        tagged = store.get_products([1, 2])
    finally:
        store.close()
    assert [p.attributes.get("pattern") for p in tagged] == ["striped", "checked"]

    again = runner.invoke(app, _args(root, "--images", images))
    assert again.exit_code == 0, again.output
    assert "pattern" in again.stdout and "tagged 0" in again.stdout and "reused" in again.stdout


def test_attributes_without_an_image_folder_is_a_configuration_error(app: typer.Typer, root: Path) -> None:
    result = CliRunner().invoke(app, _args(root))
    assert result.exit_code == 3
    assert "--images" in result.output
