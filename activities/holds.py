"""Preservation holds (18 U.S.C. 2703(f)): place, renew, release and expire, each idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.exc import IntegrityError
from temporalio import activity

from activities.errors import hold_unavailable, invalid_request, parse_or_refuse
from domain.contracts import ExtendHoldInput, HoldRef, HoldSummary, PlaceHoldInput, ReleaseHoldInput
from domain.vocabulary import PROSPECTIVE_CATEGORIES
from les.logging import activity_logger
from recordstore.db import make_session_factory
from recordstore.export import snapshot_connection
from recordstore.holds import snapshot_category
from recordstore.models import HeldRecord, HoldState, PreservationHold
from recordstore.targets import TargetSpec


def _summary(hold: PreservationHold) -> HoldSummary:
    return HoldSummary(request_id=hold.request_id, rows_per_category=dict(hold.rows_per_category),
                       expires_at=hold.expires_at, state=hold.state)


class HoldActivities:
    """A hold is keyed by its preservation request: a retried call finds the hold already there."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = make_session_factory(engine)

    def _hold(self, request_id: str) -> PreservationHold:
        with self._sessions() as session:
            hold = session.get(PreservationHold, request_id)
        if hold is None:
            raise hold_unavailable(f"no preservation hold {request_id} was placed")
        return hold

    @activity.defn
    def place_hold(self, placing: PlaceHoldInput) -> HoldSummary:
        """Snapshot the targets' records of each category within the period into the hold, once."""
        log = activity_logger(placing.request_id)
        with self._sessions() as session:
            existing = session.get(PreservationHold, placing.request_id)
        if existing is not None:
            return _summary(existing)
        request = parse_or_refuse(placing.request_id, placing.document)
        if request.period is None:
            raise invalid_request(f"{placing.request_id} names no period: nothing stored can be preserved")
        prospective = sorted(str(c) for c in placing.categories if c in PROSPECTIVE_CATEGORIES)
        if prospective:
            raise invalid_request(f"{', '.join(prospective)}: prospective, nothing stored to preserve")
        targets = [TargetSpec.of(t) for t in request.targets]
        # 2703(f) preserves records that exist when the request arrives, nothing later (LEGAL.md).
        start, end = request.period.start, min(request.period.end, request.received_at)
        rows: dict[str, int] = {}
        columns: dict[str, list[str]] = {}
        try:
            with snapshot_connection(self._engine) as conn, conn.begin():
                conn.execute(insert(PreservationHold).values(
                    request_id=placing.request_id, targets=[t.model_dump(mode="json") for t in targets],
                    period_start=start, period_end=end, rows_per_category={}, columns_per_category={},
                    placed_at=datetime.now(UTC), expires_at=placing.expires_at, state=HoldState.ACTIVE,
                ))
                for category in dict.fromkeys(placing.categories):
                    rows[str(category)], columns[str(category)] = snapshot_category(
                        conn, placing.request_id, category, targets, start, end)
                conn.execute(update(PreservationHold).where(PreservationHold.request_id == placing.request_id)
                             .values(rows_per_category=rows, columns_per_category=columns))
        except IntegrityError:
            pass  # a concurrent attempt placed the same hold first
        hold = self._hold(placing.request_id)
        log.info("hold placed", rows_per_category=hold.rows_per_category, expires_at=hold.expires_at.isoformat())
        return _summary(hold)

    @activity.defn
    def extend_hold(self, extension: ExtendHoldInput) -> HoldSummary:
        """Move an active hold's expiry later (the one renewal 2703(f)(2) allows)."""
        hold = self._hold(extension.request_id)
        if hold.state is not HoldState.ACTIVE:
            raise hold_unavailable(f"preservation hold {hold.request_id} is {hold.state}; a new request "
                                   "starts a new hold")
        if extension.expires_at < hold.expires_at:
            raise invalid_request(f"{extension.expires_at.isoformat()} is earlier than the hold's expiry "
                                  f"{hold.expires_at.isoformat()}; a renewal only extends it")
        with self._sessions.begin() as session:
            session.execute(update(PreservationHold).where(PreservationHold.request_id == hold.request_id)
                            .values(expires_at=extension.expires_at))
        activity_logger(hold.request_id).info("hold extended", expires_at=extension.expires_at.isoformat())
        return _summary(self._hold(hold.request_id))

    @activity.defn
    def release_hold(self, release: ReleaseHoldInput) -> HoldSummary:
        """End the hold now (withdrawn): its held records are deleted."""
        return self._end(release.request_id, HoldState.RELEASED, release.reason)

    @activity.defn
    def expire_hold(self, expiry: HoldRef) -> HoldSummary:
        """End the hold at its expiry: its held records are deleted."""
        return self._end(expiry.request_id, HoldState.EXPIRED, "the hold lapsed (18 U.S.C. 2703(f)(2))")

    def _end(self, request_id: str, state: HoldState, reason: str) -> HoldSummary:
        hold = self._hold(request_id)
        if hold.state is HoldState.ACTIVE:
            with self._sessions.begin() as session:
                session.execute(delete(HeldRecord).where(HeldRecord.request_id == request_id))
                session.execute(update(PreservationHold).where(
                    PreservationHold.request_id == request_id, PreservationHold.state == HoldState.ACTIVE,
                ).values(state=state, ended_at=datetime.now(UTC), end_reason=reason))
            activity_logger(request_id).info("hold ended", state=str(state), reason=reason)
            hold = self._hold(request_id)
        return _summary(hold)
