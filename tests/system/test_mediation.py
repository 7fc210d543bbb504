"""The mediation adapter against the real simulator process over X1 and mutual TLS: tasks switched
on and off, what they collect, restarts, idempotency, faults, and collected events written as
production files. (The conformance of each message to the schema: tests/system/test_x1_conformance.py;
the task ids: tests/workflow/test_x1_ids.py.)"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mediation import MediationActivities
from activities.production import legend_csv
from domain.collection import DeliveryType, delivery_type_for, task_xid
from domain.contracts import (
    ActivateTaskInput,
    CollectEventsInput,
    DeactivateTaskInput,
    GetTaskInput,
    ListActiveTasksInput,
    TaskState,
)
from domain.vocabulary import RecordCategory as C
from mediation.messages import MalformedMessage, TaskDetails, X1Message, parse, render
from mediation.schema import schema_errors

T0 = datetime(2026, 3, 1, tzinfo=UTC)
"""The order's start: the workflow's clock is what the simulator stamps (X1 messageTimestamp)."""
END = T0 + timedelta(days=60)
TARGET = "+16125550188"
PEN_XID = task_xid("LES-2026-000103")
WIRE_XID = task_xid("LES-2026-000104")


@pytest.fixture
def env() -> ActivityEnvironment:
    return ActivityEnvironment()


@pytest.fixture
def mediation(settings, mediation_simulator) -> MediationActivities:
    return MediationActivities(dataclasses.replace(settings, mediation_url=mediation_simulator.url), timeout=2.0)


def pen_register(xid: str = PEN_XID, **changes) -> ActivateTaskInput:
    fields = {"request_id": "LES-2026-000103", "xid": xid, "targets": [TARGET], "categories": [C.PEN_TRAP],
              "start": T0, "end": END, "at": T0} | changes
    return ActivateTaskInput(**fields)


def wiretap() -> ActivateTaskInput:
    return ActivateTaskInput(request_id="LES-2026-000104", xid=WIRE_XID, targets=[TARGET],
                             categories=[C.INTERCEPT_CONTENT, C.PEN_TRAP], start=T0, end=T0 + timedelta(days=30), at=T0)


def collected(simulator, xid: str, product: str, start: datetime, end: datetime) -> list[dict]:
    with simulator.client() as x1, x1.collected(xid, product, start, end) as rows:
        return list(rows)


def test_a_task_goes_on_collects_window_by_window_and_goes_off(mediation, env, mediation_simulator) -> None:
    url = mediation_simulator
    on = env.run(mediation.activate_task, pen_register())
    assert (on.xid, on.delivery_type, on.already_active) == (PEN_XID, DeliveryType.X2_ONLY, False)
    task = env.run(mediation.get_task, GetTaskInput(xid=PEN_XID))
    assert (task.state, task.liid, task.targets, task.delivery_type, task.start, task.end) == (
        TaskState.ACTIVE, "LES-2026-000103", ["+16125550188"], DeliveryType.X2_ONLY,
        datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC))
    assert [t.xid for t in env.run(mediation.list_active_tasks, ListActiveTasksInput()).tasks] == [PEN_XID]

    hour = timedelta(hours=1)
    first = collected(url, PEN_XID, "iri", T0, T0 + hour)
    second = collected(url, PEN_XID, "iri", T0 + hour, T0 + 2 * hour)
    assert first and second, "an active task collects in every hour"
    assert collected(url, PEN_XID, "iri", T0, T0 + 2 * hour) == first + second  # windows neither overlap nor gap
    times = [row["occurred_at"] for row in first + second]
    assert times == sorted(times) and times[0] >= "2026-03-01T00:00:00Z" and times[-1] < "2026-03-01T02:00:00Z"
    assert {row["target"] for row in first} == {"+16125550188"}
    assert {row["event_type"] for row in first + second} <= {"call_setup", "call_answer", "call_release", "sms"}
    assert collected(url, PEN_XID, "iri", T0 - hour, T0) == []  # nothing before it was switched on

    off = env.run(mediation.deactivate_task, DeactivateTaskInput(request_id="LES-2026-000103", xid=PEN_XID,
                                                                 at=T0 + 90 * timedelta(minutes=1)))
    assert (off.xid, off.was_active) == (PEN_XID, True)
    record = mediation_simulator.admin.task_record(PEN_XID)
    assert (record["status"], record["activated_at"], record["deactivated_at"]) == (
        "deactivated", "2026-03-01T00:00:00.000000Z", "2026-03-01T01:30:00.000000Z")
    assert env.run(mediation.get_task, GetTaskInput(xid=PEN_XID)).state is TaskState.ABSENT  # X1 forgets it
    assert env.run(mediation.list_active_tasks, ListActiveTasksInput()).tasks == []
    assert collected(url, PEN_XID, "iri", T0 + 90 * timedelta(minutes=1), T0 + 3 * hour) == []
    assert collected(url, PEN_XID, "iri", T0, T0 + hour) == first  # the past is unchanged by the switch-off


def test_tasks_survive_a_restart_as_they_were(mediation, env, mediation_simulator) -> None:
    env.run(mediation.activate_task, pen_register())
    env.run(mediation.activate_task, wiretap())
    env.run(mediation.deactivate_task, DeactivateTaskInput(request_id="LES-2026-000104", xid=WIRE_XID,
                                                           at=T0 + timedelta(days=1)))
    before = collected(mediation_simulator, PEN_XID, "iri", T0, T0 + timedelta(hours=3))

    mediation_simulator.restart()

    assert env.run(mediation.get_task, GetTaskInput(xid=PEN_XID)).state is TaskState.ACTIVE
    assert env.run(mediation.get_task, GetTaskInput(xid=WIRE_XID)).state is TaskState.ABSENT
    assert mediation_simulator.admin.task_record(WIRE_XID)["deactivated_at"] == "2026-03-02T00:00:00.000000Z"
    assert [t.xid for t in env.run(mediation.list_active_tasks, ListActiveTasksInput()).tasks] == [PEN_XID]
    assert collected(mediation_simulator, PEN_XID, "iri", T0, T0 + timedelta(hours=3)) == before
    # Like a real mediation function, it forgot the deactivated XID: an ActivateTask replayed now
    # would switch collection on again. That is why the case remembers it switched off (the
    # surveillance workflow never activates after its deactivation; tests/workflow/test_x1_ids.py).
    assert env.run(mediation.activate_task, wiretap()).already_active is False
    assert mediation_simulator.admin.task_record(WIRE_XID)["status"] == "provisioned"


def test_activation_and_deactivation_are_idempotent(mediation, env) -> None:
    assert env.run(mediation.activate_task, pen_register()).already_active is False
    assert env.run(mediation.activate_task, pen_register()).already_active is True
    with pytest.raises(ApplicationError, match="already provisioned with other details") as conflict:
        env.run(mediation.activate_task, pen_register(end=END + timedelta(days=1)))
    assert (conflict.value.type, conflict.value.non_retryable) == ("MediationTaskConflict", True)

    off = DeactivateTaskInput(request_id="LES-2026-000103", xid=PEN_XID, at=T0 + timedelta(days=60))
    assert env.run(mediation.deactivate_task, off).was_active is True
    assert env.run(mediation.deactivate_task, off).was_active is False
    never = task_xid("LES-2026-999999")
    assert env.run(mediation.deactivate_task, DeactivateTaskInput(request_id="LES-2026-999999", xid=never)
                   ).was_active is False
    assert env.run(mediation.get_task, GetTaskInput(xid=never)).state is TaskState.ABSENT


def test_faults_are_transient_and_the_slow_activation_is_not_doubled(mediation, env, mediation_simulator,
                                                                      settings) -> None:
    admin, admin_url = mediation_simulator.admin, mediation_simulator.url
    admin.fault("flaky", count=1)
    with pytest.raises(ApplicationError, match="HTTP 503") as flaky:
        env.run(mediation.activate_task, pen_register())
    assert (flaky.value.type, flaky.value.non_retryable) == ("MediationUnavailable", False)
    assert admin.task_record(PEN_XID) is None  # a refusal changed nothing

    admin.fault("down", count=1)
    with pytest.raises(ApplicationError, match="closed the connection without an answer") as down:
        env.run(mediation.deactivate_task, DeactivateTaskInput(request_id="LES-2026-000103", xid=PEN_XID))
    assert (down.value.type, down.value.non_retryable) == ("MediationUnavailable", False)

    # The ActivateTask (after its CreateDestination) is slower than the client's 1 s, but it does land
    admin.fault("slow", count=1, delay=2.5, skip=1)
    impatient = MediationActivities(dataclasses.replace(settings, mediation_url=admin_url), timeout=1.0)
    with pytest.raises(ApplicationError, match="timed out") as slow:
        env.run(impatient.activate_task, pen_register())
    assert (slow.value.type, slow.value.non_retryable) == ("MediationUnavailable", False)
    for _ in range(200):  # up to 10 s on a loaded machine
        if admin.task_record(PEN_XID) is not None:
            break
        time.sleep(0.05)
    assert env.run(mediation.activate_task, pen_register()).already_active is True  # the retry finds it on

    mediation_simulator.stop()
    with pytest.raises(ApplicationError, match="not reachable") as stopped:
        env.run(mediation.list_active_tasks, ListActiveTasksInput())
    assert (stopped.value.type, stopped.value.non_retryable) == ("MediationUnavailable", False)

    mediation_simulator.start("--fault", "flaky", "--fault-count", "2")
    for _ in range(2):
        with pytest.raises(ApplicationError, match="HTTP 503"):
            env.run(mediation.get_task, GetTaskInput(xid=PEN_XID))
    assert env.run(mediation.get_task, GetTaskInput(xid=PEN_XID)).state is TaskState.ACTIVE


def test_collected_events_become_a_production_file(mediation, env, mediation_simulator, settings) -> None:
    env.run(mediation.activate_task, wiretap())
    day = CollectEventsInput(request_id="LES-2026-000104", production_no=2,
                             category=C.PEN_TRAP, xid=WIRE_XID, window_start=T0 + timedelta(days=1),
                             window_end=T0 + timedelta(days=2))
    staging = settings.delivery_root / ".staging" / "LES-2026-000104" / "LES-2026-000104-P02"
    for category, product in ((C.PEN_TRAP, "iri"), (C.INTERCEPT_CONTENT, "cc")):
        window = day.model_copy(update={"category": category})
        written = env.run(mediation.collect_events, window)
        data = (staging / f"{category}.csv").read_bytes()
        assert written.file_name == f"{category}.csv"
        assert (written.sha256, written.bytes) == (hashlib.sha256(data).hexdigest(), len(data))
        expected = collected(mediation_simulator, WIRE_XID, product, window.window_start, window.window_end)
        lines = data.decode().splitlines()
        assert lines[0] == ",".join(expected[0])
        assert lines[1:] == [",".join(value or "" for value in row.values()) for row in expected]  # null: empty
        assert written.rows == len(expected) > 0
    header = (staging / "intercept_content.csv").read_text().splitlines()[0]
    assert header == ("content_id,started_at,target,direction,kind,other_party,duration_s,codec,content_bytes,"
                      "content_sha256")
    content = collected(mediation_simulator, WIRE_XID, "cc", day.window_start, day.window_end)
    assert {row["kind"] for row in content} == {"voice", "sms"}
    for row in content:  # G.711 is 8,000 bytes a second; a message has no duration
        expected_bytes = int(row["duration_s"]) * 8000 if row["kind"] == "voice" else int(row["content_bytes"])
        assert int(row["content_bytes"]) == expected_bytes
        assert (row["duration_s"] is None) == (row["kind"] == "sms")


def test_a_pen_register_never_yields_content(mediation, env, settings) -> None:
    env.run(mediation.activate_task, pen_register())
    window = CollectEventsInput(request_id="LES-2026-000103",
                                category=C.INTERCEPT_CONTENT, xid=PEN_XID, window_start=T0,
                                window_end=T0 + timedelta(days=1))
    with pytest.raises(ApplicationError, match="is X2Only: it delivers no content") as refused:
        env.run(mediation.collect_events, window)
    assert (refused.value.type, refused.value.non_retryable) == ("MediationRefused", True)
    staging = settings.delivery_root / ".staging" / "LES-2026-000103" / "LES-2026-000103-P01"
    assert list(staging.iterdir()) == []  # the refused file was never left behind
    with pytest.raises(ApplicationError, match=r"'\.\./P01' is not well-formed; a request_id is") as unsafe:
        env.run(mediation.collect_events, window.model_copy(update={"request_id": "../P01"}))
    assert unsafe.value.type == "UnsafePath"
    with pytest.raises(ApplicationError, match="no task") as unknown:
        env.run(mediation.collect_events, window.model_copy(update={"xid": task_xid("nobody"),
                                                                    "category": C.PEN_TRAP}))
    assert unknown.value.type == "MediationUnknownTask"


def test_the_delivery_type_follows_the_permitted_categories() -> None:
    assert delivery_type_for([C.PEN_TRAP]) is DeliveryType.X2_ONLY
    assert delivery_type_for(["intercept_content", "pen_trap"]) is DeliveryType.X2_AND_X3
    with pytest.raises(ValueError, match="no prospective category"):
        delivery_type_for([C.SUBSCRIBER_INFO])
    with pytest.raises(ValidationError, match="call_records_outgoing are stored records"):
        pen_register(categories=[C.PEN_TRAP, C.CALL_RECORDS_OUTGOING])
    with pytest.raises(ValidationError, match="start must be before end"):
        pen_register(end=T0)
    assert task_xid("LES-2026-000103") == task_xid("LES-2026-000103") != task_xid("LES-2026-000103", 2)


def test_the_legend_names_the_collected_columns() -> None:
    assert legend_csv("pen_register", [C.PEN_TRAP]).decode().splitlines()[:4] == [
        "file,column,meaning",
        "pen_trap.csv,event_id,\"identifier of the event, unique within the task\"",
        "pen_trap.csv,occurred_at,when the mediation system observed the event (UTC)",
        "pen_trap.csv,target,the target identifier (E.164) the event was collected for",
    ]
    wiretap_legend = legend_csv("title3_wiretap", [C.INTERCEPT_CONTENT]).decode()
    assert "intercept_content.csv,content_sha256," in wiretap_legend
    assert len(wiretap_legend.splitlines()) == 1 + 10


def test_the_activation_speaks_x1() -> None:
    """Written by hand from the schema (TaskDetails, MediationDetails): LIID, the HI deliveryType,
    StartTime and EndTime in that order, after listOfDIDs."""
    task = TaskDetails(xid="6f1c7a52-2d43-4f0a-9b1e-8f3a2c5d7e90", targets=("+16125550188",),
                       delivery_type="X2Only", liid="LES-2026-000103", start_time=T0, end_time=END,
                       destination_ids=("0b6d3c1e-5a4f-4e2b-8c7d-1e9f2a3b4c5d",))
    xml = render(X1Message(type="ActivateTaskRequest", admf_id="les", ne_id="ne", timestamp=T0,
                           transaction_id="9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", task=task), response=False).decode()
    assert xml == (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<x1:X1Request xmlns:x1="http://uri.etsi.org/03221/X1/2017/10" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<x1:x1RequestMessage xsi:type="x1:ActivateTaskRequest">'
        "<x1:admfIdentifier>les</x1:admfIdentifier><x1:neIdentifier>ne</x1:neIdentifier>"
        "<x1:messageTimestamp>2026-03-01T00:00:00.000000Z</x1:messageTimestamp><x1:version>v1.22.1</x1:version>"
        "<x1:x1TransactionId>9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d</x1:x1TransactionId>"
        "<x1:taskDetails><x1:xId>6f1c7a52-2d43-4f0a-9b1e-8f3a2c5d7e90</x1:xId>"
        "<x1:targetIdentifiers><x1:targetIdentifier><x1:e164Number>16125550188</x1:e164Number>"
        "</x1:targetIdentifier></x1:targetIdentifiers><x1:deliveryType>X2Only</x1:deliveryType>"
        "<x1:listOfDIDs><x1:dId>0b6d3c1e-5a4f-4e2b-8c7d-1e9f2a3b4c5d</x1:dId></x1:listOfDIDs>"
        "<x1:listOfMediationDetails><x1:mediationDetails><x1:LIID>LES-2026-000103</x1:LIID>"
        "<x1:deliveryType>HI2Only</x1:deliveryType>"
        "<x1:StartTime>2026-03-01T00:00:00.000000Z</x1:StartTime><x1:EndTime>2026-04-30T00:00:00.000000Z"
        "</x1:EndTime></x1:mediationDetails></x1:listOfMediationDetails>"
        "<x1:implicitDeactivationAllowed>false</x1:implicitDeactivationAllowed>"
        "</x1:taskDetails></x1:x1RequestMessage></x1:X1Request>"
    )
    assert schema_errors(xml.encode()) == []
    assert parse(xml.encode()).task == task


def test_hostile_xml_is_refused_unread(mediation_simulator) -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b'<X1Request xmlns="http://uri.etsi.org/03221/X1/2017/10">&b;</X1Request>')
    with pytest.raises(MalformedMessage, match="not well-formed X1 XML"):
        parse(bomb)
    assert schema_errors(bomb)[0].startswith("not well-formed XML")
    import httpx

    with httpx.Client(verify=mediation_simulator.tls.client_context()) as http:
        answer = http.post(mediation_simulator.url, content=bomb)
    assert answer.status_code == 200 and schema_errors(answer.content) == []
    assert parse(answer.content).type == "X1TopLevelErrorResponse"  # not X1 at all: the top-level error
