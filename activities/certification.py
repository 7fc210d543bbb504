"""The carrier's own records of lawful interception: the 47 CFR 1.20004 certification made at
switch-on (and closed at switch-off), and the 1.20003 report of an interception nothing justified."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.errors import invalid_request
from domain.contracts import (
    Certification,
    CertifyInput,
    EndCertificationInput,
    RunningInterception,
    RunningInterceptions,
    UnauthorisedReport,
)
from les import metrics
from les.logging import activity_logger
from recordstore.models import InterceptionCertification, UnauthorisedInterceptionReport


def _certification(row: InterceptionCertification) -> Certification:
    return Certification(certification_id=row.certification_id, signature=row.signature,
                         started_at=row.started_at, ended_at=row.ended_at)


def signature_of(record: CertifyInput) -> str:
    """What the responsible employee signs: a SHA-256 over every field of the record, in order."""
    return hashlib.sha256(json.dumps(record.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


class CertificationActivities:
    """Every write is keyed by the request (or the task), so a retry changes nothing twice."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    @activity.defn
    def certify_interception(self, record: CertifyInput) -> Certification:
        """Write the signed 1.20004 record of an interception switched on (once per request)."""
        with self._sessions() as session:
            row = session.scalar(select(InterceptionCertification).where(
                InterceptionCertification.request_id == record.request_id))
            if row is None:
                row = InterceptionCertification(
                    certification_id=f"CERT-{record.request_id}", signature=signature_of(record),
                    ended_at=None, **record.model_dump(),
                )
                session.add(row)
                session.commit()
            result = _certification(row)
        activity_logger(record.request_id).info("interception certified", certification_id=result.certification_id)
        return result

    @activity.defn
    def end_certification(self, ending: EndCertificationInput) -> Certification:
        """Put the switch-off time on the record (the first one written stands)."""
        with self._sessions() as session:
            row = session.scalar(select(InterceptionCertification).where(
                InterceptionCertification.request_id == ending.request_id))
            if row is None:
                raise invalid_request(f"{ending.request_id} has no interception certification to close")
            if row.ended_at is None:
                row.ended_at = ending.ended_at
                session.commit()
            return _certification(row)

    @activity.defn
    def running_interceptions(self) -> RunningInterceptions:
        """Every interception switched on and not yet off, by the carrier's own records."""
        with self._sessions() as session:
            rows = session.scalars(select(InterceptionCertification).where(
                InterceptionCertification.ended_at.is_(None)))
            return RunningInterceptions(running=[
                RunningInterception(request_id=r.request_id, xid=r.xid, authorised_until=r.authorised_until)
                for r in rows])

    @activity.defn
    def report_unauthorised_interception(self, report: UnauthorisedReport) -> None:
        """Keep the 1.20003 report of a task no running order justified (once per task)."""
        with self._sessions() as session:
            exists = session.scalar(select(UnauthorisedInterceptionReport.id).where(
                UnauthorisedInterceptionReport.xid == report.xid))
            if exists is None:
                session.add(UnauthorisedInterceptionReport(**report.model_dump()))
                session.commit()
                metrics.unauthorised_interception_reported()
        activity.logger.warning("unauthorised interception reported: %s (%s)", report.xid, report.reason)
