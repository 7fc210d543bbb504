"""Records kept by account: who the subscriber is, services, payment, sessions, billing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, cast, literal, null, or_, select, union_all

from recordstore.categories.query import (
    PERIOD_END,
    PERIOD_START,
    CategoryQuery,
    Field,
    Selector,
    category_query,
)
from recordstore.models import (
    AccountNote,
    BillingStatement,
    InternetSession,
    PaymentMethod,
    Service,
    Subscriber,
    TelephoneNumber,
)
from recordstore.sqltext import date_text, utc_text
from recordstore.targets import Window

_ACCOUNT: Field = ("account_number", Subscriber.account_number, "the carrier's account number")


def _last_day(window: Window) -> date:
    return (window.end - timedelta(microseconds=1)).date()


def subscriber_info() -> CategoryQuery:
    """subscriber_info: one row per number the account held during the period."""
    s, tn = Subscriber, TelephoneNumber
    fields: list[Field] = [
        _ACCOUNT,
        ("name", s.name, "account holder's name"),
        ("service_street", s.service_street, "service address: street"),
        ("service_city", s.service_city, "service address: city"),
        ("service_state", s.service_state, "service address: state"),
        ("service_zip", s.service_zip, "service address: ZIP code"),
        ("billing_street", s.billing_street, "billing address: street or PO box"),
        ("billing_city", s.billing_city, "billing address: city"),
        ("billing_state", s.billing_state, "billing address: state"),
        ("billing_zip", s.billing_zip, "billing address: ZIP code"),
        ("email", s.email, "e-mail address on the account (empty: none)"),
        ("date_of_birth", date_text(s.date_of_birth), "account holder's date of birth"),
        ("customer_since", utc_text(s.created_at), "when the account was opened, UTC"),
        ("telephone_number", tn.number, "a number the account held in the period, E.164"),
        ("number_held_from", utc_text(tn.valid_from), "since when the account held it, UTC"),
        ("number_held_until", utc_text(tn.valid_to), "until when, UTC (empty: still held)"),
    ]
    held_in_period = and_(
        tn.subscriber_id == s.id,
        tn.valid_from < PERIOD_END,
        or_(tn.valid_to.is_(None), tn.valid_to > PERIOD_START),
    )
    source = Subscriber.__table__.outerjoin(TelephoneNumber.__table__, held_in_period)

    def in_window(subscriber_id: int, _window: Window) -> ColumnElement[bool]:
        return s.id == subscriber_id

    return category_query(fields, source, [s.account_number, tn.valid_from, tn.id], Selector.SUBSCRIBER, in_window)


def service_history() -> CategoryQuery:
    """service_history: each service in use at some time of the window, with its dates."""
    s, sv = Subscriber, Service
    fields: list[Field] = [
        _ACCOUNT,
        (
            "service_type",
            sv.service_type,
            "mobile_voice, landline, voip, high_speed_internet, dial_up",
        ),
        ("started_on", date_text(sv.started_on), "first day of service"),
        ("ended_on", date_text(sv.ended_on), "last day of service (empty: active)"),
        ("customer_since", utc_text(s.created_at), "when the account was opened, UTC"),
    ]

    def in_window(subscriber_id: int, window: Window) -> ColumnElement[bool]:
        return and_(
            sv.subscriber_id == subscriber_id,
            sv.started_on <= _last_day(window),
            or_(sv.ended_on.is_(None), sv.ended_on >= window.start.date()),
        )

    source = Service.__table__.join(Subscriber.__table__, sv.subscriber_id == s.id)
    return category_query(fields, source, [s.account_number, sv.started_on, sv.id], Selector.SUBSCRIBER, in_window)


def payment_info() -> CategoryQuery:
    """payment_info: the means of payment on file by the end of the window."""
    s, pm = Subscriber, PaymentMethod
    fields: list[Field] = [
        _ACCOUNT,
        ("kind", pm.kind, "credit_card, bank_account, prepaid_card, cash..."),
        ("masked_detail", pm.masked_detail, "the instrument, masked as the carrier stores it"),
        ("payer_name", pm.payer_name, "who pays with it (its holder or source)"),
        ("added_at", utc_text(pm.added_at), "when it was put on file, UTC"),
    ]

    def in_window(subscriber_id: int, window: Window) -> ColumnElement[bool]:
        return and_(pm.subscriber_id == subscriber_id, pm.added_at < window.end)

    source = PaymentMethod.__table__.join(Subscriber.__table__, pm.subscriber_id == s.id)
    return category_query(fields, source, [s.account_number, pm.added_at, pm.id], Selector.SUBSCRIBER, in_window)


def internet_sessions() -> CategoryQuery:
    """internet_sessions: sessions begun in the window and the addresses they were given."""
    s, ses = Subscriber, InternetSession
    fields: list[Field] = [
        _ACCOUNT,
        ("session_id", ses.id, "the record number of the session"),
        ("started_at", utc_text(ses.started_at), "session start, UTC"),
        ("ended_at", utc_text(ses.ended_at), "session end, UTC (empty: still open)"),
        ("assigned_ip", ses.assigned_ip, "IP address assigned for the session"),
        ("nat_port_start", ses.nat_port_start, "first port of its carrier-grade NAT block"),
        ("nat_port_end", ses.nat_port_end, "last port of that block (empty: no NAT)"),
        ("access_type", ses.access_type, "dial_up, dsl, cable, fiber or mobile"),
        ("bytes_up", ses.bytes_up, "bytes sent by the subscriber"),
        ("bytes_down", ses.bytes_down, "bytes received by the subscriber"),
    ]

    def in_window(subscriber_id: int, window: Window) -> ColumnElement[bool]:
        return and_(
            ses.subscriber_id == subscriber_id,
            ses.started_at >= window.start,
            ses.started_at < window.end,
        )

    source = InternetSession.__table__.join(Subscriber.__table__, ses.subscriber_id == s.id)
    return category_query(fields, source, [ses.started_at, ses.id], Selector.SUBSCRIBER, in_window)


def billing_records() -> CategoryQuery:
    """billing_records: statements issued and account notes written in the window."""
    st, note = BillingStatement, AccountNote
    statements = select(
        st.subscriber_id.label("subscriber_id"),
        literal("statement").label("record_type"),
        st.id.label("record_id"),
        st.issued_at.label("recorded_at"),
        st.period_start.label("period_start"),
        st.period_end.label("period_end"),
        st.amount_cents.label("amount_cents"),
        cast(null(), note.author.type).label("author"),
        cast(null(), note.text.type).label("text"),
    )
    notes = select(
        note.subscriber_id,
        literal("note"),
        note.id,
        note.created_at,
        cast(null(), Date),
        cast(null(), Date),
        cast(null(), st.amount_cents.type),
        note.author,
        note.text,
    )
    record = union_all(statements, notes).subquery("billing_record")
    fields: list[Field] = [
        _ACCOUNT,
        ("record_type", record.c.record_type, "statement or note"),
        ("record_id", record.c.record_id, "the record number of the statement or note"),
        ("recorded_at", utc_text(record.c.recorded_at), "when it was issued or written, UTC"),
        ("period_start", date_text(record.c.period_start), "statement: first day billed"),
        ("period_end", date_text(record.c.period_end), "statement: last day billed"),
        ("amount_cents", record.c.amount_cents, "statement: amount due, US cents"),
        ("author", record.c.author, "note: who wrote it"),
        ("text", record.c.text, "note: what it says"),
    ]

    def in_window(subscriber_id: int, window: Window) -> ColumnElement[bool]:
        return and_(
            record.c.subscriber_id == subscriber_id,
            record.c.recorded_at >= window.start,
            record.c.recorded_at < window.end,
        )

    source = record.join(Subscriber.__table__, record.c.subscriber_id == Subscriber.id)
    order: list[Any] = [record.c.recorded_at, record.c.record_type, record.c.record_id]
    return category_query(fields, source, order, Selector.SUBSCRIBER, in_window)
