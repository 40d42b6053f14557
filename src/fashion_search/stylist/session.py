"""Conversation state per session: messages, products shown, the active shopper and uploaded photos.

Sessions live in memory, bounded in number (least recently used evicted first), in turns per
session, and in photos per session. A session id the store does not know (evicted, or the server
restarted) starts a fresh conversation under that id. Every method is thread-safe; a turn holds its
conversation's lock from reading the history to storing the answer, so two messages sent at once to
one session are answered one after the other.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Mapping

from fashion_search.errors import ValidationError
from fashion_search.stylist.base import Turn, TurnContext

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
"""What a session id may look like (the generated ones are 22 URL-safe characters)."""
DEFAULT_MAX_SESSIONS = 1000
DEFAULT_MAX_TURNS = 20
DEFAULT_MAX_IMAGES = 3


def check_session_id(session_id: str) -> str:
    """``session_id`` if well formed; :class:`ValidationError` saying what is expected otherwise."""
    if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
        raise ValidationError(
            "session_id must be 8 to 64 letters, digits, '-' or '_' (or left out to start a new session), "
            f"got {session_id!r:.80}"
        )
    return session_id


class Conversation:
    """One session's state. Use it while holding :attr:`lock` (the stylist does)."""

    def __init__(self, session_id: str, max_turns: int, max_images: int) -> None:
        self.id = session_id
        self.lock = threading.RLock()
        self.user_id: int | None = None
        self._turns: deque[Turn] = deque(maxlen=max_turns)
        self._images: OrderedDict[str, bytes] = OrderedDict()
        self._max_images = max_images
        self._image_counter = 0

    @property
    def turns(self) -> tuple[Turn, ...]:
        return tuple(self._turns)

    @property
    def images(self) -> Mapping[str, bytes]:
        """Uploaded photos by reference, oldest first."""
        return dict(self._images)

    def add_turn(self, turn: Turn) -> None:
        self._turns.append(turn)

    def add_image(self, data: bytes) -> str:
        """Keep an uploaded photo (the oldest is dropped past the limit); returns its reference."""
        self._image_counter += 1
        ref = f"upload:{self._image_counter}"
        self._images[ref] = bytes(data)
        while len(self._images) > self._max_images:
            self._images.popitem(last=False)
        return ref

    def context(self, message: str, new_image: str | None = None) -> TurnContext:
        """What a chat model sees for ``message`` in this conversation."""
        return TurnContext(
            message=message,
            user_id=self.user_id,
            history=self.turns,
            images=dict(self._images),
            new_image=new_image,
        )


class SessionStore:
    """Conversations by session id, least recently used evicted past ``max_sessions``."""

    def __init__(
        self,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        max_turns: int = DEFAULT_MAX_TURNS,
        max_images: int = DEFAULT_MAX_IMAGES,
    ) -> None:
        for name, value in (
            ("max_sessions", max_sessions),
            ("max_turns", max_turns),
            ("max_images", max_images),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(f"{name} must be a positive integer, got {value!r}")
        self.max_sessions = max_sessions
        self.max_turns = max_turns
        self.max_images = max_images
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Conversation] = OrderedDict()

    def open(self, session_id: str | None = None) -> Conversation:
        """The conversation of ``session_id`` (a new one when absent or unknown), marked most recent."""
        if session_id is not None:
            check_session_id(session_id)
        with self._lock:
            if session_id is None:
                session_id = secrets.token_urlsafe(16)
                while session_id in self._sessions:  # pragma: no cover - 128 random bits
                    session_id = secrets.token_urlsafe(16)
            conversation = self._sessions.get(session_id)
            if conversation is None:
                conversation = Conversation(session_id, self.max_turns, self.max_images)
                self._sessions[session_id] = conversation
                while len(self._sessions) > self.max_sessions:
                    self._sessions.popitem(last=False)
            else:
                self._sessions.move_to_end(session_id)
            return conversation

    def get(self, session_id: str) -> Conversation | None:
        """The conversation of ``session_id`` if the store still has it (does not mark it used)."""
        with self._lock:
            return self._sessions.get(session_id)

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            return session_id in self._sessions

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
