"""POST /stylist/chat: talk to the AI stylist (Claude with the tools, or the offline planner).

The app holds one :class:`~fashion_search.stylist.Stylist` in ``app.state.stylist`` (its sessions
live as long as the app); ``create_app`` sets it with ``Stylist.from_services(services)``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from fashion_search.api.schemas import ErrorPublic, ProductPublic
from fashion_search.errors import ConfigurationError, ValidationError
from fashion_search.stylist import Stylist, StylistReply
from fashion_search.stylist.agent import MAX_MESSAGE_CHARS
from fashion_search.stylist.session import SESSION_ID

router = APIRouter(prefix="/stylist", tags=["stylist"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "unknown user id"},
    413: {"model": ErrorPublic, "description": "the photo is too large"},
    422: {"model": ErrorPublic, "description": "empty or overlong message, bad session id, bad photo"},
}


CHAT_EXAMPLES: dict[str, Any] = {
    "outfit": {
        "summary": "An outfit for an occasion, within a budget",
        "description": "The budget is for the whole outfit; a new session starts.",
        "value": {"message": "an outfit for a beach wedding under 150"},
    },
    "follow-up": {
        "summary": "A follow-up in the same session",
        "description": "'this' is the first product of the session's previous answer.",
        "value": {"message": "something like this but cheaper", "session_id": "Yk3n0p1N3qH2uA7bXc9dEw"},
    },
    "personal": {
        "summary": "For the active shopper",
        "value": {"message": "recommend something for me", "user_id": 1},
    },
}


def get_stylist(request: Request) -> Stylist:
    stylist = getattr(request.app.state, "stylist", None)
    if stylist is None:
        raise ConfigurationError(
            "the stylist is not set up on this app: create_app must set "
            "app.state.stylist = Stylist.from_services(services)"
        )
    if not isinstance(stylist, Stylist):
        raise ConfigurationError(f"app.state.stylist must be a Stylist, got {type(stylist).__name__}")
    return stylist


StylistDep = Annotated[Stylist, Depends(get_stylist)]


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, description="what the shopper says")
    session_id: str | None = Field(
        None,
        pattern=SESSION_ID.pattern,
        description="the conversation to continue; left out, a new one starts and its id is returned",
    )
    user_id: int | None = Field(
        None, strict=True, description="the active shopper (kept for the session's later messages)"
    )
    image: str | None = Field(
        None,
        min_length=1,
        description=(
            "a photo to search by, as base64 or a data: URL (at most the server's upload limit once "
            "decoded); it gets a reference (`image_ref`, e.g. upload:1) that later messages can use"
        ),
    )


class StylistPickPublic(BaseModel):
    """A product the answer recommends, with why and its place in an outfit."""

    product: ProductPublic
    reason: str = Field("", description="why the stylist recommends it")
    role: str | None = Field(None, description="its place in an outfit (top, bottom, footwear, ...), if any")


class ToolCallPublic(BaseModel):
    name: str
    arguments: dict[str, Any]
    error: str | None = Field(None, description="why the tool failed, if it did")


class ChatPublic(BaseModel):
    session_id: str
    answer: str
    products: list[StylistPickPublic] = Field(
        description="the products the answer recommends (each named in it), in its order"
    )
    tool_calls: list[ToolCallPublic] = Field(description="the tools called to answer, in order")
    model: str = Field(description="who answered: offline, anthropic:<model>, or a fallback")
    user_id: int | None = None
    image_ref: str | None = Field(None, description="the reference given to the photo sent with this message")

    @classmethod
    def of(cls, reply: StylistReply) -> ChatPublic:
        return cls(
            session_id=reply.session_id,
            answer=reply.answer,
            products=[
                StylistPickPublic(product=ProductPublic.of(r.product), reason=r.reason, role=r.role)
                for r in reply.products
            ],
            tool_calls=[ToolCallPublic(**call.to_dict()) for call in reply.tool_calls],
            model=reply.model,
            user_id=reply.user_id,
            image_ref=reply.image_ref,
        )


def decode_image(value: str) -> bytes:
    """The bytes of a base64 photo (a ``data:image/...;base64,`` prefix is allowed)."""
    text = value.strip()
    if text.startswith("data:"):
        head, _, text = text.partition(",")
        if ";base64" not in head:
            raise ValidationError("image: a data: URL must be base64-encoded (data:image/jpeg;base64,...)")
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("image: not valid base64; send the photo's bytes base64-encoded") from None
    if not data:
        raise ValidationError("image: empty")
    return data


@router.post(
    "/chat",
    summary="Chat with the stylist",
    description=(
        'Ask for outfits ("an outfit for a beach wedding under 150"), products ("black sneakers for '
        'men"), what goes with a product, or follow up on the last answer ("something like this but '
        'cheaper"). The answer names the products it recommends, which come back in `products`; '
        "`tool_calls` lists the catalog tools the stylist used. Without `session_id` a new conversation "
        "starts; send the returned id to continue it."
    ),
    responses=ERRORS,
)
def chat(body: Annotated[ChatIn, Body(openapi_examples=CHAT_EXAMPLES)], stylist: StylistDep) -> ChatPublic:
    image = decode_image(body.image) if body.image is not None else None
    reply = stylist.chat(body.message, session_id=body.session_id, user_id=body.user_id, image=image)
    return ChatPublic.of(reply)
