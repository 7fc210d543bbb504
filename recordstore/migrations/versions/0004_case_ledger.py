"""The case ledger (audit, issue 11): `case_ledger`, one hash-chain link per filed case event.

A store upgraded from the baseline has no ledger entries for the events filed before: `audit
verify` reports those requests' chains as missing (README, "For auditors"); nothing is back-filled.

Revision ID: 0004_case_ledger
Revises: 0003_agency_domains
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_case_ledger"
down_revision = "0003_agency_domains"
branch_labels = None
depends_on = None

TABLES: dict[str, tuple[str, ...]] = {
    "case_ledger": ("appended_at", "body", "entry_hash", "id", "position", "prev_hash", "request_id", "seq"),
}
"""Tables this revision creates or changes, with their columns after it (recordstore.migrations.fingerprint_at)."""


def upgrade() -> None:
    op.create_table(
        "case_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("appended_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["cases.request_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "position"),
        sa.UniqueConstraint("request_id", "seq"),
    )
    op.create_index("ix_case_ledger_request_id", "case_ledger", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_case_ledger_request_id", table_name="case_ledger")
    op.drop_table("case_ledger")
