"""What a process tells its operator beyond its logs: the Temporal runtime with Prometheus
metrics and Core's logs forwarded (the worker), and OpenTelemetry traces when the standard
OTEL_* variables ask for them (the worker and every client). docs/operations.md has the
settings, the metrics and what to alert on."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

CORE_LEVELS = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR"}
"""LES_LOG_LEVEL → the level of Temporal Core's own logs (Rust: connections, pollers, slots)."""

CORE_LOGGER = "temporalio.core"
"""Core's records reach Python's logging under this name, in the process's one format."""


class _CoreRecordFields(logging.Filter):
    """A forwarded Core record carries its entry as an object (`temporal_log`), which a JSON line
    would print as a useless repr: its target (the Rust module) is kept as a field instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        entry = record.__dict__.pop("temporal_log", None)
        if entry is not None:
            record.core_target = getattr(entry, "target", "")
        return True


class TelemetryUnavailable(Exception):
    """Metrics or tracing cannot be set up as configured (one line, for the operator)."""


def worker_runtime(metrics_address: str | None, log_level: str = "INFO") -> Runtime:
    """The worker's Temporal runtime: the SDK's metrics (slots, schedule-to-start, sticky cache,
    …) and the product's les_ metrics on http://<metrics_address>/metrics when it is set, and
    Core's logs forwarded to CORE_LOGGER at `log_level`. One per process, made before connecting."""
    core_logger = logging.getLogger(CORE_LOGGER)
    if not any(isinstance(f, _CoreRecordFields) for f in core_logger.filters):
        core_logger.addFilter(_CoreRecordFields())
    logging_config = LoggingConfig(
        filter=TelemetryFilter(core_level=CORE_LEVELS[log_level], other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=core_logger, append_target_to_name=False,
                                       prepend_target_on_message=False),
    )
    metrics = PrometheusConfig(bind_address=metrics_address) if metrics_address else None
    try:
        return Runtime(telemetry=TelemetryConfig(logging=logging_config, metrics=metrics))
    except Exception as err:  # the Core raises a bare RuntimeError/ValueError, e.g. the port is taken
        raise TelemetryUnavailable(
            f"cannot serve metrics on {metrics_address} (LES_METRICS_ADDRESS): {' '.join(str(err).split())}"
        ) from None


TRACE_SWITCHES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER")

IDENTIFYING_ATTRIBUTES = ("temporalWorkflowID", "temporalRunID", "temporalUpdateID")
"""Span attributes the SDK's TracingInterceptor sets that name a case (its workflow id is
`case-<request_id>`): a trace store is read by people who may not see the case, so they are
blanked. Span names (the workflow or activity type) and the trace's own ids stay."""
REDACTED = "(not recorded)"


def tracing_wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Tracing is on when the standard variables name an exporter or an OTLP endpoint, and
    OTEL_SDK_DISABLED is not true; `OTEL_TRACES_EXPORTER=none` turns it off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    return any(environ.get(name, "").strip() for name in TRACE_SWITCHES)


def scrubbing_processor() -> Any:
    """A span processor that blanks IDENTIFYING_ATTRIBUTES as each span starts (before any
    exporter sees it), whoever set them."""
    from opentelemetry.sdk.trace import SpanProcessor

    class ScrubIdentifiers(SpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:
            for name in IDENTIFYING_ATTRIBUTES:
                if span.attributes and name in span.attributes:
                    span.set_attribute(name, REDACTED)

    return ScrubIdentifiers()


def tracer_provider(exporter: Any = None) -> Any:
    """An OpenTelemetry SDK tracer provider: the scrubbing processor first, then a batch of
    `exporter` (default: OTLP over HTTP, configured by OTEL_EXPORTER_OTLP_* itself). The
    service name and resource come from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME")
                                                        or "les-orchestrator"}))
    provider.add_span_processor(scrubbing_processor())
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


_interceptors: list[Any] | None = None


def tracing_interceptors(environ: Mapping[str, str] = os.environ) -> Sequence[Any]:
    """The client (and so worker) interceptors of this process: the SDK's TracingInterceptor when
    tracing is wanted, else none. The global tracer provider is set once per process."""
    global _interceptors
    if _interceptors is not None:
        return _interceptors
    if not tracing_wanted(environ):
        _interceptors = []
        return _interceptors
    try:
        import opentelemetry.trace
        from temporalio.contrib.opentelemetry import TracingInterceptor
    except ImportError:
        raise TelemetryUnavailable("OTEL_* variables ask for traces, but OpenTelemetry is not installed: "
                                   "pip install 'les-orchestrator[tracing]'") from None
    provider = tracer_provider()
    opentelemetry.trace.set_tracer_provider(provider)
    instrument_libraries(provider)
    _interceptors = [TracingInterceptor()]
    return _interceptors


def instrument_libraries(provider: Any) -> None:
    """Spans for the X1 HTTP calls (httpx) and the SQL (every SQLAlchemy engine) inside the
    activities, children of the activity's span. Their attributes say what kind of call it was
    (the method and the mediation function's URL; the database system and the SQL verb), never a
    value: no statement text, no parameters."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _sql_spans.tracer = provider.get_tracer("les.sql")
    for name, listener in _sql_spans.listeners.items():
        if not event.contains(Engine, name, listener):
            event.listen(Engine, name, listener)


def uninstrument_libraries() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    HTTPXClientInstrumentor().uninstrument()
    for name, listener in _sql_spans.listeners.items():
        if event.contains(Engine, name, listener):
            event.remove(Engine, name, listener)


class _SqlSpans:
    """SQLAlchemy's cursor events as spans (the OpenTelemetry SQLAlchemy instrumentation does not
    support SQLAlchemy 2.1): `SQL SELECT`, with db.system and db.operation only."""

    def __init__(self) -> None:
        self.tracer: Any = None
        self.listeners = {"before_cursor_execute": self.before, "after_cursor_execute": self.after,
                          "handle_error": self.failed}

    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        from opentelemetry.trace import SpanKind

        words = statement.split(None, 1)
        verb = words[0].upper() if words and words[0].isalpha() else "SQL"
        if self.tracer is not None and context is not None:
            context._les_span = self.tracer.start_span(
                f"SQL {verb}", kind=SpanKind.CLIENT,
                attributes={"db.system": conn.dialect.name, "db.operation": verb})

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        span = getattr(context, "_les_span", None)
        if span is not None:
            span.end()

    def failed(self, exception_context: Any) -> None:
        from opentelemetry.trace import Status, StatusCode

        span = getattr(exception_context.execution_context, "_les_span", None)
        if span is not None:
            span.set_status(Status(StatusCode.ERROR, type(exception_context.original_exception).__name__))
            span.end()


_sql_spans = _SqlSpans()


def flush_traces() -> None:
    """Send the spans still batched (a process about to exit)."""
    try:
        import opentelemetry.trace
    except ImportError:
        return
    provider = opentelemetry.trace.get_tracer_provider()
    if hasattr(provider, "force_flush"):
        provider.force_flush(5_000)
