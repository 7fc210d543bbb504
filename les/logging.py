"""Structured logging (structlog) bound to the request, the workflow and the activity."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_configured = False


def configure_logging(level: str = "INFO", *, json: bool | None = None) -> None:
    """Configure logging once per process: structlog events and the Temporal SDK's own stdlib
    records (workflow.logger, worker warnings) leave through one handler in one format — JSON
    lines when stderr is not a terminal, readable columns when it is."""
    global _configured
    if _configured:
        return
    _configured = True
    as_json = json if json is not None else not sys.stderr.isatty()
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(default=str) if as_json else structlog.dev.ConsoleRenderer(),
        ],
    ))
    from temporalio import workflow

    # Workflow log records carry the workflow's identity as structured fields, not in the text.
    workflow.logger.workflow_info_on_message = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic's INFO is its plugin set-up and "Context impl …"; the callers say what the upgrade did.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    structlog.configure(
        processors=[*shared, structlog.processors.StackInfoRenderer(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


def activity_logger(request_id: str | None = None, **extra: Any) -> structlog.typing.FilteringBoundLogger:
    """A logger bound to the running activity: request id, workflow id, run id, activity type and attempt."""
    from temporalio import activity

    info = activity.info()
    return structlog.get_logger("les.activity").bind(
        request_id=request_id,
        workflow_id=info.workflow_id,
        run_id=info.workflow_run_id,
        activity=info.activity_type,
        attempt=info.attempt,
        **extra,
    )


def configure_logging_from(settings: Any) -> None:
    """Logging as the operator set it: LES_LOG_LEVEL, and LES_LOG_FORMAT (`json` gives JSON lines
    even on a terminal, `console` readable columns even in a pipe, `auto` decides by the terminal).
    Temporal Core's forwarded records (les/telemetry.py CORE_LOGGER) go the same way."""
    as_json = {"json": True, "console": False}.get(settings.log_format)
    configure_logging(settings.log_level, json=as_json)
