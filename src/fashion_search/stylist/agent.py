"""The stylist agent: a chat model, the tools bound to the services, and conversations by session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fashion_search.errors import PayloadTooLargeError, ValidationError
from fashion_search.stylist.base import ChatModel, StylistReply, Turn
from fashion_search.stylist.session import SessionStore
from fashion_search.stylist.tools import Toolbox

if TYPE_CHECKING:
    from fashion_search.app import Services

MAX_MESSAGE_CHARS = 2000


class Stylist:
    """Answers shoppers' messages, keeping each session's conversation. Thread-safe.

    Build it with :meth:`from_services` (the chat model named by the settings) or give the parts.
    """

    def __init__(
        self,
        toolbox: Toolbox,
        model: ChatModel,
        sessions: SessionStore | None = None,
        *,
        max_image_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        self.toolbox = toolbox
        self.model = model
        self.sessions = sessions if sessions is not None else SessionStore()
        self.max_image_bytes = max_image_bytes

    @classmethod
    def from_services(cls, services: Services, model: ChatModel | None = None) -> Stylist:
        """A stylist over ``services`` with ``model`` or the one the settings choose (nothing loads yet)."""
        from fashion_search.stylist.factory import chat_model_from_settings

        return cls(
            Toolbox(services),
            model or chat_model_from_settings(services.settings),
            max_image_bytes=services.settings.api.max_upload_bytes,
        )

    def chat(
        self,
        message: str,
        *,
        session_id: str | None = None,
        user_id: int | None = None,
        image: bytes | None = None,
    ) -> StylistReply:
        """Answer ``message`` in session ``session_id`` (a new session when None).

        ``user_id`` makes that shopper the session's active one (kept for later messages);
        ``image`` is a photo sent with the message, which the tools can search by. Raises
        :class:`ValidationError` for an empty or overlong message, :class:`NotFoundError` for an
        unknown user, :class:`PayloadTooLargeError` for an oversized photo.
        """
        text = self._check_message(message)
        if user_id is not None:
            if isinstance(user_id, bool) or not isinstance(user_id, int):
                raise ValidationError(f"user_id must be an integer, got {user_id!r}")
            self.toolbox.services.users().get_user(user_id)
        if image is not None:
            if not isinstance(image, bytes | bytearray) or not image:
                raise ValidationError("image must be the non-empty bytes of a photo")
            if len(image) > self.max_image_bytes:
                raise PayloadTooLargeError(
                    f"the photo is {len(image)} bytes; the limit is {self.max_image_bytes} bytes"
                )
        conversation = self.sessions.open(session_id)
        with conversation.lock:
            if user_id is not None:
                conversation.user_id = user_id
            image_ref = conversation.add_image(bytes(image)) if image is not None else None
            outcome = self.model.respond(conversation.context(text, image_ref), self.toolbox)
            conversation.add_turn(Turn(text, outcome.answer, outcome.products, outcome.tool_calls))
            return StylistReply(
                session_id=conversation.id,
                answer=outcome.answer,
                products=outcome.products,
                tool_calls=outcome.tool_calls,
                model=outcome.model or self.model.name,
                user_id=conversation.user_id,
                image_ref=image_ref,
            )

    @staticmethod
    def _check_message(message: str) -> str:
        if not isinstance(message, str):
            raise ValidationError(f"message must be text, got {type(message).__name__}")
        text = " ".join(message.split())
        if not text:
            raise ValidationError("message is empty; ask the stylist something")
        if len(text) > MAX_MESSAGE_CHARS:
            raise ValidationError(f"message is longer than {MAX_MESSAGE_CHARS} characters ({len(text)})")
        return text
