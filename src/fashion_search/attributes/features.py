"""What the attribute methods read from a photo, computed once per photo and cached on disk.

* ``vectors``: the embedder's image vectors (the shared space the zero-shot prompts live in);
* ``extra``: for fashion-lite, the frozen tower's pooled features and the foreground colour
  histogram, which carry texture and colour detail that the 384-d projection compresses away
  (None for other embedders).

The cache is keyed per photo by file name, size and modification time, so a run computes only new
or changed photos and a run that is killed keeps what it had saved (it saves every few hundred
photos). For fashion-lite the cache holds the tower outputs, not the projected vectors, so new
head weights reuse it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from fashion_search.embed.base import Embedder
from fashion_search.errors import ImageError

Progress = Callable[[str, int, int], None]

_CACHE_VERSION = "1"
_MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class PhotoInputs:
    """Row-aligned inputs of the attribute methods for the photos that could be read."""

    ids: np.ndarray
    vectors: np.ndarray
    extra: np.ndarray | None
    failed: dict[int, str]
    """Products whose photo could not be read, with the reason."""

    def rows(self, ids: Sequence[int]) -> np.ndarray:
        """Row of each id (which must be present)."""
        position = {int(i): r for r, i in enumerate(self.ids.tolist())}
        return np.asarray([position[int(i)] for i in ids], dtype=np.int64)

    def subset(self, ids: Sequence[int]) -> PhotoInputs:
        rows = self.rows(ids)
        return PhotoInputs(
            ids=self.ids[rows],
            vectors=self.vectors[rows],
            extra=None if self.extra is None else self.extra[rows],
            failed={},
        )


def file_key(path: Path) -> str:
    """Name, size and modification time of a photo: changes when the file does."""
    st = path.stat()
    return f"{path.name}:{st.st_size}:{st.st_mtime_ns}"


def _load_images(paths: Sequence[Path]) -> tuple[list[Image.Image], list[int], dict[int, str]]:
    from fashion_search.catalog.images import open_image_rgb

    images: list[Image.Image] = []
    ok: list[int] = []
    failed: dict[int, str] = {}
    for i, path in enumerate(paths):
        try:
            images.append(open_image_rgb(path, _MAX_PIXELS))
            ok.append(i)
        except (ImageError, OSError) as exc:
            failed[i] = str(exc)
    return images, ok, failed


class _Cache:
    """An ``.npz`` of per-photo rows with the file key each row was computed from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.keys: dict[int, str] = {}
        self.arrays: dict[str, dict[int, np.ndarray]] = {}
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as data:
                    ids = data["ids"].tolist()
                    keys = data["keys"].tolist()
                    self.keys = dict(zip(ids, keys, strict=True))
                    for name in data.files:
                        if name not in ("ids", "keys"):
                            self.arrays[name] = dict(zip(ids, data[name], strict=True))
            except (OSError, ValueError, KeyError):
                # A damaged cache is only lost time: start again.
                self.keys, self.arrays = {}, {}

    def fresh(self, pid: int, key: str) -> bool:
        return self.keys.get(pid) == key

    def put(self, pid: int, key: str, rows: dict[str, np.ndarray]) -> None:
        self.keys[pid] = key
        for name, row in rows.items():
            self.arrays.setdefault(name, {})[pid] = row

    def get(self, name: str, ids: Sequence[int]) -> np.ndarray:
        table = self.arrays[name]
        return np.stack([table[i] for i in ids]) if ids else np.zeros((0, 0), np.float32)

    def save(self) -> None:
        ids = sorted(self.keys)
        payload: dict[str, Any] = {
            "ids": np.asarray(ids, dtype=np.int64),
            "keys": np.asarray([self.keys[i] for i in ids], dtype=np.str_),
        }
        for name, table in self.arrays.items():
            if ids:
                payload[name] = np.stack([table[i] for i in ids])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".attr-features.", suffix=".npz", dir=self.path.parent)
        os.close(fd)
        try:
            np.savez(tmp, **payload)
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                Path(tmp).unlink()


def _half_row(rows: np.ndarray | None, j: int) -> np.ndarray:
    return np.zeros(0, np.float16) if rows is None else rows[j].astype(np.float16)


def _cache_name(embedder: Embedder) -> str:
    from fashion_search.embed.fashion_lite import FashionLiteEmbedder

    if isinstance(embedder, FashionLiteEmbedder):
        # Tower outputs do not depend on the head weights: keyed by the tower export only.
        tag = f"towers|{embedder.image_backbone.onnx_path.name}"
    else:
        tag = f"vectors|{embedder.name}"
    digest = hashlib.sha256(f"{_CACHE_VERSION}|{tag}".encode()).hexdigest()[:16]
    return f"attr-features-{digest}.npz"


def photo_inputs(
    embedder: Embedder,
    photos: Sequence[tuple[int, Path]],
    cache_dir: Path,
    *,
    batch_size: int = 32,
    save_every: int = 512,
    progress: Progress | None = None,
) -> PhotoInputs:
    """Inputs for every ``(product id, photo path)``: cached rows are reused, the rest computed."""
    from fashion_search.embed.fashion_lite import FashionLiteEmbedder
    from fashion_search.embed.features import ImageFeatures

    lite = embedder if isinstance(embedder, FashionLiteEmbedder) else None
    cache = _Cache(Path(cache_dir) / _cache_name(embedder))
    keys: dict[int, str] = {}
    failed: dict[int, str] = {}
    for pid, path in photos:
        try:
            keys[pid] = file_key(path)
        except OSError as exc:
            failed[pid] = f"cannot read {path.name}: {exc.strerror}"
    todo = [(pid, path) for pid, path in photos if pid in keys and not cache.fresh(pid, keys[pid])]
    since_save = 0
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        images, ok, bad = _load_images([path for _, path in batch])
        for i, reason in bad.items():
            failed[batch[i][0]] = reason
        if images:
            if lite is not None:
                feats = lite.image_features(images)
                for j, i in enumerate(ok):
                    pid = batch[i][0]
                    cache.put(
                        pid,
                        keys[pid],
                        {
                            "backbone": feats.backbone[j],
                            "logits": feats.logits[j].astype(np.float16),
                            "colour": feats.colour[j],
                            # the visual head of newer models reads these two (embed/backbones.py)
                            "extra": _half_row(feats.extra, j),
                            "spatial": _half_row(feats.spatial, j),
                        },
                    )
            else:
                vecs = embedder.embed_images(images)
                for j, i in enumerate(ok):
                    pid = batch[i][0]
                    cache.put(pid, keys[pid], {"vectors": vecs[j]})
        since_save += len(batch)
        if since_save >= save_every:
            cache.save()
            since_save = 0
        if progress is not None:
            progress("photo features", min(start + batch_size, len(todo)), len(todo))
    if since_save:
        cache.save()
    ids = [pid for pid, _ in photos if pid in keys and pid not in failed and cache.fresh(pid, keys[pid])]
    if lite is not None:
        if ids:
            feats = ImageFeatures(
                backbone=cache.get("backbone", ids),
                logits=cache.get("logits", ids).astype(np.float32),
                colour=cache.get("colour", ids),
                extra=cache.get("extra", ids) if "extra" in cache.arrays else None,
                spatial=cache.get("spatial", ids) if "spatial" in cache.arrays else None,
            )
            vectors = lite.embed_image_features(feats)
            extra = np.concatenate([feats.backbone, feats.colour], axis=1).astype(np.float32)
        else:
            vectors = np.zeros((0, embedder.dim), np.float32)
            extra = np.zeros((0, 0), np.float32)
        return PhotoInputs(np.asarray(ids, dtype=np.int64), vectors, extra, failed)
    vectors = cache.get("vectors", ids) if ids else np.zeros((0, embedder.dim), np.float32)
    return PhotoInputs(np.asarray(ids, dtype=np.int64), vectors.astype(np.float32), None, failed)
