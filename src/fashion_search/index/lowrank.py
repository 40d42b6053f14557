"""Exact top-k that reads a quarter of the vectors' bytes: a low-rank projection bounds each cosine.

For a unit query ``q`` and a row ``x``, take an orthonormal basis ``P`` (d x r) of the directions
the rows vary most in. Then ``q . x = (P'q) . (P'x) + q_perp . x_perp`` and, by Cauchy-Schwarz,
``|q_perp . x_perp| <= |q_perp| |x_perp|``. So the r-dimensional projections (r = d / 4: a quarter
of the bytes of the full rows) put every row's cosine in ``[a - e, a + e]`` with
``a = (P'q) . (P'x)`` and ``e = |q_perp| |x_perp|``. Among the rows a search admits, the k-th
largest lower bound ``t`` is reached by k rows, so a row whose upper bound stays below ``t`` cannot
be among the k best: only the others are scored with their full vectors. The result is the exact
top-k whatever the data; it is fast when the rows' energy sits in a few directions, as an
embedding catalog's does (the real catalog's 512-d hybrid vectors keep 95 % of it in 128
directions, and a shopper's profile vector, a mean of such rows, even more), so that a few hundred
to a few thousand rows of 44,000 are scored in full.

The basis comes from the leading eigenvectors of ``X'X`` over a sample of the rows (any orthonormal
basis keeps the bound valid; a good one keeps it tight). A margin absorbs float32 rounding in the
bounds and in the full scores, so no row that could reach the top is dropped.
"""

from __future__ import annotations

import numpy as np

from fashion_search.errors import ValidationError

SAMPLE_ROWS = 4096
"""Rows the basis is estimated from."""
MARGIN = 1e-3
"""Slack on the threshold: far above float32 rounding of 512-term dot products (about 1e-5)."""


class LowRankBound:
    """Per-row cosine bounds of one matrix of rows from their projection on ``rank`` directions."""

    def __init__(self, matrix: np.ndarray, rank: int, seed: int = 0) -> None:
        if matrix.ndim != 2 or matrix.shape[0] == 0:
            raise ValidationError(
                f"a low-rank bound needs a non-empty matrix of rows, got shape {matrix.shape}"
            )
        n, dim = matrix.shape
        if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank < dim:
            raise ValidationError(f"rank must be an integer from 1 to {dim - 1}, got {rank!r}")
        rows = matrix
        if n > SAMPLE_ROWS:
            rows = matrix[np.sort(np.random.default_rng(seed).choice(n, SAMPLE_ROWS, replace=False))]
        sample = rows.astype(np.float64)
        _, vectors = np.linalg.eigh(sample.T @ sample)
        # eigh orders eigenvalues ascending: the last columns are the leading directions.
        self.basis = np.ascontiguousarray(vectors[:, ::-1][:, :rank].astype(np.float32))
        self.projection = np.ascontiguousarray(matrix @ self.basis)
        full = np.einsum("ij,ij->i", matrix, matrix, dtype=np.float64)
        kept = np.einsum("ij,ij->i", self.projection, self.projection, dtype=np.float64)
        self.residual = np.sqrt(np.maximum(full - kept, 0.0)).astype(np.float32)
        """Per row, the norm of its part outside the basis."""

    @property
    def rank(self) -> int:
        return int(self.basis.shape[1])

    def estimates(self, query: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the projected cosine ``a`` and its error bound ``e`` for ``query`` (unit).

        With ``rows`` only those rows are estimated (the others read 0 and must not be asked for):
        the projections of a subset are gathered instead of read whole.
        """
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if q.shape[0] != self.basis.shape[0]:
            raise ValidationError(f"query has {q.shape[0]} dimensions; the rows have {self.basis.shape[0]}")
        low = q @ self.basis
        q_residual = np.float32(np.sqrt(max(float(q @ q) - float(low @ low), 0.0)))
        if rows is None:
            return self.projection @ low, self.residual * q_residual
        estimate = np.zeros(self.projection.shape[0], dtype=np.float32)
        error = np.zeros(self.projection.shape[0], dtype=np.float32)
        estimate[rows] = self.projection[rows] @ low
        error[rows] = self.residual[rows] * q_residual
        return estimate, error

    @staticmethod
    def candidates(
        estimate: np.ndarray, error: np.ndarray, rows: np.ndarray, k: int, margin: float = MARGIN
    ) -> np.ndarray:
        """The rows (a subset of ``rows``, same order) whose cosine may be among the k best of ``rows``.

        ``estimate`` / ``error`` come from :meth:`estimates` and cover every row of the matrix.
        """
        if k <= 0 or rows.shape[0] == 0:
            return rows[:0]
        if rows.shape[0] <= k:
            return rows
        a, e = estimate[rows], error[rows]
        lower = a - e
        threshold = np.partition(lower, lower.shape[0] - k)[lower.shape[0] - k] - margin
        return rows[a + e >= threshold]
