"""Conversation state: ids, LRU eviction, bounded turns and photos, thread safety."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from fashion_search.errors import ValidationError
from fashion_search.stylist import Stylist, TurnContext, TurnOutcome
from fashion_search.stylist.base import Turn
from fashion_search.stylist.session import SessionStore, check_session_id
from fashion_search.stylist.tools import Toolbox


def test_new_and_existing_sessions() -> None:
    store = SessionStore()
    a = store.open()
    assert check_session_id(a.id) == a.id and len(a.id) >= 16
    assert store.open(a.id) is a
    b = store.open("client-chosen-id")
    assert b.id == "client-chosen-id" and b is not a and len(store) == 2


@pytest.mark.parametrize("bad", ["short", "has space in it", "x" * 65, "../../etc", "", "semi;colon123"])
def test_bad_session_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="session_id"):
        SessionStore().open(bad)


def test_least_recently_used_session_is_evicted() -> None:
    store = SessionStore(max_sessions=2)
    a, b = store.open("session-a"), store.open("session-b")
    store.open("session-a")  # a is now the most recent
    store.open("session-c")
    assert "session-a" in store and "session-c" in store and "session-b" not in store
    assert store.get("session-a") is a and b is not store.get("session-b")
    # An evicted id starts afresh.
    assert store.open("session-b").turns == ()


def test_turns_and_photos_are_bounded() -> None:
    store = SessionStore(max_turns=3, max_images=2)
    conv = store.open()
    for i in range(5):
        conv.add_turn(Turn(f"message {i}", f"answer {i}"))
    assert [t.message for t in conv.turns] == ["message 2", "message 3", "message 4"]
    refs = [conv.add_image(bytes([i])) for i in range(3)]
    assert refs == ["upload:1", "upload:2", "upload:3"]
    assert dict(conv.images) == {"upload:2": b"\x01", "upload:3": b"\x02"}
    context = conv.context("hello", "upload:3")
    assert context.history == conv.turns and list(context.images) == ["upload:2", "upload:3"]


@pytest.mark.parametrize("name", ["max_sessions", "max_turns", "max_images"])
def test_limits_must_be_positive(name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        SessionStore(**{name: 0})


def test_concurrent_opens_stay_within_the_limit() -> None:
    store = SessionStore(max_sessions=50)

    def work(worker: int) -> None:
        for i in range(200):
            store.open(f"worker{worker}-session{i % 80}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    assert len(store) == 50


class _SlowModel:
    """Records how many turns of one session run at once."""

    def __init__(self) -> None:
        self.active = 0
        self.most = 0
        self.lock = threading.Lock()

    @property
    def name(self) -> str:
        return "slow"

    def respond(self, turn: TurnContext, tools: Toolbox) -> TurnOutcome:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        time.sleep(0.005)
        with self.lock:
            self.active -= 1
        return TurnOutcome(answer=f"seen {len(turn.history)} earlier turns")


def test_messages_to_one_session_are_answered_one_at_a_time(toolbox: Toolbox) -> None:
    model = _SlowModel()
    stylist = Stylist(toolbox, model, SessionStore(max_turns=100))
    first = stylist.chat("hello")
    with ThreadPoolExecutor(6) as pool:
        replies = list(
            pool.map(lambda i: stylist.chat(f"message {i}", session_id=first.session_id), range(30))
        )
    assert model.most == 1
    conversation = stylist.sessions.get(first.session_id)
    assert conversation is not None and len(conversation.turns) == 31
    # Each turn saw every turn stored before it.
    assert sorted(r.answer for r in replies) == sorted(f"seen {n} earlier turns" for n in range(1, 31))
