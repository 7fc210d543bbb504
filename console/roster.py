"""Who a person is on the roster (the case store's `actors` and `actor_roles`), for the doors
outside a workflow: the codec server and `starter.py status`."""

from __future__ import annotations

from collections.abc import Callable

RosterLookup = Callable[[str], "tuple[bool, set[str]] | None"]
"""actor → (active, roles held), or None when the actor is not on the roster."""


def roster_lookup(database_url: str) -> RosterLookup:
    """Asks the roster on every call, so a person removed or deactivated loses access at once."""
    from sqlalchemy import select

    from recordstore.db import make_engine, make_session_factory
    from recordstore.models import Actor, ActorRole

    sessions = make_session_factory(make_engine(database_url))

    def lookup(actor_id: str) -> tuple[bool, set[str]] | None:
        with sessions() as session:
            actor = session.get(Actor, actor_id)
            if actor is None:
                return None
            roles = session.scalars(select(ActorRole.role).where(ActorRole.actor_id == actor_id))
            return bool(actor.active), {str(role) for role in roles}

    return lookup


def is_cleared(lookup: RosterLookup, actor: str | None) -> bool:
    """Active on the roster and holding the `cleared` role."""
    entry = lookup(actor) if actor else None
    return entry is not None and entry[0] and "cleared" in entry[1]


CaseTypeLookup = Callable[[str], "str | None"]
"""request_id → the case's request type, or None when the case store has no such case."""


def case_type_lookup(database_url: str) -> CaseTypeLookup:
    """The type of a case the store has opened: the codec servers seal a decision under its case's compartment."""
    from recordstore.case_models import Case
    from recordstore.db import make_engine, make_session_factory

    sessions = make_session_factory(make_engine(database_url))

    def lookup(request_id: str) -> str | None:
        with sessions() as session:
            case = session.get(Case, request_id)
            return None if case is None else str(case.request_type)

    return lookup
