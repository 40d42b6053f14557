"""Claude as the stylist's chat model, through the official ``anthropic`` SDK with tool use.

One turn is a loop of at most ``max_steps`` Messages API calls: Claude answers with text or asks
for tools (``tool_use`` blocks); each tool runs through the shared :class:`Toolbox` and its result
goes back as a ``tool_result`` block (``is_error`` set when the tool failed, so Claude can correct
itself); the loop ends at Claude's final text. The products returned with the answer are those
the tools returned that the answer names (by id or by name), in the order it names them.

The system prompt tells Claude what the catalog holds (the values the filters take, the price
range), who the shopper is and which photos were uploaded. A photo sent with the message goes
along as an image Claude can see, and under its reference (``upload:1``) for the image search tool.

When the API cannot be reached or refuses the request, the turn is answered by the offline planner
and the answer says so (pass ``fallback=None`` to get a :class:`ModelError` instead).
"""

from __future__ import annotations

import base64
import io
import re
import threading
from typing import TYPE_CHECKING, Any

from fashion_search.errors import MissingDependencyError, ModelError, ValidationError
from fashion_search.stylist.base import ChatModel, Recommended, ToolCall, Turn, TurnContext, TurnOutcome
from fashion_search.stylist.phrasing import money
from fashion_search.stylist.tools import Toolbox, ToolContext, ToolResult

if TYPE_CHECKING:
    import anthropic

DEFAULT_MAX_TOKENS = 1024
DEFAULT_TIMEOUT_S = 60.0
IMAGE_SIDE = 1568
"""Photos go to Claude scaled to at most this many pixels a side (larger ones are scaled down there
anyway)."""
MAX_IMAGE_PIXELS = 50_000_000
"""A photo with more pixels than this is not decoded (a decompression bomb guard)."""
MAX_HISTORY_TURNS = 10
"""Earlier turns sent with each request (their text and the products they showed)."""

SYSTEM_PROMPT = """\
You are the personal stylist of an online fashion shop. Help the shopper with outfits and products \
from this shop's catalog, using the tools to look things up. Never invent products, ids or prices: \
recommend only products a tool returned. Name every product you recommend with its id and price, \
like **Puma Men Black Sneakers** (#12345) - $59.99, and say in a few words why it fits. Respect the \
shopper's limits: a budget for an outfit is for all its pieces together, so the prices must add up \
to no more than it. When a tool returns an error, fix the arguments or tell the shopper what went \
wrong. Prices are in US dollars. Keep answers short and friendly."""


def _text_of(turn: Turn) -> str:
    shown = "; ".join(f"#{r.product.id} {r.product.name} ({money(r.product.price)})" for r in turn.products)
    return turn.answer + (f"\n\n[Products shown: {shown}]" if shown else "")


def history_messages(history: tuple[Turn, ...]) -> list[dict[str, Any]]:
    """Earlier turns as alternating user / assistant messages (the latest :data:`MAX_HISTORY_TURNS`)."""
    messages: list[dict[str, Any]] = []
    for turn in history[-MAX_HISTORY_TURNS:]:
        messages.append({"role": "user", "content": turn.message})
        messages.append({"role": "assistant", "content": _text_of(turn) or "(no answer)"})
    return messages


def catalog_facts(tools: Toolbox) -> str:
    """What the catalog holds, in a few lines: the values the filters take, and the price range."""
    from fashion_search.search.vocabulary import Facet

    vocabulary = tools.vocabulary()
    prices = sorted(p.price for p in tools.services.products().values() if p.price is not None)
    lines = [f"The catalog holds {len(tools.services.products())} products."]
    for facet, label in (
        (Facet.GENDER, "Genders"),
        (Facet.ARTICLE_TYPE, "Article types"),
        (Facet.COLOUR, "Colours"),
        (Facet.USAGE, "Usages"),
    ):
        values = sorted(vocabulary.values(facet))
        if values:
            lines.append(f"{label}: {', '.join(values)}.")
    if prices:
        middle = prices[len(prices) // 2]
        lines.append(
            f"Prices run from {money(prices[0])} to {money(prices[-1])}, {money(middle)} in the middle."
        )
    return "\n".join(lines)


def system_prompt(turn: TurnContext, facts: str = "") -> str:
    """The instructions plus what this conversation knows: the catalog, the shopper and the photos."""
    lines = [SYSTEM_PROMPT, ""]
    if facts:
        lines += [facts, ""]
    if turn.user_id is not None:
        lines.append(
            f"The active shopper is user_id {turn.user_id}: pass it as user_id to personalise searches, "
            "recommendations and outfits."
        )
    else:
        lines.append("No shopper is signed in, so personal recommendations need the shopper to pick one.")
    if turn.images:
        refs = ", ".join(turn.images)
        lines.append(f"Photos uploaded in this session (use as image_ref): {refs}.")
    if turn.new_image is not None:
        lines.append(
            f"The shopper sent the photo {turn.new_image} with this message (you can see it); "
            "search_similar_by_image with that image_ref finds the catalog products that look like it."
        )
    return "\n".join(lines)


def image_block(data: bytes) -> dict[str, Any] | None:
    """A photo as a Messages API image block (a JPEG at most :data:`IMAGE_SIDE` pixels a side), or
    None when it cannot be read (the tools then report why, if Claude tries them)."""
    from PIL import Image

    from fashion_search.catalog.images import open_image_rgb
    from fashion_search.errors import ImageError

    try:
        image = open_image_rgb(data, MAX_IMAGE_PIXELS)
    except ImageError:
        return None
    image.thumbnail((IMAGE_SIDE, IMAGE_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": encoded}}


def user_message(turn: TurnContext) -> dict[str, Any]:
    """The shopper's message; with the photo sent with it as an image Claude can look at."""
    data = turn.images.get(turn.new_image) if turn.new_image is not None else None
    block = image_block(data) if data is not None else None
    if block is None:
        return {"role": "user", "content": turn.message}
    return {"role": "user", "content": [block, {"type": "text", "text": turn.message}]}


def mentioned_products(answer: str, results: list[ToolResult]) -> tuple[Recommended, ...]:
    """The products the tools returned that ``answer`` names (by ``#id``, bare id or name), in order."""
    found: dict[int, tuple[int, Recommended]] = {}
    lowered = answer.casefold()
    for result in results:
        for item in result.items:
            pid = item.product.id
            if pid in found:
                continue
            positions = [m.start() for m in re.finditer(rf"(?<![0-9]){pid}(?![0-9])", answer)]
            name = item.product.name.strip().casefold()
            if name and name in lowered:
                positions.append(lowered.index(name))
            if positions:
                found[pid] = (min(positions), Recommended(item.product, item.reason, item.role))
    return tuple(rec for _, rec in sorted(found.values(), key=lambda pair: pair[0]))


def _block_param(block: Any) -> dict[str, Any]:
    """An assistant content block as a request parameter (only the fields the API takes back)."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    dumped: dict[str, Any] = block.model_dump(exclude_none=True)
    return dumped


class AnthropicChatModel:
    """Claude with the stylist's tools; see the module docstring. Thread-safe."""

    def __init__(
        self,
        api_key: str,
        model: str,
        *,
        base_url: str | None = None,
        max_steps: int = 6,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_retries: int = 2,
        fallback: ChatModel | None | str = "offline",
    ) -> None:
        if not api_key:
            raise ValidationError("an Anthropic API key is needed for the Claude stylist")
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValidationError(f"max_steps must be a positive integer, got {max_steps!r}")
        self._api_key = api_key
        self.model = model
        self.base_url = base_url
        self.max_steps = max_steps
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.max_retries = max_retries
        if fallback == "offline":
            from fashion_search.stylist.offline import OfflineChatModel

            fallback = OfflineChatModel()
        self.fallback: ChatModel | None = fallback if not isinstance(fallback, str) else None
        self._client_obj: anthropic.Anthropic | None = None
        self._lock = threading.Lock()
        self._facts_of: object = None
        self._facts_text = ""

    @property
    def name(self) -> str:
        return f"anthropic:{self.model}"

    def _client(self) -> anthropic.Anthropic:
        if self._client_obj is None:
            try:
                import anthropic
            except ImportError as exc:
                raise MissingDependencyError("anthropic", "stylist", "the Claude stylist") from exc
            self._client_obj = anthropic.Anthropic(
                api_key=self._api_key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
        return self._client_obj

    def respond(self, turn: TurnContext, tools: Toolbox) -> TurnOutcome:
        import anthropic

        client = self._client()
        messages: list[dict[str, Any]] = [*history_messages(turn.history), user_message(turn)]
        system = system_prompt(turn, self._facts(tools))
        specs = tools.anthropic_tools()
        context = ToolContext(images=turn.images)
        results: list[ToolResult] = []
        answer = ""
        for _step in range(self.max_steps):
            try:
                response = client.messages.create(
                    model=self.model,
                    max_tokens=self.max_tokens,
                    system=system,
                    tools=specs,  # type: ignore[arg-type]
                    messages=messages,  # type: ignore[arg-type]
                )
            except anthropic.APIError as exc:
                return self._fall_back(turn, tools, exc, results)
            text = "\n".join(b.text for b in response.content if b.type == "text").strip()
            uses = [b for b in response.content if b.type == "tool_use"]
            if response.stop_reason != "tool_use" or not uses:
                answer = text
                break
            messages.append({"role": "assistant", "content": [_block_param(b) for b in response.content]})
            blocks = []
            for use in uses:
                arguments = use.input if isinstance(use.input, dict) else {}
                result = tools.run(use.name, arguments, context)
                results.append(result)
                blocks.append(
                    {
                        "type": "tool_result",
                        "tool_use_id": use.id,
                        "content": result.to_json(),
                        "is_error": result.is_error,
                    }
                )
            messages.append({"role": "user", "content": blocks})
            answer = text
        else:
            stopped = (
                f"I stopped after {self.max_steps} steps without finishing; "
                "please ask again more specifically."
            )
            answer = f"{answer}\n\n{stopped}".strip()
        if not answer:
            answer = "I have nothing to add to that."
        return TurnOutcome(
            answer=answer,
            products=mentioned_products(answer, results),
            tool_calls=tuple(ToolCall(r.name, dict(r.arguments), r.error) for r in results),
            model=self.name,
        )

    def _facts(self, tools: Toolbox) -> str:
        # Kept until the services hand out another catalog (after a re-index).
        products = tools.services.products()
        with self._lock:
            if self._facts_of is not products:
                self._facts_text = catalog_facts(tools)
                self._facts_of = products
            return self._facts_text

    def _fall_back(
        self, turn: TurnContext, tools: Toolbox, exc: Exception, results: list[ToolResult]
    ) -> TurnOutcome:
        reason = _api_problem(exc)
        if self.fallback is None:
            raise ModelError(f"the Claude API failed: {reason}") from exc
        outcome = self.fallback.respond(turn, tools)
        note = f"(Claude is unavailable right now: {reason}. This answer comes from the offline stylist.)"
        return TurnOutcome(
            answer=f"{note}\n\n{outcome.answer}",
            products=outcome.products,
            tool_calls=tuple(ToolCall(r.name, dict(r.arguments), r.error) for r in results)
            + outcome.tool_calls,
            model=f"{outcome.model} (fallback from {self.name})",
        )


def _api_problem(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    message = str(getattr(exc, "message", "") or exc).strip()
    return f"HTTP {status}: {message}" if status is not None else (message or type(exc).__name__)
