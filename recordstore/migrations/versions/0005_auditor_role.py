"""The auditor role (issue 11): the roster's role CHECK (`ck_role` on `actor_roles.role`) admits
`auditor` beside analyst, supervisor, legal and cleared.

Idempotent: a store made by a build that already had the role gets the same CHECK again (the
unversioned-store detection in recordstore.migrations relies on that). On SQLite the table is
rebuilt (batch mode); its rows are kept. Downgrading refuses while an actor holds the role.

Revision ID: 0005_auditor_role
Revises: 0004_case_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_auditor_role"
down_revision = "0004_case_ledger"
branch_labels = None
depends_on = None

TABLES: dict[str, tuple[str, ...]] = {}
"""Tables this revision creates or changes, with their columns after it (recordstore.migrations.fingerprint_at)."""

BEFORE = ("analyst", "supervisor", "legal", "cleared")
AFTER = (*BEFORE, "auditor")


def _set_roles(roles: tuple[str, ...]) -> None:
    allowed = ", ".join(f"'{role}'" for role in roles)
    with op.batch_alter_table("actor_roles", recreate="auto") as batch:
        batch.drop_constraint("ck_role", type_="check")
        batch.create_check_constraint("ck_role", f"role IN ({allowed})")


def upgrade() -> None:
    _set_roles(AFTER)


def downgrade() -> None:
    held = op.get_bind().scalar(sa.text("SELECT count(*) FROM actor_roles WHERE role = 'auditor'"))
    if held:
        raise RuntimeError(f"{held} actor(s) hold the auditor role; remove it before downgrading")
    _set_roles(BEFORE)
