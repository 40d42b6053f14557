"""The report's figures: each PNG written under ``figures/`` and embedded in its section."""

from __future__ import annotations

from pathlib import Path

from fashion_search.eval.html import Section

FIGURES_DIR = "figures"


class FigureWriter:
    """Writes a report's figures into ``out_dir/figures`` and keeps their paths."""

    def __init__(self, out_dir: Path) -> None:
        self.dir = out_dir / FIGURES_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.paths: list[Path] = []

    def add(self, section: Section, name: str, png: bytes, caption: str) -> None:
        path = self.dir / f"{name}.png"
        path.write_bytes(png)
        self.paths.append(path)
        section.figure(png, caption, name)
