"""Structured logging (structlog) bound to the request, the workflow and the activity."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_configured = False


def configure_logging(level: str = "INFO", *, json: bool | None = None) -> None:
    """Configure structlog once per process: JSON lines when not on a terminal, readable otherwise."""
    global _configured
    if _configured:
        return
    _configured = True
    as_json = json if json is not None else not sys.stderr.isatty()
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
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
