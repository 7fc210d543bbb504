"""Records kept by telephone number: calls placed and received, 9-1-1 calls, voicemail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_

from recordstore.categories.query import CategoryQuery, Field, Selector, category_query
from recordstore.models import CallRecord, EmergencyCall, Voicemail
from recordstore.sqltext import fixed6_text, hex_text, utc_text
from recordstore.targets import Window

_CALL_FIELDS: list[Field] = [
    ("call_id", CallRecord.id, "the switch's record number"),
    ("caller_number", CallRecord.caller_number, "calling number, E.164"),
    ("callee_number", CallRecord.callee_number, "called number, E.164"),
    ("started_at", utc_text(CallRecord.started_at), "call start, UTC (YYYY-MM-DDTHH:MM:SSZ)"),
    ("duration_seconds", CallRecord.duration_seconds, "call length in seconds (0: not answered)"),
    ("call_type", CallRecord.call_type, "local, long_distance, voip or international"),
    ("switch_time_zone", CallRecord.switch_time_zone, "time zone of the switch that logged it"),
    (
        "utc_offset_minutes",
        CallRecord.utc_offset_minutes,
        "that zone's offset from UTC at the call",
    ),
]


def _calls(number_column: Any) -> CategoryQuery:
    def in_window(number: str, window: Window) -> ColumnElement[bool]:
        return and_(
            number_column == number,
            CallRecord.started_at >= window.start,
            CallRecord.started_at < window.end,
        )

    return category_query(
        _CALL_FIELDS,
        CallRecord.__table__,
        [CallRecord.started_at, CallRecord.id],
        Selector.NUMBER,
        in_window,
    )


def calls_placed() -> CategoryQuery:
    """call_records_outgoing: calls the target number placed."""
    return _calls(CallRecord.caller_number)


def calls_received() -> CategoryQuery:
    """call_records_incoming: calls placed to the target number."""
    return _calls(CallRecord.callee_number)


def emergency_calls() -> CategoryQuery:
    """e911_records: the target number's 9-1-1 calls and the location sent with each."""
    e911 = EmergencyCall
    fields: list[Field] = [
        ("e911_call_id", e911.id, "the record number of the 9-1-1 call"),
        ("calling_number", e911.calling_number, "number that called 9-1-1, E.164"),
        ("started_at", utc_text(e911.started_at), "call start, UTC"),
        ("psap", e911.psap, "public safety answering point that took the call"),
        ("latitude", fixed6_text(e911.latitude), "reported latitude, WGS 84 degrees"),
        ("longitude", fixed6_text(e911.longitude), "reported longitude, WGS 84 degrees"),
        (
            "location_source",
            e911.location_source,
            "how the location was found (GPS, cell sector...)",
        ),
        ("uncertainty_m", e911.uncertainty_m, "radius of uncertainty of the location, metres"),
        ("dispatchable_address", e911.dispatchable_address, "street address sent, if any"),
    ]

    def in_window(number: str, window: Window) -> ColumnElement[bool]:
        return and_(
            e911.calling_number == number,
            e911.started_at >= window.start,
            e911.started_at < window.end,
        )

    return category_query(fields, e911.__table__, [e911.started_at, e911.id], Selector.NUMBER, in_window)


_VOICEMAIL_FIELDS: list[Field] = [
    ("voicemail_id", Voicemail.id, "the record number of the message"),
    ("mailbox_number", Voicemail.mailbox_number, "mailbox the message was left in, E.164"),
    ("caller_number", Voicemail.caller_number, "number that left it, E.164 (empty: withheld)"),
    ("left_at", utc_text(Voicemail.left_at), "when it was left, UTC"),
    ("duration_seconds", Voicemail.duration_seconds, "message length in seconds"),
]


def _voicemail(fields: list[Field]) -> CategoryQuery:
    def in_window(number: str, window: Window) -> ColumnElement[bool]:
        return and_(
            Voicemail.mailbox_number == number,
            Voicemail.left_at >= window.start,
            Voicemail.left_at < window.end,
        )

    return category_query(fields, Voicemail.__table__, [Voicemail.left_at, Voicemail.id], Selector.NUMBER, in_window)


def voicemail_metadata() -> CategoryQuery:
    """voicemail_metadata: when messages were left, by which numbers, how long."""
    return _voicemail(_VOICEMAIL_FIELDS)


def voicemail_content() -> CategoryQuery:
    """voicemail_content: the messages themselves, with their SHA-256."""
    return _voicemail(
        [
            *_VOICEMAIL_FIELDS,
            ("content_sha256", Voicemail.content_sha256, "SHA-256 of the stored audio, hex"),
            ("audio_hex", hex_text(Voicemail.audio), "the stored audio bytes, lower-case hex"),
        ]
    )
