"""The report's figures, drawn with matplotlib's Agg backend and returned as PNG bytes.

matplotlib is imported inside :func:`_figure` (never at import time) and always with the Agg
backend, so no display is needed and nothing global changes for the caller.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

DPI = 110
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939",
)  # fmt: skip


def _figure(width: float, height: float, ncols: int = 1) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def grouped_bars(
    title: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    ylabel: str = "",
    ylim: tuple[float, float] | None = (0.0, 1.15),
) -> bytes:
    """Bars per group, one colour per series (None bars are left out); values written on top."""
    fig, (ax,) = _figure(max(6.0, 0.9 * len(groups) * max(1, len(series)) * 0.6 + 2), 4.0)
    n = max(1, len(series))
    width = 0.8 / n
    x = np.arange(len(groups))
    for i, (name, values) in enumerate(series.items()):
        vals = [np.nan if v is None else float(v) for v in values]
        bars = ax.bar(x + (i - (n - 1) / 2) * width, vals, width, label=name, color=PALETTE[i % len(PALETTE)])
        for bar, v in zip(bars, vals, strict=True):
            if not np.isnan(v):
                ax.annotate(
                    f"{v:.2f}", (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom", fontsize=7
                )
    ax.set_xticks(x)
    ax.set_xticklabels(
        groups, rotation=20 if len(groups) > 4 else 0, ha="right" if len(groups) > 4 else "center", fontsize=8
    )
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    # Above the bars, in one row, so that it never hides one.
    ax.legend(fontsize=8, loc="upper center", ncol=max(1, len(series)))
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def sweep_lines(
    title: str,
    xlabel: str,
    x: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    ylabel: str = "",
) -> bytes:
    """One line per series over a swept parameter."""
    fig, (ax,) = _figure(6.5, 4.0)
    for i, (name, values) in enumerate(series.items()):
        vals = [np.nan if v is None else float(v) for v in values]
        style = "-" if "enriched" in name else "--"
        ax.plot(x, vals, style, marker="o", label=name, color=PALETTE[i % len(PALETTE)])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_xticks(list(x))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def score_spreads(title: str, raw: Mapping[str, Sequence[float]], z: Mapping[str, Sequence[float]]) -> bytes:
    """Violin + box plots of top-20 scores per kind of query: raw on the left, calibrated on the right."""
    fig, axes = _figure(11.0, 4.2, ncols=2)
    for ax, data, label in (
        (axes[0], raw, "raw score (cosine / final)"),
        (axes[1], z, "z-score vs the query's background"),
    ):
        names = [k for k, v in data.items() if len(v)]
        values = [np.asarray(data[k], dtype=np.float64) for k in names]
        if values:
            ax.violinplot(values, showextrema=False)
            ax.boxplot(values, widths=0.15, showfliers=False)
            ax.set_xticks(range(1, len(names) + 1))
            ax.set_xticklabels(names)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_title(title)
    axes[1].set_title("calibrated (per-query z-score)")
    return _png(fig)


def per_query_lines(title: str, rows: Mapping[str, Sequence[Sequence[float]]], max_lines: int = 60) -> bytes:
    """Score against rank (1..20) for each query, one panel per kind: shows how flat the tops are."""
    kinds = [k for k, v in rows.items() if v]
    fig, axes = _figure(4.0 * max(1, len(kinds)), 3.6, ncols=max(1, len(kinds)))
    for ax, kind in zip(axes, kinds, strict=False):
        for r in list(rows[kind])[:max_lines]:
            ax.plot(range(1, len(r) + 1), r, alpha=0.35, lw=0.8)
        ax.set_title(f"{kind}: score by rank")
        ax.set_xlabel("rank")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("raw score")
    fig.suptitle(title, fontsize=9)
    return _png(fig)


def space_map(title: str, coords: np.ndarray, labels: Sequence[str], shares: tuple[float, float]) -> bytes:
    """2-D scatter coloured by label (the commonest labels get their own colour, the rest grey)."""
    fig, (ax,) = _figure(8.0, 6.5)
    counts: dict[str, int] = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    top = [lab for lab, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: len(PALETTE)]]
    lab_arr = np.asarray(labels, dtype=object)
    other = ~np.isin(lab_arr, top)
    if other.any():
        ax.scatter(coords[other, 0], coords[other, 1], s=3, c="#cccccc", label="other", alpha=0.5)
    for i, lab in enumerate(top):
        m = lab_arr == lab
        ax.scatter(
            coords[m, 0], coords[m, 1], s=3, color=PALETTE[i], label=f"{lab} ({counts[lab]})", alpha=0.6
        )
    ax.set_xlabel(f"PC1 ({100 * shares[0]:.1f}% of variance)")
    ax.set_ylabel(f"PC2 ({100 * shares[1]:.1f}% of variance)")
    ax.set_title(title)
    ax.legend(fontsize=7, markerscale=4, loc="best")
    return _png(fig)


def direction_histograms(
    title: str, panels: Sequence[tuple[str, np.ndarray, np.ndarray, str, str, float | None]]
) -> bytes:
    """Per probed property, the held-out projections of both sides on its direction."""
    fig, axes = _figure(3.6 * max(1, len(panels)), 3.4, ncols=max(1, len(panels)))
    for ax, (name, pos, neg, pos_label, neg_label, score) in zip(axes, panels, strict=False):
        lo = float(min(pos.min(), neg.min()))
        hi = float(max(pos.max(), neg.max()))
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 40)
        ax.hist(neg, bins=bins, alpha=0.55, density=True, label=neg_label, color=PALETTE[0])
        ax.hist(pos, bins=bins, alpha=0.55, density=True, label=pos_label, color=PALETTE[3])
        ax.set_title(f"{name}\nprobe AUC {score:.2f}" if score is not None else name, fontsize=9)
        ax.legend(fontsize=6)
        ax.set_yticks([])
    fig.suptitle(title, fontsize=9)
    return _png(fig)


def tradeoff(
    title: str, points: Sequence[tuple[float, float | None, float | None]], xlabel: str, ylabel: str
) -> bytes:
    """Relevance against diversity, one labelled point per lambda."""
    fig, (ax,) = _figure(6.0, 4.2)
    xs = [np.nan if p[1] is None else p[1] for p in points]
    ys = [np.nan if p[2] is None else p[2] for p in points]
    ax.plot(xs, ys, "-o", color=PALETTE[0])
    for lam, x, y in zip((p[0] for p in points), xs, ys, strict=True):
        ax.annotate(f"λ={lam:g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return _png(fig)
