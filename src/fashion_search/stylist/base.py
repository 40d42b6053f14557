"""The stylist's seam: a :class:`ChatModel` answers one turn of a conversation using the tools.

Two implementations exist: :class:`~fashion_search.stylist.claude.AnthropicChatModel` (Claude with
tool use) and :class:`~fashion_search.stylist.offline.OfflineChatModel` (a rule-based planner, no
network). Both receive the same :class:`TurnContext` and :class:`~fashion_search.stylist.tools.Toolbox`
and return a :class:`TurnOutcome`; :func:`~fashion_search.stylist.factory.chat_model_from_settings`
chooses between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from fashion_search.domain import Product

if TYPE_CHECKING:
    from fashion_search.stylist.tools import Toolbox


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call made while answering: its name, arguments and, if it failed, why."""

    name: str
    arguments: Mapping[str, Any]
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": dict(self.arguments), "error": self.error}


@dataclass(frozen=True, slots=True)
class Recommended:
    """A product a tool or an answer recommends, with why (and its place in an outfit, if any)."""

    product: Product
    reason: str = ""
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """One finished exchange of a conversation, as kept in its session."""

    message: str
    answer: str
    products: tuple[Recommended, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()

    @property
    def product_ids(self) -> tuple[int, ...]:
        return tuple(r.product.id for r in self.products)


@dataclass(frozen=True, slots=True)
class TurnContext:
    """Everything a chat model may use to answer one message."""

    message: str
    user_id: int | None = None
    """The active shopper (persona), if any."""
    history: tuple[Turn, ...] = ()
    """Earlier turns of the session, oldest first."""
    images: Mapping[str, bytes] = field(default_factory=dict)
    """Photos uploaded in this session by reference (``upload:1``, ...), oldest first."""
    new_image: str | None = None
    """The reference of a photo sent with this very message."""

    @property
    def last_products(self) -> tuple[Recommended, ...]:
        """The products of the most recent turn that showed any."""
        for turn in reversed(self.history):
            if turn.products:
                return turn.products
        return ()


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """What a chat model produced for one message."""

    answer: str
    products: tuple[Recommended, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    model: str = ""
    """Which model answered (``offline``, ``anthropic:<model>``, or a fallback note)."""


@dataclass(frozen=True, slots=True)
class StylistReply:
    """The stylist's answer to one message of a session."""

    session_id: str
    answer: str
    products: tuple[Recommended, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    model: str = ""
    user_id: int | None = None
    image_ref: str | None = None
    """The reference given to a photo sent with the message (usable in later messages)."""
    extra: Mapping[str, Any] = field(default_factory=dict)


class ChatModel(Protocol):
    """Answers one message of a conversation, calling the tools it needs."""

    @property
    def name(self) -> str: ...

    def respond(self, turn: TurnContext, tools: Toolbox) -> TurnOutcome: ...
