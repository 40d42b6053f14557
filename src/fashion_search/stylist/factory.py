"""The one place where the stylist's chat model is chosen: Claude when a key is set, else offline."""

from __future__ import annotations

import os

from fashion_search.settings import Settings
from fashion_search.stylist.base import ChatModel

KEY_ENV = "ANTHROPIC_API_KEY"


def anthropic_key(settings: Settings) -> str | None:
    """The Anthropic API key: ``Settings.stylist.anthropic_api_key``, else ``ANTHROPIC_API_KEY``."""
    secret = settings.stylist.anthropic_api_key
    key = secret.get_secret_value() if secret is not None else os.environ.get(KEY_ENV)
    key = (key or "").strip()
    return key or None


def chat_model_from_settings(settings: Settings) -> ChatModel:
    """:class:`AnthropicChatModel` when a key is set, :class:`OfflineChatModel` otherwise.

    Nothing is imported or contacted here: the ``anthropic`` package loads on the first message.
    """
    key = anthropic_key(settings)
    if key is None:
        from fashion_search.stylist.offline import OfflineChatModel

        return OfflineChatModel()
    from fashion_search.stylist.claude import AnthropicChatModel

    return AnthropicChatModel(
        api_key=key,
        model=settings.stylist.model,
        base_url=settings.stylist.base_url,
        max_steps=settings.stylist.max_steps,
    )
