"""Structured logging (structlog) bound to the request, the workflow and the activity.

No record value, target, requester or reference reaches a log (docs/security.md, log policy):
the product's own events carry ids, counts and hashes only, and every exception logged, the
product's or the Temporal SDK's ("Completing activity as failed", a failed workflow task), is
written as codes and paths (`exception_summary`), never its message: an exception's text may
quote what it was about (a database error its parameters, a validation error its input). The
whole failure, message and trace, stays in the workflow history, encrypted (les/temporal.py)."""

from __future__ import annotations

import logging
import os
import sys
import traceback
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
            scrub_exception,  # first: no exception text is ever rendered, whoever logged it
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


# ---- log scrubbing: exceptions as codes and paths (issue 23) --------------------------------------

SUMMARY_DEPTH = 8
"""Exceptions of a chain (cause or context) named in one summary; a longer chain says how many more."""
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _where(frame: traceback.FrameSummary) -> str:
    path = frame.filename
    if path.startswith(_ROOT + os.sep):
        path = os.path.relpath(path, _ROOT)
    elif "site-packages" + os.sep in path:
        path = path.split("site-packages" + os.sep, 1)[1]
    return f"{path}:{frame.lineno} in {frame.name}"


def exception_summary(error: BaseException) -> dict[str, Any]:
    """An exception as a log may carry it: each exception of its chain by class (and, for a
    Temporal ApplicationError, its type code) with the place it was raised, and the frames of the
    outermost one as `file:line in function`. Never a message, never an argument, never a source line."""
    chain: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if len(chain) == SUMMARY_DEPTH:
            chain.append("…")
            break
        seen.add(id(current))
        name = type(current).__name__
        code = getattr(current, "type", None)
        if isinstance(code, str) and code:
            name += f"[{code}]"
        frames = traceback.extract_tb(current.__traceback__) if current.__traceback__ else []
        chain.append(f"{name} at {_where(frames[-1])}" if frames else name)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    return {"error": " <- ".join(chain), "error_frames": [_where(f) for f in frames[-12:]]}


def _exception_of(exc_info: Any) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1]
    if exc_info:
        return sys.exc_info()[1]
    return None


VALUE_BEARING_MESSAGES = (", original error: ",)
"""The Temporal SDK logs a few messages with an exception's text appended; the text is cut there."""


def scrub_exception(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """The formatter's first processor, for structlog's events and every stdlib record alike (the
    Temporal SDK's "Completing activity as failed", a failed workflow task): `exc_info` becomes
    `exception_summary`'s fields, and a message the SDK builds from an exception's text is cut
    before that text. Works on the formatter's copy: other handlers (pytest's) see the record whole."""
    for key in ("exc_info", "exception"):
        if key in event_dict:
            error = _exception_of(event_dict.pop(key))
            if error is not None:
                event_dict.update(exception_summary(error))
    record = event_dict.get("_record")
    event = event_dict.get("event")
    if record is not None and record.name.startswith("temporalio") and isinstance(event, str):
        for marker in VALUE_BEARING_MESSAGES:
            if marker in event:
                event_dict["event"] = event.split(marker, 1)[0] + " (the error is in the workflow history)"
    return event_dict


def configure_logging_from(settings: Any) -> None:
    """Logging as the operator set it: LES_LOG_LEVEL, and LES_LOG_FORMAT (`json` gives JSON lines
    even on a terminal, `console` readable columns even in a pipe, `auto` decides by the terminal).
    Temporal Core's forwarded records (les/telemetry.py CORE_LOGGER) go the same way."""
    as_json = {"json": True, "console": False}.get(settings.log_format)
    configure_logging(settings.log_level, json=as_json)
