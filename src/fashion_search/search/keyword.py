"""Keyword ranking (Okapi BM25) over product texts, for exact names and brands ("Puma", "Titan watch").

The index holds sparse postings: for each term, the rows of the documents that contain it and how
often. A query touches only the postings of its own terms, so it costs a few NumPy operations on a
few thousand entries. Documents are added, replaced and removed in place: a replaced or removed
document leaves a dead row that scoring skips, and the postings are compacted once dead rows are a
quarter of the index.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import unicodedata
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import numpy as np

from fashion_search.errors import IndexCorruptError, StoreError, ValidationError

_FORMAT = "fashion-search-bm25"
_VERSION = 1

_GROUP = re.compile(r"[^\W_]+(?:[-'\u2019\u02bc.&/][^\W_]+)*")
_JOINERS = re.compile(r"[-.&/]")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc")
STOPWORDS: frozenset[str] = frozenset("a an and are as at by for from in is it of on or the to with".split())
"""Words dropped from documents and queries."""


def _stem(word: str) -> str:
    """Light plural stemming, the same on both sides; the output is a key, never shown."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies"):
        return word[:-1]
    if word[-1] == "y" and word[-2] not in "aeiou":
        # "accessory" and "accessories" meet at "accessorie", "hoodie" and "hoodies" at "hoodie".
        return word[:-1] + "ie"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("oes"):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Index terms of a text: case-folded, accents removed, plurals folded, stop words dropped.

    A hyphenated or dotted group yields its parts and the joined form, so "T-shirt", "Tshirt" and
    "tshirts" meet at "tshirt" and "U.S." at "us".
    """
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c)).translate(_APOSTROPHES)
    out: list[str] = []
    for m in _GROUP.finditer(folded):
        group = m.group()
        parts = [p for p in _JOINERS.split(group) if p]
        words = parts if len(parts) == 1 else [*parts, "".join(parts)]
        for word in words:
            if (len(word) > 1 or word.isdigit()) and word not in STOPWORDS:
                out.append(_stem(word))
    return out


class KeywordIndex:
    """BM25 over ``id -> text`` documents; the caller chooses the text (e.g. ``describe_product``).

    ``k1`` is the term-frequency saturation and ``b`` the length normalisation, as in Okapi BM25.
    IDF is ``log(1 + (N - df + 0.5) / (df + 0.5))``, never negative.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        if not isinstance(k1, int | float) or isinstance(k1, bool) or not math.isfinite(k1) or k1 < 0:
            raise ValidationError(f"BM25 k1 must be a finite number >= 0, got {k1!r}")
        if not isinstance(b, int | float) or isinstance(b, bool) or not 0 <= b <= 1:
            raise ValidationError(f"BM25 b must be a number between 0 and 1, got {b!r}")
        self.k1 = float(k1)
        self.b = float(b)
        self._row_of: dict[int, int] = {}
        self._row_ids = array("q")
        self._doc_len = array("f")
        self._alive = bytearray()
        self._postings: dict[str, tuple[array[int], array[int]]] = {}
        self._compiled: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._n_dead = 0
        self._total_len = 0.0

    # ---- building --------------------------------------------------------------------

    @classmethod
    def build(
        cls, texts: Mapping[int, str] | Iterable[tuple[int, str]], k1: float = 1.2, b: float = 0.75
    ) -> KeywordIndex:
        """A new index over ``texts``."""
        index = cls(k1=k1, b=b)
        index.add(texts)
        return index

    def add(self, texts: Mapping[int, str] | Iterable[tuple[int, str]]) -> None:
        """Add documents; an id already present is replaced."""
        items = texts.items() if isinstance(texts, Mapping) else texts
        for pair in items:
            try:
                doc_id, text = pair
            except (TypeError, ValueError):
                raise ValidationError(
                    f"keyword documents must be (id, text) pairs, got {pair!r:.80}"
                ) from None
            if not isinstance(doc_id, int | np.integer) or isinstance(doc_id, bool):
                raise ValidationError(f"keyword document ids must be integers, got {doc_id!r:.80}")
            if not isinstance(text, str):
                raise ValidationError(
                    f"keyword document {doc_id} must have a text, got {type(text).__name__}"
                )
            doc_id = int(doc_id)
            self._kill(doc_id)
            row = len(self._row_ids)
            counts = Counter(tokenize(text))
            for term, tf in counts.items():
                posting = self._postings.get(term)
                if posting is None:
                    posting = self._postings[term] = (array("i"), array("i"))
                posting[0].append(row)
                posting[1].append(tf)
                self._compiled.pop(term, None)
            length = sum(counts.values())
            self._row_of[doc_id] = row
            self._row_ids.append(doc_id)
            self._doc_len.append(length)
            self._alive.append(1)
            self._total_len += length
        self._arrays = None
        self._maybe_compact()

    def remove(self, ids: Iterable[int]) -> None:
        """Remove documents; unknown ids are ignored."""
        for doc_id in ids:
            self._kill(int(doc_id))
        self._arrays = None
        self._maybe_compact()

    def _kill(self, doc_id: int) -> None:
        row = self._row_of.pop(doc_id, None)
        if row is not None:
            self._alive[row] = 0
            self._n_dead += 1
            self._total_len -= self._doc_len[row]

    def _maybe_compact(self) -> None:
        if self._n_dead and self._n_dead * 4 >= len(self._row_ids):
            self.compact()

    def compact(self) -> None:
        """Drop dead rows from the postings (done automatically when they are a quarter of rows)."""
        if not self._n_dead:
            return
        alive = np.frombuffer(bytes(self._alive), dtype=np.uint8).astype(bool)
        new_row = np.cumsum(alive) - 1
        postings: dict[str, tuple[array[int], array[int]]] = {}
        for term, (rows, tfs) in self._postings.items():
            r = np.frombuffer(rows, dtype=np.int32) if len(rows) else np.empty(0, np.int32)
            keep = alive[r]
            if keep.any():
                t = np.frombuffer(tfs, dtype=np.int32)
                postings[term] = (
                    array("i", new_row[r[keep]].astype(np.int32).tobytes()),
                    array("i", t[keep].astype(np.int32).tobytes()),
                )
        row_ids = np.frombuffer(self._row_ids, dtype=np.int64)[alive]
        doc_len = np.frombuffer(self._doc_len, dtype=np.float32)[alive]
        self._postings = postings
        self._row_ids = array("q", row_ids.tobytes())
        self._doc_len = array("f", doc_len.tobytes())
        self._alive = bytearray(b"\x01" * len(row_ids))
        self._row_of = {int(i): r for r, i in enumerate(row_ids)}
        self._n_dead = 0
        self._compiled.clear()
        self._arrays = None

    # ---- reading ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row_of

    @property
    def row_ids(self) -> np.ndarray:
        """Document id of each row, -1 for dead rows. A boolean ``allowed`` mask is aligned with it;
        valid until the next ``add``, ``remove`` or ``compact``."""
        ids, _, alive = self._state()
        return np.where(alive, ids, -1)

    def _state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._arrays is None:
            ids = np.array(self._row_ids, dtype=np.int64)
            lengths = np.array(self._doc_len, dtype=np.float32)
            alive = np.frombuffer(bytes(self._alive), dtype=np.uint8).astype(bool)
            self._arrays = (ids, lengths, alive)
        return self._arrays

    def _posting(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        compiled = self._compiled.get(term)
        if compiled is None:
            raw = self._postings.get(term)
            if raw is None:
                return None
            compiled = (
                np.frombuffer(raw[0], dtype=np.int32).copy(),
                np.frombuffer(raw[1], dtype=np.int32).astype(np.float32),
            )
            self._compiled[term] = compiled
        return compiled

    def _scores(self, query: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Scores of every row and the mask of rows matching at least one query term."""
        if not isinstance(query, str):
            raise ValidationError(f"keyword query must be a string, got {type(query).__name__}")
        n_alive = len(self._row_of)
        if not n_alive:
            return None
        terms = list(dict.fromkeys(tokenize(query[:10_000])))
        ids, lengths, alive = self._state()
        avgdl = max(self._total_len / n_alive, 1e-9)
        scores = np.zeros(len(ids), dtype=np.float32)
        touched = np.zeros(len(ids), dtype=bool)
        found = False
        for term in terms:
            posting = self._posting(term)
            if posting is None:
                continue
            rows, tf = posting
            df = len(rows) if not self._n_dead else int(alive[rows].sum())
            if df == 0:
                continue
            found = True
            idf = math.log(1.0 + (n_alive - df + 0.5) / (df + 0.5))
            norm = self.k1 * (1.0 - self.b + self.b * lengths[rows] / avgdl)
            scores[rows] += np.float32(idf) * tf * (self.k1 + 1.0) / (tf + norm)
            touched[rows] = True
        if not found:
            return None
        return scores, touched & alive

    def search(
        self,
        query: str,
        k: int = 10,
        allowed: Collection[int] | np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` best documents for ``query`` as ``(id, score)``, best first; ties by id.

        ``allowed`` limits the result to some documents: a collection of ids, an integer array of
        ids, or a boolean array aligned with :attr:`row_ids`. Documents sharing no term with the
        query are never returned.
        """
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValidationError(f"k must be a positive integer, got {k!r}")
        result = self._scores(query)
        if result is None:
            return []
        scores, candidates = result
        ids = self._state()[0]
        if isinstance(allowed, np.ndarray) and allowed.dtype == bool:
            if allowed.shape != ids.shape:
                raise ValidationError(
                    f"a boolean allowed mask must have one entry per row ({ids.shape[0]}), "
                    f"got shape {allowed.shape}"
                )
            candidates = candidates & allowed
        rows = np.flatnonzero(candidates)
        if allowed is not None and not (isinstance(allowed, np.ndarray) and allowed.dtype == bool):
            rows = rows[np.isin(ids[rows], self._allowed_ids(allowed))]
        if not len(rows):
            return []
        row_scores = scores[rows]
        if len(rows) > k:
            # Everything tied with the k-th score stays, so the id tie-break below is exact.
            kth = np.partition(row_scores, len(rows) - k)[len(rows) - k]
            keep = row_scores >= kth
            rows, row_scores = rows[keep], row_scores[keep]
        order = np.lexsort((ids[rows], -row_scores))[:k]
        return [(int(ids[rows[i]]), float(row_scores[i])) for i in order]

    def score_ids(self, query: str, ids: Iterable[int]) -> np.ndarray:
        """BM25 scores of the given documents (0 for unknown ids or no shared term), in order."""
        wanted = [int(i) for i in ids]
        out = np.zeros(len(wanted), dtype=np.float32)
        result = self._scores(query)
        if result is None:
            return out
        scores, candidates = result
        for j, doc_id in enumerate(wanted):
            row = self._row_of.get(doc_id)
            if row is not None and candidates[row]:
                out[j] = scores[row]
        return out

    @staticmethod
    def _allowed_ids(allowed: Collection[int] | np.ndarray) -> np.ndarray:
        if isinstance(allowed, np.ndarray):
            if not np.issubdtype(allowed.dtype, np.integer):
                raise ValidationError(f"allowed ids must be integers, got an array of {allowed.dtype}")
            return allowed.astype(np.int64, copy=False).ravel()
        try:
            return np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        except (TypeError, ValueError):
            raise ValidationError("allowed must be a collection of integer ids or a boolean mask") from None

    # ---- persistence -----------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to one ``.npz`` file (atomically: a crash leaves the old file)."""
        self.compact()
        terms = sorted(self._postings)
        sizes = np.array([len(self._postings[t][0]) for t in terms], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        rows = np.concatenate(
            [np.frombuffer(self._postings[t][0], np.int32) for t in terms] or [np.empty(0, np.int32)]
        )
        tfs = np.concatenate(
            [np.frombuffer(self._postings[t][1], np.int32) for t in terms] or [np.empty(0, np.int32)]
        )
        meta = json.dumps({"format": _FORMAT, "version": _VERSION, "k1": self.k1, "b": self.b})
        target = Path(path)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    meta=np.frombuffer(meta.encode(), dtype=np.uint8),
                    terms=np.frombuffer("\n".join(terms).encode(), dtype=np.uint8),
                    indptr=indptr,
                    rows=rows,
                    tfs=tfs,
                    row_ids=np.array(self._row_ids, dtype=np.int64),
                    doc_len=np.array(self._doc_len, dtype=np.float32),
                )
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KeywordIndex:
        """Read an index written by :meth:`save`."""
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                meta = json.loads(data["meta"].tobytes().decode())
                if meta.get("format") != _FORMAT or meta.get("version") != _VERSION:
                    raise IndexCorruptError(f"{path} is not a keyword index of format version {_VERSION}")
                blob = data["terms"].tobytes().decode()
                terms = blob.split("\n") if blob else []
                indptr, rows, tfs = data["indptr"], data["rows"], data["tfs"]
                row_ids, doc_len = data["row_ids"], data["doc_len"]
        except FileNotFoundError:
            raise StoreError(f"keyword index file {path} does not exist") from None
        except (KeyError, ValueError, OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IndexCorruptError(f"keyword index file {path} is unreadable: {exc}") from None
        n = len(row_ids)
        if (
            len(indptr) != len(terms) + 1
            or len(rows) != len(tfs)
            or int(indptr[-1]) != len(rows)
            or len(doc_len) != n
            or (len(rows) and (rows.min() < 0 or rows.max() >= n))
        ):
            raise IndexCorruptError(f"keyword index file {path} is inconsistent; rebuild it")
        index = cls(k1=meta["k1"], b=meta["b"])
        rows = rows.astype(np.int32)
        tfs = tfs.astype(np.int32)
        for j, term in enumerate(terms):
            s, e = int(indptr[j]), int(indptr[j + 1])
            index._postings[term] = (array("i", rows[s:e].tobytes()), array("i", tfs[s:e].tobytes()))
        index._row_ids = array("q", row_ids.astype(np.int64).tobytes())
        index._doc_len = array("f", doc_len.astype(np.float32).tobytes())
        index._alive = bytearray(b"\x01" * n)
        index._row_of = {int(i): r for r, i in enumerate(row_ids)}
        if len(index._row_of) != n:
            raise IndexCorruptError(f"keyword index file {path} has duplicate document ids; rebuild it")
        index._total_len = float(doc_len.astype(np.float64).sum())
        return index
