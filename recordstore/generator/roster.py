"""The demo team on the roster: who may make which decision (LEGAL.md, Approvals)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.vocabulary import Role
from recordstore.models import Actor, ActorRole

DEMO_ROSTER: tuple[tuple[str, str, bool, frozenset[Role]], ...] = (
    ("jdoe", "John Doe", True, frozenset({Role.ANALYST})),
    ("asmith", "Alice Smith", True, frozenset({Role.ANALYST})),
    ("mlee", "Morgan Lee", True, frozenset({Role.SUPERVISOR})),
    ("kpatel", "Kiran Patel", True, frozenset({Role.LEGAL})),
    ("rcruz", "Rosa Cruz", True, frozenset({Role.LEGAL, Role.CLEARED})),
    ("tnguyen", "Tuan Nguyen", True, frozenset({Role.ANALYST, Role.CLEARED})),
    ("bwilson", "Ben Wilson", False, frozenset({Role.ANALYST})),
    ("dokafor", "Dana Okafor", True, frozenset({Role.AUDITOR, Role.CLEARED})),
)
"""(actor id, display name, active, roles); bwilson has left the team and may decide nothing;
dokafor audits (national security cases included) and may decide nothing either."""


def seed_roster(session: Session) -> int:
    """Add the demo actors and roles that are missing; returns how many actors were added.

    Changes nothing already on the roster, so it is safe at every start. The caller commits.
    """
    added = 0
    for actor_id, display_name, active, roles in DEMO_ROSTER:
        if session.get(Actor, actor_id) is None:
            session.add(Actor(actor_id=actor_id, display_name=display_name, active=active))
            session.flush()
            added += 1
        held = set(session.scalars(select(ActorRole.role).where(ActorRole.actor_id == actor_id)))
        session.add_all(ActorRole(actor_id=actor_id, role=role) for role in sorted(roles - held))
    session.flush()
    return added
