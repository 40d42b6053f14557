"""Approximate cosine top-k with FAISS HNSW graphs: the VectorIndex for large embedded catalogs.

:class:`HnswIndex` is an :class:`~fashion_search.index.exact.ExactIndex` (same products, columnar
filter masks, vectors, listings and facets) plus one HNSW graph per space, so that a search no
longer reads every vector. Results keep the exact index's semantics: whole products, cosine
scores recomputed from the stored vectors (not FAISS's), best first, ties by id.

A filter with ``=`` / ``in`` on one of ``HnswParams.partition_fields`` (low-cardinality text
fields such as gender or colour) walks a **sub-graph per value** instead: every value with at
least ``partition_min_rows`` vectors has its own graph (SQ8 codes by default, rescored from the
float32 vectors), so a filter keeping 10% of the catalog is an unfiltered walk of a graph ten
times smaller; the filter's other conditions and the include / exclude ids become a bitmap inside
it; smaller values are scored exactly from their rows. ``in`` merges the values' best k.

Other queries pick their path from the number of candidate rows (those matching the filter, minus
excluded ids, within ``include_ids``):

* few candidates -- at most ``exact_max_cells`` vector cells (rows x dim), or no more than k --
  are scored exactly: gathering them and one matrix-vector product costs less than walking the
  graph (on 2 cores at 384-d: about 0.3 ms for 4,000 rows, while the rows still fit in cache);
* more candidates walk the graph with a FAISS ``IDSelectorBitmap`` of the candidates and an
  ``efSearch`` raised by ``(1 / share) ** filtered_ef_power`` (capped at ``max_filtered_ef``),
  because a filtered walk skips the rejected neighbours and needs a longer queue to find k;
* if the walk still returns fewer than k products, an exact pass over the candidates tops it up,
  so a filtered search returns k matches whenever k products match.

Writes: FAISS graphs cannot remove points, so replaced and deleted products leave dead labels that
every walk excludes; the graph is rebuilt once more than ``rebuild_dead_fraction`` of it is dead.
Changes reach the graph at the first search after them, on a copy (copy-on-write), so searches
that are running keep a consistent graph. Sub-graphs follow the same way, and also follow
metadata: a product whose value changed leaves the old value's sub-graph and joins the new one.

Persistence: :meth:`HnswIndex.save` writes the exact index files (so the directory also loads as
an :class:`ExactIndex`), then one FAISS file and one label array per space and per sub-graph,
then ``hnsw.json``, atomically and last. ``hnsw.json`` carries every graph file's SHA-256, the
exact manifest's SHA-256 and a checksum of itself: a damaged file raises
:class:`IndexCorruptError`; graphs left from an interrupted save (exact manifest changed since)
are rebuilt from the loaded vectors.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fashion_search.domain import PRODUCT_FIELDS, SPACES, Filter, Hit, Op
from fashion_search.errors import (
    ConfigurationError,
    IndexCorruptError,
    MissingDependencyError,
    ValidationError,
)
from fashion_search.index.exact import (
    MANIFEST,
    ExactIndex,
    _as_ids,
    _check_space,
    _fsync_dir,
    _HashingWriter,
    _Snapshot,
    _Space,
    _top_k,
    _write_atomic,
)

HNSW_MANIFEST = "hnsw.json"
HNSW_FORMAT_NAME = "fashion-search-hnsw-graphs"
HNSW_FORMAT_VERSION = 2
"""Version 2 adds per-value sub-graphs (``partitions``); version 1 directories still load."""
_READABLE_VERSIONS = (1, 2)
PARTITION_STORAGES = ("sq8", "flat")
_REBUILD = "rebuild it with `fashion-search index`"
_GRAPH_FILE = re.compile(r"^(image|text|hybrid)\.[0-9a-f]+(\.p[0-9]+)?\.(graph\.faiss|labels\.npy)$")
# Exclusions this small are dropped from an over-fetched unfiltered walk instead of a bitmap.
_OVERFETCH_EXCLUDE = 64


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as e:
        raise MissingDependencyError("faiss-cpu", "hnsw", "the HNSW index") from e
    return faiss


@dataclass(frozen=True, slots=True)
class HnswParams:
    """Graph and query settings of :class:`HnswIndex` (see the module docstring for their roles)."""

    m: int = 32
    """Neighbours per node (FAISS ``M``): more gives higher recall, more memory, slower builds."""
    ef_construction: int = 128
    ef_search: int = 128
    """Queue length of an unfiltered walk. 128 reached recall@10 0.983 against exact on the 44k real
    catalog's text vectors (96: 0.976) at a p50 of about 0.37 ms (bench/bench_index.py)."""
    exact_max_cells: int = 3_000_000
    """Candidate rows x dim at or below which a query is answered exactly (0: only when <= k)."""
    filtered_ef_power: float = 0.6
    max_filtered_ef: int = 1024
    rebuild_dead_fraction: float = 0.2
    partition_fields: tuple[str, ...] = ()
    """Low-cardinality text fields (e.g. ``gender``, ``master_category``, ``base_colour``) whose
    values get a sub-graph each: a filter with ``=`` / ``in`` on one of them walks the matching
    sub-graphs unfiltered instead of the whole graph through a bitmap."""
    partition_min_rows: int = 1000
    """Values with fewer vectors, or at most ``exact_max_cells`` cells (rows x dim), get no
    sub-graph: a contiguous float32 copy of their rows is scored exactly (recall 1, no gather)."""
    partition_storage: str = "sq8"
    """How sub-graphs store vectors: ``sq8`` (8-bit scalar quantised, a quarter of float32's memory;
    results are rescored from the float32 vectors) or ``flat`` (a float32 copy)."""
    partition_fetch: int = 2
    """A sub-graph walk fetches ``partition_fetch x k`` results to rescore exactly (SQ8 ranks roughly)."""
    partition_ef_search: int = 128
    """Queue length of a sub-graph walk. At 1M synthetic vectors Black's 100k-vector sub-graph gave
    recall@10 1.000 at 128 (p50 1.11 ms; 192: 1.67 ms). Small, hard sub-graphs need more (the 44k
    real catalog's 4k-row Sports: 0.976 at 192, 0.985 at 384): those are exact blocks instead."""
    partition_walk_share: float = 0.25
    """With further conditions inside a sub-graph, walk it (through a bitmap) when at least this
    share of its rows pass them, or when they are too many for ``exact_max_cells``; else exact."""

    def __post_init__(self) -> None:
        # JSON round trips give lists; keep the field hashable and comparable.
        object.__setattr__(self, "partition_fields", tuple(self.partition_fields))
        for name in ("partition_min_rows", "partition_fetch", "partition_ef_search"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"HNSW {name} must be a positive integer, got {value!r}")
        for name in self.partition_fields:
            if not isinstance(name, str) or PRODUCT_FIELDS.get(name) is not str:
                text = ", ".join(f for f, kind in PRODUCT_FIELDS.items() if kind is str)
                raise ConfigurationError(
                    f"HNSW partition_fields: {name!r} is not a text product field; choose from {text}"
                )
        if len(set(self.partition_fields)) != len(self.partition_fields):
            raise ConfigurationError(f"HNSW partition_fields repeats a field: {list(self.partition_fields)}")
        if not 0.0 <= float(self.partition_walk_share) <= 1.0:
            raise ConfigurationError(
                f"HNSW partition_walk_share must be between 0 and 1, got {self.partition_walk_share!r}"
            )
        if self.partition_storage not in PARTITION_STORAGES:
            raise ConfigurationError(
                f"HNSW partition_storage must be one of {', '.join(PARTITION_STORAGES)}, "
                f"got {self.partition_storage!r}"
            )
        for name in ("m", "ef_construction", "ef_search", "max_filtered_ef"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"HNSW {name} must be a positive integer, got {value!r}")
        if self.m < 2:
            raise ConfigurationError(f"HNSW m must be at least 2, got {self.m}")
        value = self.exact_max_cells
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigurationError(f"HNSW exact_max_cells must be a non-negative integer, got {value!r}")
        if not 0.0 <= float(self.filtered_ef_power) <= 2.0:
            raise ConfigurationError(
                f"HNSW filtered_ef_power must be between 0 and 2, got {self.filtered_ef_power!r}"
            )
        if not 0.0 < float(self.rebuild_dead_fraction) <= 1.0:
            raise ConfigurationError(
                f"HNSW rebuild_dead_fraction must be in (0, 1], got {self.rebuild_dead_fraction!r}"
            )

    def filtered_ef(self, share: float, k: int, base: int | None = None) -> int:
        """The efSearch of a walk restricted to ``share`` (0 < share <= 1) of the graph.

        ``base`` is the unrestricted walk's efSearch (default ``ef_search``).
        """
        scale = (1.0 / max(share, 1e-9)) ** self.filtered_ef_power
        start = self.ef_search if base is None else base
        return max(k, min(self.max_filtered_ef, math.ceil(start * scale)))


@dataclass(frozen=True, slots=True)
class _Graph:
    """One space's graph and how its labels map onto the snapshot it was last synced with."""

    index: Any
    """faiss.IndexHNSWFlat over unit vectors, inner product."""
    dim: int
    label_ids: np.ndarray
    """int64 product id per FAISS label; -1 for a dead label (deleted or replaced)."""
    dead: int
    snapshot: _Snapshot
    label_rows: np.ndarray
    """Vector row (in the snapshot's space) per label; 0 for dead labels (masked by ``alive``)."""
    identity: bool
    """Labels are exactly the vector rows (nothing dead or reordered): masks need no gather."""
    alive_bits: np.ndarray | None
    """Packed bitmap of the live labels when some are dead."""


@dataclass(frozen=True, slots=True)
class _Partition:
    """One partitioned field of one space at one snapshot: vector rows grouped by value."""

    field: str
    order: np.ndarray
    """Vector rows sorted by the field's value (ascending rows within a value); nulls first."""
    spans: dict[str, tuple[int, int]]
    """Per value present: its ``[start, stop)`` in ``order``."""
    graphs: dict[str, _Graph]
    """Sub-graph per value with at least ``partition_min_rows`` vectors, more than ``exact_max_cells``."""
    blocks: dict[str, tuple[np.ndarray, np.ndarray]]
    """The other values: their ids and a contiguous float32 copy of their vectors, scored exactly."""

    def rows(self, value: str) -> np.ndarray:
        start, stop = self.spans.get(value, (0, 0))
        return self.order[start:stop]

    def size(self, value: object) -> int:
        start, stop = self.spans.get(value, (0, 0)) if isinstance(value, str) else (0, 0)
        return stop - start


def _partition_values(where: Filter, fields: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """(condition position, values) of each ``=`` / ``in`` condition on a partitioned field."""
    out: list[tuple[int, list[str]]] = []
    for position, c in enumerate(where.conditions):
        if c.field not in fields:
            continue
        if c.op is Op.EQ:
            out.append((position, [c.value] if isinstance(c.value, str) else []))
        elif c.op is Op.IN:
            out.append((position, sorted({v for v in c.value if isinstance(v, str)})))
    return out


def _member(sorted_ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Boolean per entry of ``values``: is it in ``sorted_ids`` (ascending)?"""
    if sorted_ids.shape[0] == 0 or values.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_ids, values), sorted_ids.shape[0] - 1)
    return sorted_ids[pos] == values


def _graph_bytes(index: Any) -> int:
    """Memory a FAISS HNSW index holds: stored codes plus the graph's links and levels."""
    storage = index.storage
    codes = int(storage.ntotal) * int(storage.sa_code_size())
    hnsw = index.hnsw
    return codes + 4 * int(hnsw.neighbors.size()) + 8 * int(hnsw.offsets.size()) + 4 * int(hnsw.levels.size())


def _bitmap_selector(faiss: Any, mask: np.ndarray) -> tuple[Any, np.ndarray]:
    bits = np.packbits(mask, bitorder="little")
    # The selector points into ``bits``: callers keep the array alive for the search.
    return faiss.IDSelectorBitmap(mask.shape[0], faiss.swig_ptr(bits)), bits


def _positions(sorted_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Boolean mask over ``sorted_ids`` of the ids in ``wanted``."""
    out = np.zeros(sorted_ids.shape[0], dtype=bool)
    if sorted_ids.shape[0] and wanted.shape[0]:
        pos = np.minimum(np.searchsorted(sorted_ids, wanted), sorted_ids.shape[0] - 1)
        out[pos[sorted_ids[pos] == wanted]] = True
    return out


class HnswIndex(ExactIndex):
    """An :class:`ExactIndex` whose searches walk FAISS HNSW graphs when many rows are candidates.

    ``params`` sets the graph (M, efConstruction) and the per-query choices (efSearch, when to
    answer exactly); ``build_threads`` bounds FAISS's threads while a graph is built (None: all).
    """

    def __init__(
        self,
        model: str | None = None,
        params: HnswParams | None = None,
        *,
        build_threads: int | None = None,
    ) -> None:
        _faiss()  # fail now, with the extra to install, rather than at the first search
        super().__init__(model=model)
        if params is not None and not isinstance(params, HnswParams):
            raise ConfigurationError(f"params must be HnswParams, got {type(params).__name__}")
        if build_threads is not None and (
            isinstance(build_threads, bool) or not isinstance(build_threads, int) or build_threads < 1
        ):
            raise ConfigurationError(f"build_threads must be a positive integer, got {build_threads!r}")
        self.params = params or HnswParams()
        self.build_threads = build_threads
        self._graphs: dict[str, _Graph] = {}
        self._touched: dict[str, list[np.ndarray]] = {}
        """Per space with a graph: ids upserted or deleted since the graph was last synced."""
        self._parts: dict[str, tuple[_Snapshot, dict[str, _Partition]]] = {}
        """Per space: the partitioned fields (sub-graphs) and the snapshot they were synced with."""
        self._part_touched: dict[str, list[np.ndarray]] = {}
        """Per space with partitions: ids upserted or deleted since they were last synced."""

    def __repr__(self) -> str:
        counts = ", ".join(f"{s}={self.count(s)}" for s in SPACES)
        p = self.params
        return (
            f"HnswIndex(products={self.count()}, {counts}, model={self.model!r}, "
            f"M={p.m}, efConstruction={p.ef_construction}, efSearch={p.ef_search})"
        )

    # -- writes -------------------------------------------------------------------------------

    def upsert(self, space: str, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Add or replace vectors of one space; the graph follows at the next search."""
        with self._lock:
            super().upsert(space, ids, vectors)
            if space in self._graphs:
                self._touched.setdefault(space, []).append(_as_ids(ids).copy())
            if space in self._parts:
                self._part_touched.setdefault(space, []).append(_as_ids(ids).copy())

    def delete(self, ids: Iterable[int]) -> None:
        """Remove products and their vectors from every space and graph; unknown ids are ignored."""
        gone = _as_ids(ids).copy()
        with self._lock:
            super().delete(gone)
            for space in self._graphs:
                self._touched.setdefault(space, []).append(gone)
            for space in self._parts:
                self._part_touched.setdefault(space, []).append(gone)

    def graph_stats(self, space: str) -> dict[str, int]:
        """Labels, dead labels and live vectors of the space's graph (built or synced now)."""
        _check_space(space)
        snap = self._current()
        data = snap.spaces.get(space)
        if data is None or data.ids.shape[0] == 0:
            return {"labels": 0, "dead": 0, "vectors": 0}
        graph = self._graph(space, snap)
        return {
            "labels": int(graph.label_ids.shape[0]),
            "dead": graph.dead,
            "vectors": int(data.ids.shape[0]),
        }

    def partition_stats(self, space: str) -> list[dict[str, Any]]:
        """Per value (synced now): field, value, kind, labels, dead labels, vectors, bytes.

        ``kind`` is ``graph`` (a sub-graph) or ``block`` (a contiguous copy scored exactly).
        """
        _check_space(space)
        snap = self._current()
        data = snap.spaces.get(space)
        if data is None or data.ids.shape[0] == 0 or not self.params.partition_fields:
            return []
        _, parts = self._partitions(space)
        return [
            {
                "field": field,
                "value": value,
                "kind": "graph",
                "labels": int(graph.label_ids.shape[0]),
                "dead": graph.dead,
                "vectors": part.size(value),
                "bytes": _graph_bytes(graph.index),
            }
            for field, part in parts.items()
            for value, graph in sorted(part.graphs.items())
        ] + [
            {
                "field": field,
                "value": value,
                "kind": "block",
                "labels": 0,
                "dead": 0,
                "vectors": part.size(value),
                "bytes": int(block[1].nbytes),
            }
            for field, part in parts.items()
            for value, block in sorted(part.blocks.items())
        ]

    # -- graphs -------------------------------------------------------------------------------

    def _graph(self, space: str, snap: _Snapshot) -> _Graph:
        graph = self._graphs.get(space)
        if graph is not None and graph.snapshot is snap:
            return graph
        with self._lock:
            snap = self._current()
            graph = self._graphs.get(space)
            if graph is not None and graph.snapshot is snap:
                return graph
            data = snap.spaces[space]
            touched = self._touched.pop(space, [])
            if graph is None or graph.dim != int(data.matrix.shape[1]):
                graph = self._build(snap, space, data)
            elif touched:
                graph = self._apply_changes(snap, space, data, graph, np.unique(np.concatenate(touched)))
            else:
                graph = self._attach(snap, space, data, graph.index, graph.label_ids)
            self._graphs[space] = graph
            return graph

    def _build(self, snap: _Snapshot, space: str, data: _Space) -> _Graph:
        index = self._new_index(int(data.matrix.shape[1]), "flat")
        self._fill(index, data.matrix)
        return self._attach(snap, space, data, index, data.ids.copy())

    def _new_index(self, dim: int, storage: str) -> Any:
        faiss = _faiss()
        if storage == "sq8":
            index = faiss.IndexHNSWSQ(
                dim, faiss.ScalarQuantizer.QT_8bit, self.params.m, faiss.METRIC_INNER_PRODUCT
            )
        else:
            index = faiss.IndexHNSWFlat(dim, self.params.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.params.ef_construction
        index.hnsw.efSearch = self.params.ef_search
        return index

    def _fill(self, index: Any, vectors: np.ndarray) -> None:
        """Train (quantised storage) and add ``vectors`` with at most ``build_threads`` threads."""
        faiss = _faiss()
        previous = faiss.omp_get_max_threads()
        if self.build_threads is not None:
            faiss.omp_set_num_threads(self.build_threads)
        try:
            if vectors.shape[0]:
                block = np.ascontiguousarray(vectors, dtype=np.float32)
                if not index.is_trained:
                    index.train(block)
                index.add(block)
        finally:
            if self.build_threads is not None:
                faiss.omp_set_num_threads(previous)

    # -- sub-graphs per value of the partitioned fields ----------------------------------------

    def _partitions(self, space: str) -> tuple[_Snapshot, dict[str, _Partition]]:
        """The current snapshot and its partitions of ``space`` (synced now when writes came since)."""
        snap = self._current()
        cached = self._parts.get(space)
        if cached is not None and cached[0] is snap:
            return cached
        with self._lock:
            snap = self._current()
            cached = self._parts.get(space)
            if cached is not None and cached[0] is snap:
                return cached
            data = snap.spaces[space]
            pending = self._part_touched.pop(space, [])
            touched = np.unique(np.concatenate(pending)) if pending else np.empty(0, dtype=np.int64)
            old = {} if cached is None else cached[1]
            parts = {
                field: self._partition(snap, space, data, field, old.get(field), touched)
                for field in self.params.partition_fields
            }
            self._parts[space] = (snap, parts)
            return snap, parts

    def _partition(
        self,
        snap: _Snapshot,
        space: str,
        data: _Space,
        field: str,
        old: _Partition | None,
        touched: np.ndarray,
    ) -> _Partition:
        codes = snap.columns.codes[field][snap.rows[space]]
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(snap.columns.vocab[field]) + 1))
        spans = {
            value: (int(bounds[code]), int(bounds[code + 1]))
            for value, code in snap.columns.vocab[field].items()
            if bounds[code + 1] > bounds[code]
        }
        graphs: dict[str, _Graph] = {}
        blocks: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        dim = int(data.matrix.shape[1])
        for value, (start, stop) in spans.items():
            rows = order[start:stop]
            if (
                stop - start >= self.params.partition_min_rows
                and (stop - start) * dim > self.params.exact_max_cells
            ):
                previous = None if old is None else old.graphs.get(value)
                graphs[value] = self._sync_subgraph(snap, space, data, rows, previous, touched)
                continue
            ids = data.ids[rows]
            kept = None if old is None else old.blocks.get(value)
            if (
                kept is not None
                and kept[1].shape[1] == dim
                and np.array_equal(kept[0], ids)
                and not _member(touched, ids).any()
            ):
                blocks[value] = kept  # same products, same vectors: no copy
            else:
                blocks[value] = (ids, np.ascontiguousarray(data.matrix[rows]))
        return _Partition(field, order, spans, graphs, blocks)

    def _sync_subgraph(
        self,
        snap: _Snapshot,
        space: str,
        data: _Space,
        rows: np.ndarray,
        graph: _Graph | None,
        touched: np.ndarray,
    ) -> _Graph:
        """The sub-graph of the vector ``rows`` (ascending) having one value: built, or ``graph`` updated.

        Labels of products that left the value (metadata changed), lost their vector or got a new
        one are retired; products that joined it are added, on a copy of the graph.
        """
        ids = data.ids[rows]
        if graph is None or graph.dim != int(data.matrix.shape[1]):
            index = self._new_index(int(data.matrix.shape[1]), self.params.partition_storage)
            self._fill(index, data.matrix[rows])
            return self._attach(snap, space, data, index, ids)
        label_ids = graph.label_ids.copy()
        stale = (label_ids >= 0) & (~_member(ids, label_ids) | _member(touched, label_ids))
        label_ids[stale] = -1
        add = ids[~_member(np.sort(label_ids[label_ids >= 0]), ids)]
        dead = int(np.count_nonzero(label_ids < 0))
        if dead / (label_ids.shape[0] + add.shape[0]) > self.params.rebuild_dead_fraction:
            return self._sync_subgraph(snap, space, data, rows, None, touched)
        index = graph.index
        if add.size:
            index = _faiss().clone_index(graph.index)  # copy-on-write: running searches keep the old one
            self._fill(index, data.matrix[np.searchsorted(data.ids, add)])
            label_ids = np.concatenate([label_ids, add])
        return self._attach(snap, space, data, index, label_ids)

    def _apply_changes(
        self, snap: _Snapshot, space: str, data: _Space, graph: _Graph, touched: np.ndarray
    ) -> _Graph:
        """Retire the labels of ``touched`` ids, then add those that still have a vector, as they are now."""
        label_ids = graph.label_ids.copy()
        label_ids[np.isin(label_ids, touched)] = -1
        present = touched[_positions(touched, data.ids)]
        dead = int(np.count_nonzero(label_ids < 0))
        total = label_ids.shape[0] + present.shape[0]
        if total == 0 or dead / total > self.params.rebuild_dead_fraction:
            return self._build(snap, space, data)
        index = graph.index
        if present.size:
            index = _faiss().clone_index(graph.index)  # copy-on-write: running searches keep the old one
            index.add(np.ascontiguousarray(data.matrix[np.searchsorted(data.ids, present)]))
            label_ids = np.concatenate([label_ids, present])
        return self._attach(snap, space, data, index, label_ids)

    @staticmethod
    def _attach(snap: _Snapshot, space: str, data: _Space, index: Any, label_ids: np.ndarray) -> _Graph:
        alive = label_ids >= 0
        dead = int(label_ids.shape[0] - np.count_nonzero(alive))
        n = data.ids.shape[0]
        identity = dead == 0 and label_ids.shape[0] == n and bool(np.array_equal(label_ids, data.ids))
        if identity:
            label_rows = np.arange(n, dtype=np.int64)
        else:
            label_rows = np.searchsorted(data.ids, np.where(alive, label_ids, 0))
            label_rows = np.where(alive, np.minimum(label_rows, max(n - 1, 0)), 0)
        return _Graph(
            index=index,
            dim=int(data.matrix.shape[1]),
            label_ids=label_ids,
            dead=dead,
            snapshot=snap,
            label_rows=label_rows,
            identity=identity,
            alive_bits=None if dead == 0 else np.packbits(alive, bitorder="little"),
        )

    # -- search -------------------------------------------------------------------------------

    def search(
        self,
        space: str,
        vector: np.ndarray,
        k: int = 10,
        where: Filter | None = None,
        exclude_ids: Iterable[int] = (),
        include_ids: Iterable[int] | None = None,
    ) -> list[Hit]:
        """The k most similar products among those matching ``where``, best first (ties by id).

        ``include_ids`` limits the candidates to those ids; ``exclude_ids`` removes ids. Answered
        exactly or by the graph depending on how many rows are candidates (module docstring).
        """
        _check_space(space)
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
            raise ValidationError(f"k must be a non-negative integer, got {k!r}")
        if where is not None and not isinstance(where, Filter):
            raise ValidationError(f"where must be a Filter, got {type(where).__name__}")
        query = self._query(space, vector)
        excluded = _as_ids(exclude_ids, "exclude_ids")
        included = None if include_ids is None else _as_ids(include_ids, "include_ids")
        snap = self._current()
        data = snap.spaces.get(space)
        if data is None or data.ids.shape[0] == 0 or k == 0:
            return []
        k = int(k)
        if where and self.params.partition_fields:
            choices = _partition_values(where, self.params.partition_fields)
            if choices:
                return self._search_partitions(space, query, k, where, choices, excluded, included)
        n, dim = data.matrix.shape
        mask: np.ndarray | None = None
        if where:
            product_mask = snap.columns.mask(where)
            # Vector ids are a subset of product ids, both ascending: equal counts mean equal rows,
            # and the product mask is already the row mask (no gather over every row).
            mask = (
                product_mask
                if snap.rows[space].shape[0] == product_mask.shape[0]
                else (product_mask[snap.rows[space]])
            )
        if included is not None:
            keep = _positions(data.ids, included)
            mask = keep if mask is None else mask & keep
        drop: np.ndarray | None = None
        if excluded.size:
            excluded = np.unique(excluded)
            if mask is None and excluded.size <= _OVERFETCH_EXCLUDE:
                drop = excluded  # an unfiltered walk over-fetches and drops these
            else:
                keep = ~_positions(data.ids, excluded)
                mask = keep if mask is None else mask & keep
        if mask is not None:
            candidates = int(np.count_nonzero(mask))
        else:
            candidates = n - (0 if drop is None else int(np.count_nonzero(_positions(data.ids, drop))))
        if candidates <= 0:
            return []
        if candidates > k and candidates * dim > self.params.exact_max_cells:
            hits = self._walk(snap, space, data, self._graph(space, snap), query, k, mask, candidates, drop)
            if hits is not None:
                return hits
        if drop is not None:
            mask = ~_positions(data.ids, drop)
        return self._exact(snap, space, data, query, k, mask)

    def _walk(
        self,
        snap: _Snapshot,
        space: str,
        data: _Space,
        graph: _Graph,
        query: np.ndarray,
        k: int,
        mask: np.ndarray | None,
        candidates: int,
        drop: np.ndarray | None,
    ) -> list[Hit] | None:
        """The graph's answer, or None when it found fewer than k products (the caller tops up)."""
        faiss = _faiss()
        want = k + (0 if drop is None else int(drop.shape[0]))
        bits: np.ndarray | None = None
        if mask is None:
            ef = max(self.params.ef_search, want)
            if graph.alive_bits is None:
                params = faiss.SearchParametersHNSW(efSearch=ef)
            else:
                selector = faiss.IDSelectorBitmap(graph.label_ids.shape[0], faiss.swig_ptr(graph.alive_bits))
                params = faiss.SearchParametersHNSW(efSearch=ef, sel=selector)
        else:
            label_mask = mask if graph.identity else mask[graph.label_rows] & (graph.label_ids >= 0)
            selector, bits = _bitmap_selector(faiss, label_mask)
            ef = self.params.filtered_ef(candidates / data.ids.shape[0], want)
            params = faiss.SearchParametersHNSW(efSearch=ef, sel=selector)
        _, labels = graph.index.search(query[None, :], want, params=params)
        del bits  # the bitmap had to outlive the search
        found = labels[0][labels[0] >= 0]
        ids = graph.label_ids[found]
        ok = ids >= 0
        found, ids = found[ok], ids[ok]
        if drop is not None and drop.size:
            keep = ~np.isin(ids, drop)
            found, ids = found[keep], ids[keep]
        if found.shape[0] < k:
            return None
        rows = graph.label_rows[found]
        scores = data.matrix[rows] @ query
        order = np.lexsort((ids, -scores))[:k]
        return self._hits(snap, space, rows[order], scores[order])

    def _search_partitions(
        self,
        space: str,
        query: np.ndarray,
        k: int,
        where: Filter,
        choices: list[tuple[int, list[str]]],
        excluded: np.ndarray,
        included: np.ndarray | None,
    ) -> list[Hit]:
        """A filter with ``=`` / ``in`` on a partitioned field: the best k of each value's rows, merged.

        The condition whose values hold the fewest vectors is the partition; the other conditions,
        ``include_ids`` and ``exclude_ids`` restrict each value's sub-graph walk through a bitmap.
        """
        snap, parts = self._partitions(space)
        data = snap.spaces.get(space)
        if data is None or data.ids.shape[0] == 0:
            return []
        conditions = where.conditions

        def size(choice: tuple[int, list[str]]) -> int:
            part = parts[conditions[choice[0]].field]
            return sum(part.size(v) for v in choice[1])

        position, values = min(choices, key=size)
        part = parts[conditions[position].field]
        rest = Filter(conditions[:position] + conditions[position + 1 :])
        extra: np.ndarray | None = None
        if rest:
            product_mask = snap.columns.mask(rest)
            extra = (
                product_mask
                if snap.rows[space].shape[0] == product_mask.shape[0]
                else product_mask[snap.rows[space]]
            )
        if included is not None:
            keep = _positions(data.ids, included)
            extra = keep if extra is None else extra & keep
        if excluded.size:
            keep = ~_positions(data.ids, np.unique(excluded))
            extra = keep if extra is None else extra & keep
        found = [self._value_top(data, part, value, query, k, extra) for value in values]
        rows = np.concatenate([f[0] for f in found]) if found else np.empty(0, dtype=np.int64)
        if rows.shape[0] == 0:
            return []
        scores = np.concatenate([f[1] for f in found])
        order = np.lexsort((rows, -scores))[:k]
        return self._hits(snap, space, rows[order], scores[order])

    def _value_top(
        self, data: _Space, part: _Partition, value: str, query: np.ndarray, k: int, extra: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vector rows and exact scores of the best k candidates having ``value`` (best first)."""
        rows = part.rows(value)
        block = part.blocks.get(value)
        if block is not None:
            # Few rows, stored contiguously: one matrix-vector product, exact (no gather).
            scores = block[1] @ query
            if extra is not None:
                keep = extra[rows]
                rows, scores = rows[keep], scores[keep]
            best = _top_k(scores, k)
            return rows[best], scores[best]
        if extra is not None:
            rows = rows[extra[rows]]
        n = int(rows.shape[0])
        graph = part.graphs.get(value)
        if n == 0:
            return rows, np.empty(0, dtype=np.float32)
        if (
            graph is not None
            and n > k
            and (
                extra is None
                or n >= self.params.partition_walk_share * part.size(value)
                or n * data.matrix.shape[1] > self.params.exact_max_cells
            )
        ):
            walked = self._walk_subgraph(data, graph, query, k, extra, n, n / part.size(value))
            if walked is not None:
                return walked
        scores = np.take(data.matrix, rows, axis=0) @ query
        best = _top_k(scores, k)
        return rows[best], scores[best]

    def _walk_subgraph(
        self,
        data: _Space,
        graph: _Graph,
        query: np.ndarray,
        k: int,
        extra: np.ndarray | None,
        candidates: int,
        share: float,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The best k of a sub-graph walk, rescored from the float32 vectors; None when it came back short."""
        faiss = _faiss()
        fetch = min(candidates, k * self.params.partition_fetch)
        bits: np.ndarray | None = None
        if extra is None:
            ef = max(self.params.partition_ef_search, fetch)
            selector = (
                None
                if graph.alive_bits is None
                else faiss.IDSelectorBitmap(graph.label_ids.shape[0], faiss.swig_ptr(graph.alive_bits))
            )
        else:
            label_mask = extra[graph.label_rows] & (graph.label_ids >= 0)
            selector, bits = _bitmap_selector(faiss, label_mask)
            ef = self.params.filtered_ef(share, fetch, self.params.partition_ef_search)
        params = (
            faiss.SearchParametersHNSW(efSearch=ef)
            if selector is None
            else faiss.SearchParametersHNSW(efSearch=ef, sel=selector)
        )
        _, labels = graph.index.search(query[None, :], fetch, params=params)
        del bits  # the bitmap had to outlive the search
        found = labels[0][labels[0] >= 0]
        found = found[graph.label_ids[found] >= 0]
        if found.shape[0] < min(k, candidates):
            return None
        rows = graph.label_rows[found]
        scores = data.matrix[rows] @ query
        best = np.lexsort((rows, -scores))[:k]
        return rows[best], scores[best]

    def _exact(
        self, snap: _Snapshot, space: str, data: _Space, query: np.ndarray, k: int, mask: np.ndarray | None
    ) -> list[Hit]:
        if mask is None:
            scores = data.matrix @ query
            best = _top_k(scores, k)
            return self._hits(snap, space, best, scores[best])
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return []
        scores = np.take(data.matrix, rows, axis=0) @ query
        best = _top_k(scores, k)
        return self._hits(snap, space, rows[best], scores[best])

    @staticmethod
    def _hits(snap: _Snapshot, space: str, vector_rows: np.ndarray, scores: np.ndarray) -> list[Hit]:
        product_rows = snap.rows[space][vector_rows]
        products = snap.columns.products
        return [Hit(products[int(p)], float(s)) for p, s in zip(product_rows, scores.tolist(), strict=True)]

    # -- persistence --------------------------------------------------------------------------

    @staticmethod
    def exists(directory: Path | str) -> bool:
        """Whether ``directory`` holds a saved HNSW index (exact files plus graphs)."""
        directory = Path(directory)
        return (directory / MANIFEST).is_file() and (directory / HNSW_MANIFEST).is_file()

    def save(self, directory: Path | str) -> None:
        """Write the exact index files, the graphs and ``hnsw.json`` atomically (module docstring)."""
        faiss = _faiss()
        directory = Path(directory)
        snap = self._current()
        graphs = {
            space: self._graph(space, snap) for space, data in snap.spaces.items() if data.ids.shape[0] > 0
        }
        partitions = {
            space: self._partitions(space)[1] if self.params.partition_fields else {} for space in graphs
        }
        super().save(directory)
        exact_sha = hashlib.sha256((directory / MANIFEST).read_bytes()).hexdigest()
        token = secrets.token_hex(8)

        def write(stem: str, graph: _Graph) -> dict[str, Any]:
            graph_name, labels_name = f"{stem}.graph.faiss", f"{stem}.labels.npy"
            blob = faiss.serialize_index(graph.index)

            def write_graph(out: _HashingWriter) -> None:
                out.write(blob.data)

            def write_labels(out: _HashingWriter) -> None:
                np.save(out, graph.label_ids, allow_pickle=False)

            return {
                "labels": int(graph.label_ids.shape[0]),
                "graph": {"file": graph_name, "sha256": _write_atomic(directory / graph_name, write_graph)},
                "label_ids": {
                    "file": labels_name,
                    "sha256": _write_atomic(directory / labels_name, write_labels),
                },
            }

        entries: dict[str, Any] = {}
        for space, graph in graphs.items():
            entries[space] = {"dim": graph.dim, **write(f"{space}.{token}", graph)}
            subgraphs = [
                (field, value, sub)
                for field, part in partitions[space].items()
                for value, sub in sorted(part.graphs.items())
            ]
            entries[space]["partitions"] = [
                {"field": field, "value": value, **write(f"{space}.{token}.p{i}", sub)}
                for i, (field, value, sub) in enumerate(subgraphs)
            ]
        body = {
            "format": HNSW_FORMAT_NAME,
            "version": HNSW_FORMAT_VERSION,
            "params": asdict(self.params),
            "exact_manifest_sha256": exact_sha,
            "spaces": entries,
        }
        document = {"body": body, "sha256": _body_sha(body)}
        text = json.dumps(document, indent=2, sort_keys=True).encode()
        _write_atomic(directory / HNSW_MANIFEST, lambda out: out.write(text))
        _fsync_dir(directory)
        referenced = {
            e[part]["file"]
            for entry in entries.values()
            for e in (entry, *entry["partitions"])
            for part in ("graph", "label_ids")
        }
        for path in directory.iterdir():
            if _GRAPH_FILE.match(path.name) and path.name not in referenced:
                with contextlib.suppress(OSError):
                    path.unlink()

    @classmethod
    def load(cls, directory: Path | str) -> HnswIndex:
        """Load a saved HNSW index, verifying every checksum (IndexCorruptError if one fails)."""
        directory = Path(directory)
        if (directory / MANIFEST).is_file() and not (directory / HNSW_MANIFEST).is_file():
            raise IndexCorruptError(
                f"{directory} holds an exact index but no {HNSW_MANIFEST} (the HNSW graphs); "
                f"load it as an exact index or {_REBUILD}"
            )
        index = super().load(directory)
        assert isinstance(index, HnswIndex)
        path = directory / HNSW_MANIFEST
        try:
            document = json.loads(path.read_bytes().decode("utf-8"))
            body = document["body"]
            if _body_sha(body) != document["sha256"]:
                raise IndexCorruptError(f"{path} failed its checksum; {_REBUILD}")
            if body.get("format") != HNSW_FORMAT_NAME:
                raise IndexCorruptError(f"{path} is not an HNSW graph manifest; {_REBUILD}")
            if body.get("version") not in _READABLE_VERSIONS:
                raise IndexCorruptError(
                    f"{path} has format version {body.get('version')!r}; this fashion-search reads "
                    f"versions {', '.join(map(str, _READABLE_VERSIONS))}; {_REBUILD}"
                )
            index.params = HnswParams(**body["params"])
            exact_sha = hashlib.sha256((directory / MANIFEST).read_bytes()).hexdigest()
            if body["exact_manifest_sha256"] != exact_sha:
                # An interrupted save: the graphs belong to an older exact index. Build new ones.
                return index
            index._load_graphs(directory, body["spaces"])
        except IndexCorruptError:
            raise
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise IndexCorruptError(f"{path} is unreadable ({e}); {_REBUILD}") from e
        except (KeyError, TypeError, ValueError, AttributeError, ConfigurationError) as e:
            raise IndexCorruptError(f"{path} is malformed ({e!r}); {_REBUILD}") from e
        return index

    def _load_graphs(self, directory: Path, spaces: dict[str, Any]) -> None:
        snap = self._current()
        for space, entry in spaces.items():
            if space not in SPACES:
                raise IndexCorruptError(f"{directory / HNSW_MANIFEST} names an unknown space {space!r}")
            data = snap.spaces.get(space)
            if data is None:
                raise IndexCorruptError(
                    f"the graph of space {space!r} in {directory} does not match its vectors; {_REBUILD}"
                )
            index, label_ids = self._read_graph(directory, entry, data, data.ids, f"space {space!r}")
            self._graphs[space] = self._attach(snap, space, data, index, label_ids)
            loaded: dict[str, dict[str, _Graph]] = {}
            for sub in entry.get("partitions", []):
                field, value = sub["field"], sub["value"]
                if field not in self.params.partition_fields or not isinstance(value, str):
                    raise IndexCorruptError(
                        f"{directory / HNSW_MANIFEST} names a sub-graph of {field!r} = {value!r}, not a "
                        f"partitioned field; {_REBUILD}"
                    )
                code = snap.columns.vocab[field].get(value, -2)
                members = data.ids[snap.columns.codes[field][snap.rows[space]] == code]
                what = f"{field} = {value!r} in space {space!r}"
                index, label_ids = self._read_graph(directory, sub, data, members, what)
                loaded.setdefault(field, {})[value] = self._attach(snap, space, data, index, label_ids)
            if self.params.partition_fields:
                # Values without a saved sub-graph (none should be missing) are built here.
                empty = np.empty(0, dtype=np.int64)
                old = {f: _Partition(f, empty, {}, graphs, {}) for f, graphs in loaded.items()}
                parts = {
                    f: self._partition(snap, space, data, f, old.get(f), empty)
                    for f in self.params.partition_fields
                }
                self._parts[space] = (snap, parts)

    def _read_graph(
        self, directory: Path, entry: dict[str, Any], data: _Space, members: np.ndarray, what: str
    ) -> tuple[Any, np.ndarray]:
        """A saved graph and its labels, checked to hold exactly the vectors of ``members`` (ids)."""
        blob = _read_graph_file(directory, entry["graph"])
        label_bytes = _read_graph_file(directory, entry["label_ids"])
        try:
            label_ids = np.load(io.BytesIO(label_bytes), allow_pickle=False)
            index = _faiss().deserialize_index(np.frombuffer(blob, dtype=np.uint8))
        except (ValueError, RuntimeError) as e:
            raise IndexCorruptError(f"graph files of {what} in {directory} are unreadable; {_REBUILD}") from e
        if (
            label_ids.dtype != np.int64
            or label_ids.shape != (int(entry["labels"]),)
            or index.ntotal != label_ids.shape[0]
            or index.d != data.matrix.shape[1]
            or not np.array_equal(np.sort(label_ids[label_ids >= 0]), members)
        ):
            raise IndexCorruptError(
                f"the graph of {what} in {directory} does not match its vectors; {_REBUILD}"
            )
        index.hnsw.efSearch = self.params.ef_search
        return index, label_ids


def _body_sha(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _read_graph_file(directory: Path, entry: dict[str, str]) -> bytes:
    name, sha256 = entry["file"], entry["sha256"]
    if not isinstance(name, str) or not _GRAPH_FILE.match(name):
        raise IndexCorruptError(f"{directory / HNSW_MANIFEST} names an unexpected file {name!r}; {_REBUILD}")
    path = directory / name
    try:
        data = path.read_bytes()
    except OSError as e:
        raise IndexCorruptError(f"index file {path} cannot be read ({e.strerror}); {_REBUILD}") from e
    if hashlib.sha256(data).hexdigest() != sha256:
        raise IndexCorruptError(f"index file {path} failed its checksum (truncated or corrupted); {_REBUILD}")
    return data
