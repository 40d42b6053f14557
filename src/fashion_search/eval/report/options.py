"""What a report measures: the sections it can hold and the knobs of their measurements."""

from __future__ import annotations

from dataclasses import dataclass, field

from fashion_search.errors import ValidationError
from fashion_search.settings import RankingSettings

SECTIONS: tuple[str, ...] = ("encoder", "attributes", "search", "scores", "space", "recommendations")


@dataclass
class ReportOptions:
    seed: int = 0
    photos_only: bool = True
    skip: frozenset[str] = frozenset()
    hybrid_image_weight: float = 0.5
    ranking: RankingSettings = field(default_factory=RankingSettings)
    n_users: int | None = None
    test_user_fraction: float = 0.1
    n_image_queries: int = 100
    max_map_points: int = 6000

    def __post_init__(self) -> None:
        unknown = set(self.skip) - set(SECTIONS)
        if unknown:
            raise ValidationError(
                f"unknown report section(s) {sorted(unknown)}; sections: {', '.join(SECTIONS)}"
            )

    def wants(self, section: str) -> bool:
        return section not in self.skip
