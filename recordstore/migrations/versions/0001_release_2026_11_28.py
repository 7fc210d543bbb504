# ruff: noqa: E501 (rendered by Alembic from the previous release's models; kept as rendered)
"""Baseline: the records and case store of the previous release.

The previous release is commit 31a97d5 (2026-11-28 19:15 UTC), the last commit of the session
that built the foundation (issues resolved that day): the store it creates has these 18 tables,
PINs as sha256(salt + PIN) in `subscribers.pin_sha256`, and no `alembic_version`. Its models were
rendered here by Alembic's autogenerate against an empty database; recordstore.migrations
recognises such a store by TABLES (its tables and columns) and stamps it here before upgrading.

Timestamps are plain `DateTime(timezone=True)` (what the models' UtcDateTime stores), so this file
does not change when the Python side of the models does.

Revision ID: 0001_release_2026_11_28
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_release_2026_11_28"
down_revision = None
branch_labels = None
depends_on = None

TABLES: dict[str, tuple[str, ...]] = {
    "account_notes": ("author", "created_at", "id", "subscriber_id", "text"),
    "actor_roles": ("actor_id", "role"),
    "actors": ("active", "actor_id", "display_name"),
    "agency_directory": ("agency", "id", "main_number", "source"),
    "billing_statements": ("amount_cents", "id", "issued_at", "period_end", "period_start", "subscriber_id"),
    "call_records": ("call_type", "callee_number", "caller_number", "duration_seconds", "id", "started_at", "switch_time_zone", "utc_offset_minutes"),
    "case_events": ("accepted", "actor", "at", "details", "event", "id", "note", "reason", "request_id", "role", "seq", "via"),
    "cases": ("closed_at", "document", "opened_at", "received_at", "request_id", "request_type", "resolution", "state", "workflow_id"),
    "e911_calls": ("calling_number", "dispatchable_address", "id", "latitude", "location_source", "longitude", "psap", "started_at", "uncertainty_m"),
    "internet_sessions": ("access_type", "assigned_ip", "bytes_down", "bytes_up", "ended_at", "id", "nat_port_end", "nat_port_start", "started_at", "subscriber_id"),
    "invoices": ("basis", "created_at", "currency", "id", "lines", "request_id", "total_cents"),
    "notifications": ("created_at", "id", "kind", "message", "recipient_role", "request_id"),
    "payment_methods": ("added_at", "id", "kind", "masked_detail", "payer_name", "subscriber_id"),
    "productions": ("created_at", "file_count", "id", "manifest_sha256", "path", "production_no", "request_id", "row_count"),
    "services": ("ended_on", "id", "service_type", "started_on", "subscriber_id"),
    "subscribers": ("account_number", "billing_city", "billing_state", "billing_street", "billing_zip", "created_at", "date_of_birth", "email", "id", "name", "pin_salt", "pin_sha256", "service_city", "service_state", "service_street", "service_zip"),
    "telephone_numbers": ("id", "number", "subscriber_id", "valid_from", "valid_to"),
    "voicemails": ("audio", "caller_number", "content_sha256", "duration_seconds", "id", "left_at", "mailbox_number"),
}
"""Every table of the release and its columns, sorted (recordstore.migrations.fingerprint_at)."""


def upgrade() -> None:
    op.create_table('actors',
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('actor_id')
    )
    op.create_table('agency_directory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=200), nullable=False),
    sa.Column('main_number', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency', 'main_number')
    )
    op.create_index(op.f('ix_agency_directory_agency'), 'agency_directory', ['agency'], unique=False)
    op.create_index(op.f('ix_agency_directory_main_number'), 'agency_directory', ['main_number'], unique=False)
    op.create_table('call_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('caller_number', sa.String(length=16), nullable=False),
    sa.Column('callee_number', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('call_type', sa.Enum('local', 'long_distance', 'voip', 'international', name='ck_calltype', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('switch_time_zone', sa.String(length=40), nullable=False),
    sa.Column('utc_offset_minutes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_call_records_callee_started', 'call_records', ['callee_number', 'started_at'], unique=False)
    op.create_index('ix_call_records_caller_started', 'call_records', ['caller_number', 'started_at'], unique=False)
    op.create_table('cases',
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('request_type', sa.String(length=40), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('workflow_id', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('resolution', sa.String(length=40), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('request_id'),
    sa.UniqueConstraint('workflow_id')
    )
    op.create_index(op.f('ix_cases_request_type'), 'cases', ['request_type'], unique=False)
    op.create_table('e911_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calling_number', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('psap', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('location_source', sa.String(length=32), nullable=False),
    sa.Column('uncertainty_m', sa.Integer(), nullable=False),
    sa.Column('dispatchable_address', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_e911_calls_number_started', 'e911_calls', ['calling_number', 'started_at'], unique=False)
    op.create_table('subscribers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_number', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('service_street', sa.String(length=200), nullable=False),
    sa.Column('service_city', sa.String(length=100), nullable=False),
    sa.Column('service_state', sa.String(length=2), nullable=False),
    sa.Column('service_zip', sa.String(length=10), nullable=False),
    sa.Column('billing_street', sa.String(length=200), nullable=False),
    sa.Column('billing_city', sa.String(length=100), nullable=False),
    sa.Column('billing_state', sa.String(length=2), nullable=False),
    sa.Column('billing_zip', sa.String(length=10), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('pin_salt', sa.String(length=32), nullable=False),
    sa.Column('pin_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_number')
    )
    op.create_index(op.f('ix_subscribers_email'), 'subscribers', ['email'], unique=False)
    op.create_index(op.f('ix_subscribers_service_state'), 'subscribers', ['service_state'], unique=False)
    op.create_table('voicemails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox_number', sa.String(length=16), nullable=False),
    sa.Column('caller_number', sa.String(length=16), nullable=True),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('audio', sa.LargeBinary(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_voicemails_mailbox_left', 'voicemails', ['mailbox_number', 'left_at'], unique=False)
    op.create_table('account_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_account_notes_subscriber_created', 'account_notes', ['subscriber_id', 'created_at'], unique=False)
    op.create_table('actor_roles',
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.Enum('analyst', 'supervisor', 'legal', 'cleared', name='ck_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.actor_id'], ),
    sa.PrimaryKeyConstraint('actor_id', 'role')
    )
    op.create_table('billing_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_billing_statements_subscriber_issued', 'billing_statements', ['subscriber_id', 'issued_at'], unique=False)
    op.create_table('case_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('via', sa.Enum('signal', 'update', 'system', name='ck_eventvia', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['cases.request_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'seq')
    )
    op.create_index(op.f('ix_case_events_request_id'), 'case_events', ['request_id'], unique=False)
    op.create_table('internet_sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_ip', sa.String(length=45), nullable=False),
    sa.Column('nat_port_start', sa.Integer(), nullable=True),
    sa.Column('nat_port_end', sa.Integer(), nullable=True),
    sa.Column('access_type', sa.Enum('dial_up', 'dsl', 'cable', 'fiber', 'mobile', name='ck_accesstype', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('bytes_up', sa.BigInteger(), nullable=False),
    sa.Column('bytes_down', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_internet_sessions_ip_started', 'internet_sessions', ['assigned_ip', 'started_at'], unique=False)
    op.create_index('ix_internet_sessions_subscriber_started', 'internet_sessions', ['subscriber_id', 'started_at'], unique=False)
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('basis', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['cases.request_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id')
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('recipient_role', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['cases.request_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'kind')
    )
    op.create_table('payment_methods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('masked_detail', sa.String(length=64), nullable=False),
    sa.Column('payer_name', sa.String(length=200), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_payment_methods_subscriber_id'), 'payment_methods', ['subscriber_id'], unique=False)
    op.create_table('productions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('production_no', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_count', sa.Integer(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['cases.request_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'production_no')
    )
    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('service_type', sa.Enum('mobile_voice', 'landline', 'voip', 'high_speed_internet', 'dial_up', name='ck_servicetype', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_services_subscriber_id'), 'services', ['subscriber_id'], unique=False)
    op.create_table('telephone_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_telephone_numbers_number_valid_from', 'telephone_numbers', ['number', 'valid_from'], unique=False)
    op.create_index(op.f('ix_telephone_numbers_subscriber_id'), 'telephone_numbers', ['subscriber_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_telephone_numbers_subscriber_id'), table_name='telephone_numbers')
    op.drop_index('ix_telephone_numbers_number_valid_from', table_name='telephone_numbers')
    op.drop_table('telephone_numbers')
    op.drop_index(op.f('ix_services_subscriber_id'), table_name='services')
    op.drop_table('services')
    op.drop_table('productions')
    op.drop_index(op.f('ix_payment_methods_subscriber_id'), table_name='payment_methods')
    op.drop_table('payment_methods')
    op.drop_table('notifications')
    op.drop_table('invoices')
    op.drop_index('ix_internet_sessions_subscriber_started', table_name='internet_sessions')
    op.drop_index('ix_internet_sessions_ip_started', table_name='internet_sessions')
    op.drop_table('internet_sessions')
    op.drop_index(op.f('ix_case_events_request_id'), table_name='case_events')
    op.drop_table('case_events')
    op.drop_index('ix_billing_statements_subscriber_issued', table_name='billing_statements')
    op.drop_table('billing_statements')
    op.drop_table('actor_roles')
    op.drop_index('ix_account_notes_subscriber_created', table_name='account_notes')
    op.drop_table('account_notes')
    op.drop_index('ix_voicemails_mailbox_left', table_name='voicemails')
    op.drop_table('voicemails')
    op.drop_index(op.f('ix_subscribers_service_state'), table_name='subscribers')
    op.drop_index(op.f('ix_subscribers_email'), table_name='subscribers')
    op.drop_table('subscribers')
    op.drop_index('ix_e911_calls_number_started', table_name='e911_calls')
    op.drop_table('e911_calls')
    op.drop_index(op.f('ix_cases_request_type'), table_name='cases')
    op.drop_table('cases')
    op.drop_index('ix_call_records_caller_started', table_name='call_records')
    op.drop_index('ix_call_records_callee_started', table_name='call_records')
    op.drop_table('call_records')
    op.drop_index(op.f('ix_agency_directory_main_number'), table_name='agency_directory')
    op.drop_index(op.f('ix_agency_directory_agency'), table_name='agency_directory')
    op.drop_table('agency_directory')
    op.drop_table('actors')
