"""Agency e-mail domains (requester verification, issue 9): the table `agency_domains`.

Revision ID: 0003_agency_domains
Revises: 0002_landed_ba33221
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_agency_domains"
down_revision = "0002_landed_ba33221"
branch_labels = None
depends_on = None

TABLES: dict[str, tuple[str, ...]] = {"agency_domains": ("agency", "domain", "id", "source")}
"""Tables this revision creates or changes, with their columns after it (recordstore.migrations.fingerprint_at)."""


def upgrade() -> None:
    op.create_table(
        "agency_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency", "domain"),
    )
    op.create_index("ix_agency_domains_agency", "agency_domains", ["agency"])
    op.create_index("ix_agency_domains_domain", "agency_domains", ["domain"])


def downgrade() -> None:
    op.drop_index("ix_agency_domains_domain", table_name="agency_domains")
    op.drop_index("ix_agency_domains_agency", table_name="agency_domains")
    op.drop_table("agency_domains")
