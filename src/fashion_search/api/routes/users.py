"""GET /users (personas, or every user), /users/{id}, /users/{id}/profile; POST /users/{id}/events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from fashion_search.api.deps import UsersDep
from fashion_search.api.schemas import (
    ErrorPublic,
    EventIn,
    EventsAcceptedPublic,
    ProfilePublic,
    UserPublic,
    UsersPublic,
)
from fashion_search.users.service import NewEvent

router = APIRouter(prefix="/users", tags=["users"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorPublic, "description": "unknown user id"}}
UserId = Annotated[int, Path(description="the user's id (the demo personas are 1 to 5)", examples=[1])]

EVENT_EXAMPLES: dict[str, Any] = {
    "purchase": {
        "summary": "A purchase and the views before it",
        "value": [
            {"product_id": 15970, "type": "view"},
            {"product_id": 15970, "type": "purchase", "timestamp": "2025-03-01T12:00:00Z"},
        ],
    }
}


@router.get("", summary="Demo personas, or every user with ?all=true")
def list_users(
    users: UsersDep,
    all_users: Annotated[
        bool, Query(alias="all", description="every user, not just the five personas")
    ] = False,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> UsersPublic:
    page, total = users.list_users(personas_only=not all_users, offset=offset, limit=limit)
    return UsersPublic(data=[UserPublic.of(u) for u in page], count=total)


@router.get("/{user_id}", summary="One user", responses=NOT_FOUND)
def get_user(user_id: UserId, users: UsersDep) -> UserPublic:
    return UserPublic.of(users.get_user(user_id))


@router.get("/{user_id}/profile", summary="A user's style profile", responses=NOT_FOUND)
def get_profile(user_id: UserId, users: UsersDep) -> ProfilePublic:
    return ProfilePublic.of(users.get_user(user_id), users.profile(user_id))


@router.post(
    "/{user_id}/events",
    status_code=201,
    summary="Record a user's views, add-to-carts and purchases",
    description=(
        "Stores the events and folds them into the user's profile at once (no batch rebuild): the next "
        "recommendations reflect them. At most 1000 events per call."
    ),
    responses={**NOT_FOUND, 422: {"model": ErrorPublic, "description": "unknown product or bad event"}},
)
def post_events(
    user_id: UserId,
    events: Annotated[list[EventIn], Body(openapi_examples=EVENT_EXAMPLES)],
    users: UsersDep,
) -> EventsAcceptedPublic:
    new = [NewEvent(product_id=e.product_id, type=e.type, timestamp=e.timestamp) for e in events]
    profile = users.add_events(user_id, new)
    return EventsAcceptedPublic(accepted=len(new), profile=ProfilePublic.of(users.get_user(user_id), profile))
