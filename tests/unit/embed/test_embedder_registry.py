"""load_embedder: one string -> one embedder, lazily imported; bad strings name the accepted forms."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from fashion_search.embed.fake import FakeEmbedder
from fashion_search.embed.registry import ACCEPTED_FORMS, EmbedderSpec, load_embedder
from fashion_search.errors import ConfigurationError, ModelError


@pytest.fixture
def fashion_lite_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """A stand-in fashion_lite module that records how the registry calls it."""
    calls: list[tuple[Any, ...]] = []

    class StubFashionLite:
        @classmethod
        def from_directory(cls, model_dir: Path | None, *, cache_dir: Path, threads: int) -> FakeEmbedder:
            calls.append((model_dir, cache_dir, threads))
            return FakeEmbedder(64)

    module = types.ModuleType("fashion_search.embed.fashion_lite")
    module.FashionLiteEmbedder = StubFashionLite  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fashion_search.embed.fashion_lite", module)
    return calls


def test_fake_specs(tmp_path: Path) -> None:
    embedder = load_embedder("fake:48", cache_dir=tmp_path)
    assert isinstance(embedder, FakeEmbedder)
    assert (embedder.name, embedder.dim) == ("fake-48", 48)
    assert load_embedder("  fake:64 ", cache_dir=tmp_path).name == "fake-64"


def test_fashion_lite_specs_pass_directory_cache_and_threads(
    tmp_path: Path, fashion_lite_calls: list[tuple[Any, ...]]
) -> None:
    load_embedder("fashion-lite", cache_dir=tmp_path, threads=3)
    load_embedder("fashion-lite:/models/my-shop", cache_dir=tmp_path)
    assert fashion_lite_calls == [(None, tmp_path, 3), (Path("/models/my-shop"), tmp_path, 2)]


def test_clip_spec_loads_the_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load_embedder(f"clip:{tmp_path / 'missing'}", cache_dir=tmp_path)


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("", "is empty"),
        ("fake", "needs a dimension"),
        ("fake:abc", "needs a dimension"),
        ("clip:", "names no model directory"),
        ("fashion-lite:", "names no model directory"),
        ("open_clip:ViT-B-32", "architecture and a pretrained tag"),
        ("resnet50", "is not a known model"),
    ],
)
def test_bad_specs_name_the_accepted_forms(tmp_path: Path, spec: str, why: str) -> None:
    with pytest.raises(ConfigurationError, match=why) as info:
        load_embedder(spec, cache_dir=tmp_path)
    for form in ACCEPTED_FORMS:
        assert form in str(info.value)


def test_fake_dimension_too_small_and_bad_threads(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="dimension >="):
        load_embedder("fake:8", cache_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="threads"):
        load_embedder("fake:64", cache_dir=tmp_path, threads=0)


def test_embedder_spec_builds_a_fresh_embedder_per_call(tmp_path: Path) -> None:
    spec = EmbedderSpec("fake:64", tmp_path)
    first, second = spec(), spec()
    assert first is not second
    assert first.name == second.name == "fake-64"
