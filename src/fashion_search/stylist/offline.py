"""The offline chat model: the rule-based planner and answer writer, no key and no network."""

from __future__ import annotations

from fashion_search.stylist.answer import write_answer
from fashion_search.stylist.base import TurnContext, TurnOutcome
from fashion_search.stylist.planner import Planner, record
from fashion_search.stylist.tools import Toolbox

OFFLINE = "offline"


class OfflineChatModel:
    """Answers with :class:`~fashion_search.stylist.planner.Planner` (the default chat model)."""

    def __init__(self) -> None:
        self._planner: Planner | None = None

    @property
    def name(self) -> str:
        return OFFLINE

    def planner(self, tools: Toolbox) -> Planner:
        # Kept per toolbox: the planner caches the catalog's typical prices.
        planner = self._planner
        if planner is None or planner.toolbox is not tools:
            planner = Planner(tools)
            self._planner = planner
        return planner

    def respond(self, turn: TurnContext, tools: Toolbox) -> TurnOutcome:
        findings, results = self.planner(tools).run(turn)
        answer, products = write_answer(findings)
        return TurnOutcome(answer=answer, products=products, tool_calls=record(results), model=OFFLINE)
