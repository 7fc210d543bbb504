"""Retrieval from the carrier's systems of record: rows stream from the database into files."""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity

from activities.errors import invalid_request
from activities.production import production_folder
from domain.case import ProductionFile, RetrieveInput
from domain.request import parse_request
from domain.vocabulary import PROSPECTIVE_CATEGORIES
from les import paths
from les.config import Settings
from les.logging import activity_logger
from recordstore.export import TargetSpec, export_category


class RecordsActivities:
    """Retrieves one record category of a request into its production's staging folder."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine

    @activity.defn
    def retrieve_records(self, retrieval: RetrieveInput) -> ProductionFile:
        """Stream the category's rows for the request's targets and period into `<category>.csv`."""
        log = activity_logger(retrieval.request_id, category=str(retrieval.category))
        if retrieval.category in PROSPECTIVE_CATEGORIES:
            raise invalid_request(f"{retrieval.category} is prospective, not a stored record")
        folder = production_folder(paths.staging_dir, self._settings.delivery_root, retrieval)
        request = parse_request(retrieval.document)
        if request.period is None:
            raise invalid_request(f"{retrieval.request_id} names no period for historical records")
        folder.mkdir(parents=True, exist_ok=True)
        targets = [TargetSpec.of(t) for t in request.targets]
        result = export_category(
            self._engine, retrieval.category, targets, request.period.start, request.period.end,
            folder / f"{retrieval.category}.csv",
        )
        log.info("records retrieved", rows=result.rows, sha256=result.sha256, bytes=result.bytes)
        return ProductionFile(
            category=retrieval.category, file_name=result.path.name, rows=result.rows,
            sha256=result.sha256, bytes=result.bytes,
        )
