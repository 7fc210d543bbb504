"""One subpoena's trace, submit → delivery, through the SDK's TracingInterceptor as les/telemetry.py
sets it up, exported with the OpenTelemetry SDK's own InMemorySpanExporter (the outside reference:
what any OTLP collector would receive), on the time-skipping server with the real worker."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from domain.case import CaseState, Resolution
from les.telemetry import REDACTED, instrument_libraries, tracer_provider, tracing_wanted, uninstrument_libraries
from tests.workflow_support import dated, decision, example, finish, running_worker, submit, wait_for_state
from workflows import SubpoenaWorkflow

TARGET = "+13035550123"  # examples/subpoena.json's target


@pytest.mark.parametrize("sandbox", ["off", "strict"])
async def test_a_subpoena_leaves_one_trace_from_submit_to_delivery_naming_no_one(sandbox, time_skipping_env, settings,
                                                                                 prepared_store):
    exporter = InMemorySpanExporter()
    provider = tracer_provider(exporter)
    instrument_libraries(provider)  # as tracing_interceptors() does for the process
    traced = Client(**{**time_skipping_env.client.config(),
                       "interceptors": [TracingInterceptor(tracer=provider.get_tracer("les-test"))]})
    now = await time_skipping_env.get_current_time()
    document = dated(example("subpoena", f"TRACE-{sandbox.upper()}-{now:%Y%m%d}"), now)
    rid = document["request_id"]
    try:
        async with running_worker(traced, replace(settings, workflow_sandbox=sandbox)):
            handle = await submit(traced, settings, document)
            await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
            assert (await handle.execute_update(SubpoenaWorkflow.approve_sync, decision())).accepted
            outcome = await finish(time_skipping_env, handle)
    finally:
        uninstrument_libraries()
    assert outcome.resolution is Resolution.DELIVERED
    provider.force_flush()
    spans = exporter.get_finished_spans()
    names = {span.name for span in spans}
    # The SDK's span names (temporalio/contrib/opentelemetry), written out as its README lists them.
    for expected in ("StartWorkflow:Subpoena", "RunWorkflow:Subpoena",
                     "StartActivity:verify_legal_process", "RunActivity:verify_legal_process",
                     "RunActivity:retrieve_records", "RunActivity:package_production",
                     "RunActivity:deliver_production", "StartWorkflowUpdate:approve_sync"):
        assert expected in names, sorted(names)
    # Submit to delivery is one trace: every span the case made descends from the start.
    start = next(span for span in spans if span.name == "StartWorkflow:Subpoena")
    delivered = next(span for span in spans if span.name == "RunActivity:deliver_production")
    assert delivered.context.trace_id == start.context.trace_id
    story = [span for span in spans if span.name.split(":")[0] in ("RunWorkflow", "CompleteWorkflow")
             or span.name.partition(":")[2] in ("verify_legal_process", "retrieve_records", "package_production",
                                            "deliver_production", "bill_request", "close_case")]
    assert len(story) >= 14 and {span.context.trace_id for span in story} == {start.context.trace_id}
    # The analyst's approval: the client's update call, and the workflow's validator and handler
    # in the case's own trace (the SDK parents workflow-side spans to the workflow's context).
    approval = {span.name: span.context.trace_id for span in spans if span.name.endswith(":approve_sync")}
    assert set(approval) == {"StartWorkflowUpdate:approve_sync", "ValidateUpdate:approve_sync",
                             "HandleUpdate:approve_sync"}
    assert approval["HandleUpdate:approve_sync"] == approval["ValidateUpdate:approve_sync"] == start.context.trace_id
    # The SQL inside the activities: children of the activity that ran it, in the case's trace.
    retrieval = [span for span in spans if span.name == "RunActivity:retrieve_records"]
    sql = [span for span in spans if span.parent is not None
           and span.parent.span_id in {r.context.span_id for r in retrieval}]
    assert sql and {span.name for span in sql} == {"SQL SELECT"}, [(s.name, dict(s.attributes or {})) for s in sql]
    assert {tuple(sorted(span.attributes)) for span in sql} == {("db.operation", "db.system")}
    # Nothing identifying in any attribute: not the request id, the target, the analyst, the run.
    for span in spans:
        for key, value in (span.attributes or {}).items():
            text = str(value)
            assert rid not in text and TARGET not in text and "jdoe" not in text, (span.name, key, text)
    assert start.attributes["temporalWorkflowID"] == REDACTED
    assert delivered.attributes["temporalWorkflowID"] == delivered.attributes["temporalRunID"] == REDACTED


@pytest.mark.parametrize(("environ", "wanted"), [
    ({}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
    ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
    ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, False),
    ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, False),
])
def test_tracing_is_on_only_when_the_standard_variables_ask(environ, wanted):
    assert tracing_wanted(environ) is wanted


async def test_the_starter_exports_its_span_to_an_otlp_collector_named_only_by_otel_variables(
        time_skipping_env, keyring_dir, tmp_path, oidc_provider, codec_servers, database_url):
    """`starter.py submit` as an operator runs it, with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a
    collector this test runs (an HTTP server on the loopback taking OTLP/HTTP protobuf, decoded
    with the OpenTelemetry project's own message definitions)."""
    import asyncio
    import json
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from tests.conftest import REPO, environ_without_les

    received: list[tuple[str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()
            self.wfile.write(b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    now = await time_skipping_env.get_current_time()
    document = dated(example("subpoena", f"TRACE-OTLP-{now:%Y%m%d%H%M%S}"), now)
    paper = tmp_path / "subpoena.json"
    paper.write_text(json.dumps(document))
    from tests.person_support import signed_in_env

    person = signed_in_env("jdoe", tmp_path, oidc_provider, database_url, codec_servers)  # submits as jdoe
    env = {**environ_without_les(), **person,
           "LES_TEMPORAL_ADDRESS": time_skipping_env.client.service_client.config.target_host,
           "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}",
           "OTEL_SERVICE_NAME": "les-starter-under-test"}
    try:
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "starter.py", "submit", str(paper)], cwd=REPO,
                                       env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stdout + done.stderr
    assert [path for path, _ in received] == ["/v1/traces"]
    export = ExportTraceServiceRequest.FromString(received[0][1])
    (resource,) = export.resource_spans
    service = {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"]
    spans = [span for scope in resource.scope_spans for span in scope.spans]
    assert service == "les-starter-under-test"
    # The start, and the calls to the codec server that encrypted what it started (starter.py holds no key).
    assert sorted(span.name for span in spans) == ["POST", "POST", "StartWorkflow:Subpoena"]
    (start,) = [span for span in spans if span.name == "StartWorkflow:Subpoena"]
    attributes = {a.key: a.value.string_value for a in start.attributes}
    assert attributes == {"temporalWorkflowID": REDACTED}
    assert document["request_id"] not in received[0][1].decode("latin-1")
