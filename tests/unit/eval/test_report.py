"""`fashion-search report` end to end on the tiny demo catalog with the fake model."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from fashion_search.catalog.demo import generate_demo_catalog
from fashion_search.cli.main import create_cli
from fashion_search.embed.base import Embedder
from fashion_search.errors import ValidationError
from fashion_search.eval import encoder
from fashion_search.eval.report import SECTIONS, ReportOptions


@pytest.fixture(scope="module")
def demo_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo_catalog(tmp_path_factory.mktemp("catalog") / "demo", n_products=90, seed=0)


def fake_encoder_eval(
    catalog_dir: Path, embedder: Embedder, *, ids: Sequence[int] | None = None, **_: Any
) -> encoder.EncoderReport:
    """The real figures of the fake model on random vectors: the photo towers are too slow for a unit test."""
    from fashion_search.domain import Product

    products = [
        Product(i, f"Red Shirt {i}", article_type="Shirts" if i % 2 else "Jeans", base_colour="Red")
        for i in range(12)
    ]
    rng = np.random.default_rng(0)
    images = rng.standard_normal((12, embedder.dim)).astype(np.float32)
    images /= np.linalg.norm(images, axis=1, keepdims=True)
    model = encoder.space_metrics(products, images, embedder.embed_texts, embedder.name)
    return encoder.EncoderReport(
        model=model, baselines={"imagenet": encoder.space_metrics(products, images, None, "imagenet")}
    )


def report_args(catalog: Path, out: Path, data: Path, *extra: str) -> list[str]:
    return [
        "report",
        "--catalog",
        str(catalog),
        "--out",
        str(out),
        "--model",
        "fake:48",
        "--data-dir",
        str(data),
        *extra,
    ]


def test_report_command_writes_a_self_contained_page(
    demo_catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoder, "evaluate_encoder", fake_encoder_eval)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        create_cli(), report_args(demo_catalog, out, tmp_path / "data", "--n-users", "80", "--json")
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert Path(printed["html"]) == out / "report.html"
    assert page.index('<section id="headlines">') < page.index('<section id="encoder">')
    assert "recommendations nDCG@10" in page and "search P@10, judged by metadata: enriched" in page
    for section in SECTIONS:
        assert f'<section id="{section}">' in page
    # Every figure is embedded as a PNG that decodes, and saved beside the page.
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) >= 10
    for data in images:
        with Image.open(io.BytesIO(base64.b64decode(data))) as im:
            assert im.format == "PNG" and im.width > 100
    assert len(list((out / "figures").glob("*.png"))) == len(images)
    assert 'src="http' not in page and "<script" not in page
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["products_evaluated"] == 90
    assert data["search"]["n_queries"] >= 50
    assert {r["image_weight"] for r in data["search"]["image_sweep"]} == {0.0, 0.25, 0.5, 0.75, 1.0}
    rec = data["recommendations"]
    assert rec["n_test_users"] == 8 and rec["popularity"]["name"] == "popularity"
    assert rec["recommender"]["n_users"] >= 1 and rec["recommender"]["ndcg@10"] is not None
    assert [v["name"] for v in rec["variants"]] == ["recommender without the popularity prior"]
    assert [p["lambda"] for p in rec["mmr_sweep"]] == [1.0, 0.9, 0.7, 0.5, 0.3, 0.1]
    assert data["encoder"]["model"] == "fake-48"
    assert "figures" in data["attributes"] or "note" in data["attributes"]
    # A second run reuses the work folder (tagger and vectors) and gives the same figures.
    skips = ["--skip", "encoder", "--skip", "space", "--skip", "scores"]
    again = CliRunner().invoke(
        create_cli(), report_args(demo_catalog, out, tmp_path / "data", "--n-users", "80", *skips, "--json")
    )
    assert again.exit_code == 0, again.output
    second = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert second["search"]["image_sweep"] == data["search"]["image_sweep"]
    assert second["recommendations"]["recommender"] == rec["recommender"]
    assert "encoder" not in second and "space" not in second and "scores" not in second


def test_unknown_sections_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown report section"):
        ReportOptions(skip=frozenset({"everything"}))


def test_missing_catalog_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        create_cli(), report_args(tmp_path / "nope", tmp_path / "out", tmp_path / "data")
    )
    assert result.exit_code == 4
    assert "styles.csv" in result.output
