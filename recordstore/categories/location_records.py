"""Historical location: the cell site and sector that served the target's calls and sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, String, and_, case, cast, literal, null, select, union_all

from recordstore.categories.query import CategoryQuery, Field, Selector, category_query
from recordstore.models import (
    CallCellRecord,
    CallRecord,
    CellSector,
    CellSite,
    InternetSession,
    SessionCellRecord,
    Subscriber,
)
from recordstore.sqltext import fixed6_text, utc_text
from recordstore.targets import Window


def cell_site_location() -> CategoryQuery:
    """cell_site_location: a number's call legs (by number) and an account's mobile sessions."""
    call, leg, ses, served = CallRecord, CallCellRecord, InternetSession, SessionCellRecord
    calls = select(
        literal("call").label("record_type"),
        call.id.label("record_id"),
        leg.number.label("number"),
        cast(null(), Integer).label("subscriber_id"),
        case((call.caller_number == leg.number, "outgoing"), else_="incoming").label("direction"),
        call.started_at.label("started_at"),
        cast(null(), ses.ended_at.type).label("ended_at"),
        call.duration_seconds.label("duration_seconds"),
        leg.sector_id.label("sector_id"),
    ).select_from(leg.__table__.join(call.__table__, leg.call_id == call.id))
    sessions = select(
        literal("session"),
        ses.id,
        cast(null(), String),
        ses.subscriber_id,
        cast(null(), String),
        ses.started_at,
        ses.ended_at,
        cast(null(), Integer),
        served.sector_id,
    ).select_from(served.__table__.join(ses.__table__, served.session_id == ses.id))
    record = union_all(calls, sessions).subquery("location_record")
    site, sector = CellSite, CellSector
    fields: list[Field] = [
        ("record_type", record.c.record_type, "call or session"),
        ("record_id", record.c.record_id, "the call's switch record number, or the session's record number"),
        ("number", record.c.number, "calls: the carrier's number the sector served, E.164"),
        ("account_number", Subscriber.account_number, "sessions: the account the session belongs to"),
        ("direction", record.c.direction, "calls: outgoing or incoming for that number"),
        ("started_at", utc_text(record.c.started_at), "call or session start, UTC"),
        ("ended_at", utc_text(record.c.ended_at), "sessions: end, UTC (empty: still open)"),
        ("duration_seconds", record.c.duration_seconds, "calls: length in seconds"),
        ("cell_site", site.site_code, "the serving cell site's code"),
        ("sector", sector.sector, "the serving sector of that site (1, 2, 3)"),
        ("azimuth_degrees", sector.azimuth_degrees, "direction the sector faces, degrees from true north"),
        ("beamwidth_degrees", sector.beamwidth_degrees, "width of the sector's coverage, degrees"),
        ("site_latitude", fixed6_text(site.latitude), "the site's latitude, WGS 84 degrees"),
        ("site_longitude", fixed6_text(site.longitude), "the site's longitude, WGS 84 degrees"),
        ("site_address", site.street + ", " + site.city + ", " + site.state, "the site's street address"),
    ]

    def in_window(key: str | int, window: Window) -> ColumnElement[bool]:
        # A number selects its call legs; an account (subscriber id) its mobile sessions.
        selects = record.c.number == key if isinstance(key, str) else record.c.subscriber_id == key
        return and_(selects, record.c.started_at >= window.start, record.c.started_at < window.end)

    source = (
        record.join(sector.__table__, record.c.sector_id == sector.id)
        .join(site.__table__, sector.cell_site_id == site.id)
        .outerjoin(Subscriber.__table__, record.c.subscriber_id == Subscriber.id)
    )
    order: list[Any] = [record.c.started_at, record.c.record_type, record.c.record_id, record.c.number]
    return category_query(fields, source, order, Selector.NUMBER_OR_SUBSCRIBER, in_window)
