# ruff: noqa: E501 (the tables rendered by Alembic's autogenerate; kept as rendered)
"""Preservation holds, cell sites, fee quotes, interception records, and PINs hashed with scrypt:
the store as commit ba33221 (2026-11-29 17:19 UTC, "Merge target resolution") left it.

PINs: the release kept sha256(salt + PIN) in `pin_sha256`; this one keeps scrypt(PIN, salt) in
`pin_hash` (recordstore.pins), and an account may have no PIN (`pin_salt`, `pin_hash` NULL). A
sha256 hash cannot be turned into a scrypt one without the PIN, so the upgrade drops the old
hashes and their salts: after it, every account of the old store has no PIN on file, and a
customer lookup by PIN answers "the account has no PIN on file; authenticate by another method"
(activities/customers.py) until the customer sets one again. Downgrading leaves empty hashes,
which match no PIN.

Revision ID: 0002_landed_ba33221
Revises: 0001_release_2026_11_28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_landed_ba33221"
down_revision = "0001_release_2026_11_28"
branch_labels = None
depends_on = None

TABLES: dict[str, tuple[str, ...]] = {
    "call_cell_records": ("call_id", "id", "number", "sector_id"),
    "cell_sectors": ("azimuth_degrees", "beamwidth_degrees", "cell_site_id", "id", "sector"),
    "cell_sites": ("city", "id", "latitude", "longitude", "site_code", "state", "street"),
    "fee_quotes": ("accepted_at", "account_number", "amount_cents", "basis", "currency", "quote_id", "quoted_at",
                   "request_id"),
    "held_records": ("category", "id", "request_id", "row_values", "seq"),
    "interception_certifications": ("authorised_until", "authorising_official", "certification_id", "ended_at",
                                    "identities", "interception_type", "legal_reference", "presenting_officer",
                                    "request_id", "responsible_employee", "signature", "started_at", "xid"),
    "preservation_holds": ("columns_per_category", "end_reason", "ended_at", "expires_at", "period_end",
                           "period_start", "placed_at", "request_id", "rows_per_category", "state", "targets"),
    "session_cell_records": ("id", "sector_id", "session_id"),
    "subscribers": ("account_number", "billing_city", "billing_state", "billing_street", "billing_zip", "created_at",
                    "date_of_birth", "email", "id", "name", "pin_hash", "pin_salt", "service_city", "service_state",
                    "service_street", "service_zip"),
    "unauthorised_interception_reports": ("details", "found_at", "id", "reason", "switched_off_at", "xid"),
}
"""Tables this revision creates or changes, with their columns after it (recordstore.migrations.fingerprint_at)."""


def upgrade() -> None:
    op.create_table('cell_sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_code', sa.String(length=32), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_code')
    )
    op.create_table('preservation_holds',
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('targets', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rows_per_category', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('columns_per_category', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Enum('active', 'released', 'expired', name='ck_holdstate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('request_id')
    )
    op.create_table('unauthorised_interception_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('xid', sa.String(length=36), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('switched_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('xid')
    )
    op.create_table('cell_sectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cell_site_id', sa.Integer(), nullable=False),
    sa.Column('sector', sa.Integer(), nullable=False),
    sa.Column('azimuth_degrees', sa.Integer(), nullable=False),
    sa.Column('beamwidth_degrees', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cell_site_id'], ['cell_sites.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cell_site_id', 'sector')
    )
    op.create_table('fee_quotes',
    sa.Column('quote_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('account_number', sa.String(length=32), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('basis', sa.String(length=200), nullable=False),
    sa.Column('quoted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['cases.request_id'], ),
    sa.PrimaryKeyConstraint('quote_id'),
    sa.UniqueConstraint('request_id')
    )
    op.create_table('held_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('row_values', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['preservation_holds.request_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'category', 'seq')
    )
    op.create_table('interception_certifications',
    sa.Column('certification_id', sa.String(length=80), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('xid', sa.String(length=36), nullable=False),
    sa.Column('identities', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('interception_type', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('authorised_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('presenting_officer', sa.String(length=200), nullable=False),
    sa.Column('authorising_official', sa.String(length=200), nullable=False),
    sa.Column('legal_reference', sa.String(length=200), nullable=False),
    sa.Column('responsible_employee', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['cases.request_id'], ),
    sa.PrimaryKeyConstraint('certification_id'),
    sa.UniqueConstraint('request_id'),
    sa.UniqueConstraint('xid')
    )
    op.create_table('call_cell_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('call_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call_records.id'], ),
    sa.ForeignKeyConstraint(['sector_id'], ['cell_sectors.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_call_cell_records_call_id'), 'call_cell_records', ['call_id'], unique=False)
    op.create_index('ix_call_cell_records_number_call', 'call_cell_records', ['number', 'call_id'], unique=False)
    op.create_table('session_cell_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('session_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sector_id'], ['cell_sectors.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['internet_sessions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id')
    )
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("pin_hash", sa.String(length=64), nullable=True))
        batch.alter_column("pin_salt", existing_type=sa.String(length=32), nullable=True)
        batch.drop_column("pin_sha256")
    op.execute("UPDATE subscribers SET pin_salt = NULL")  # salts of sha256 hashes that no longer exist


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("pin_sha256", sa.String(length=64), nullable=False, server_default=""))
    op.execute("UPDATE subscribers SET pin_salt = '' WHERE pin_salt IS NULL OR pin_hash IS NOT NULL")
    with op.batch_alter_table("subscribers") as batch:
        batch.alter_column("pin_sha256", existing_type=sa.String(length=64), server_default=None)
        batch.alter_column("pin_salt", existing_type=sa.String(length=32), nullable=False)
        batch.drop_column("pin_hash")
    op.drop_table('session_cell_records')
    op.drop_index('ix_call_cell_records_number_call', table_name='call_cell_records')
    op.drop_index(op.f('ix_call_cell_records_call_id'), table_name='call_cell_records')
    op.drop_table('call_cell_records')
    op.drop_table('interception_certifications')
    op.drop_table('held_records')
    op.drop_table('fee_quotes')
    op.drop_table('cell_sectors')
    op.drop_table('unauthorised_interception_reports')
    op.drop_table('preservation_holds')
    op.drop_table('cell_sites')
