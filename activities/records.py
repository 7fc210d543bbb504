"""Retrieval from the carrier's systems of record: rows stream from the database into files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from temporalio import activity

from activities.errors import hold_scope_mismatch, hold_unavailable, invalid_request, parse_or_refuse
from activities.heartbeat import Heartbeat
from activities.production import cancelled_cleanly, production_folder
from domain.contracts import ProductionFile, RetrieveInput
from domain.request import LegalRequest
from domain.vocabulary import PROSPECTIVE_CATEGORIES, RecordCategory, RequestType
from les import metrics, paths
from les.config import Settings
from les.logging import activity_logger
from recordstore.db import make_session_factory
from recordstore.export import FIELD_LEGEND, CategoryExport, TargetSpec, export_category, scoped_columns
from recordstore.holds import export_held
from recordstore.models import HoldState, PreservationHold
from recordstore.targets import period_window


class RecordsActivities:
    """Retrieves one record category of a request into its production's staging folder."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._sessions = make_session_factory(engine)

    @activity.defn
    def retrieve_records(self, retrieval: RetrieveInput) -> ProductionFile:
        """Stream the category's rows for the request's targets and period into `<category>.csv`,
        only the columns the instrument may see; from a preservation hold when `from_hold` names one."""
        log = activity_logger(retrieval.request_id, category=str(retrieval.category))
        if retrieval.category in PROSPECTIVE_CATEGORIES:
            raise invalid_request(f"{retrieval.category} is prospective, not a stored record")
        folder = production_folder(paths.staging_dir, self._settings.delivery_root, retrieval)
        request = parse_or_refuse(retrieval.request_id, retrieval.document)
        if request.period is None:
            raise invalid_request(f"{retrieval.request_id} names no period for historical records")
        try:
            columns = scoped_columns(request.type, retrieval.category)
        except ValueError as err:
            raise invalid_request(str(err)) from None
        paths.make_delivery_dir(self._settings.delivery_root, folder)
        out = folder / f"{retrieval.category}.csv"
        with cancelled_cleanly([out]):  # a withdrawal: the partial file goes (its .part goes by itself)
            return self._retrieve(retrieval, request, columns, out, log)

    def _retrieve(self, retrieval: RetrieveInput, request: LegalRequest, columns: list[str], out: Path,
                  log: Any) -> ProductionFile:
        hold_id = retrieval.from_hold
        heartbeat = Heartbeat(f"retrieve {retrieval.category}")
        if hold_id:
            result = self._from_hold(hold_id, request, retrieval.category, columns, out, heartbeat)
        else:
            full = len(columns) == len(FIELD_LEGEND[retrieval.category])
            customer = request.customer if request.type is RequestType.CUSTOMER_CALL_LOOKUP else None
            result = export_category(
                self._engine, retrieval.category, [TargetSpec.of(t) for t in request.targets],
                request.period.start, request.period.end, out,
                columns=None if full else columns,
                within_account=customer.account_number if customer else None, on_write=heartbeat,
            )
        log.info("records retrieved", rows=result.rows, sha256=result.sha256, bytes=result.bytes,
                 from_hold=hold_id)
        metrics.records_retrieved(str(retrieval.category), result.rows, result.bytes)
        return ProductionFile(
            category=retrieval.category, file_name=result.path.name, rows=result.rows,
            sha256=result.sha256, bytes=result.bytes, by_target=result.by_target,
        )

    def _from_hold(self, hold_id: str, request: LegalRequest, category: RecordCategory, columns: list[str],
                   out: Path, heartbeat: Heartbeat) -> CategoryExport:
        """The category as the hold preserved it; the demand must reach everything the hold holds."""
        with self._sessions() as session:
            hold = session.get(PreservationHold, hold_id)
        if hold is None:
            raise hold_unavailable(f"no preservation hold {hold_id} was placed; nothing to produce from it")
        if hold.state is not HoldState.ACTIVE or hold.expires_at <= datetime.now(UTC):
            state = hold.state if hold.state is not HoldState.ACTIVE else HoldState.EXPIRED
            raise hold_unavailable(f"preservation hold {hold_id} is {state}; its records are no longer held")
        if str(category) not in hold.columns_per_category:
            raise hold_unavailable(f"preservation hold {hold_id} does not hold {category}")
        held_targets = {TargetSpec.model_validate(t) for t in hold.targets}
        asked = {TargetSpec.of(t) for t in request.targets}
        if asked != held_targets:
            raise hold_scope_mismatch(
                f"{request.request_id} names other targets than preservation hold {hold_id}; retrieve live instead"
            )
        assert request.period is not None
        demand = period_window(request.period.start, request.period.end)
        held = period_window(hold.period_start, hold.period_end)
        if demand.start > held.start or demand.end < held.end:
            raise hold_scope_mismatch(
                f"{request.request_id}'s period does not cover what preservation hold {hold_id} holds "
                f"({held.start.isoformat()} to {hold.period_end.isoformat() if hold.period_end else 'open'})"
            )
        return export_held(self._engine, hold_id, category, hold.columns_per_category[str(category)], columns, out,
                           on_write=heartbeat)
