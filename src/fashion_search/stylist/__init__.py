"""The AI stylist: tools bound to the services, conversations per session, Claude or an offline planner.

``Stylist.from_services(services).chat("an outfit for a beach wedding under 150")`` answers with
text, the products it recommends and the tool calls it made. The chat model is chosen in
:func:`chat_model_from_settings`: Claude (``anthropic``) when an API key is set, else the offline
planner. Nothing here loads at import; the ``anthropic`` package is imported on first use.
"""

from fashion_search.stylist.agent import Stylist
from fashion_search.stylist.base import (
    ChatModel,
    Recommended,
    StylistReply,
    ToolCall,
    TurnContext,
    TurnOutcome,
)
from fashion_search.stylist.factory import chat_model_from_settings
from fashion_search.stylist.session import SessionStore
from fashion_search.stylist.tools import TOOL_SPECS, Toolbox, ToolResult

__all__ = [
    "TOOL_SPECS",
    "ChatModel",
    "Recommended",
    "SessionStore",
    "Stylist",
    "StylistReply",
    "ToolCall",
    "ToolResult",
    "Toolbox",
    "TurnContext",
    "TurnOutcome",
    "chat_model_from_settings",
]
