"""The auditor's commands end to end, as an auditor runs them: a subpoena closed on the dev server
by the real worker, then `starter.py audit verify / export / replay / backfill` signed in as dokafor
(the roster's cleared auditor) at the real OIDC provider, reading through the real codec servers; the
same commands refused for jdoe (an analyst); an export created fresh (folder 0700, files 0600), never
into a folder someone planted nor through a link; and a ledger row edited in the database behind the
product's back."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import text

from tests.conftest import running_dev_server
from tests.e2e_support import Terminal, history_names, require_postgres
from tests.workflow_support import dated, example

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]


@pytest.fixture(scope="module")
async def closed_case(is_postgres, keyring, database_url, prepared_store, tmp_path_factory, keyring_dir, oidc_provider,
                      codec_servers):
    """AUD-SUB-0001 approved by jdoe and closed (delivered) by the real worker; an auditor's
    approve is refused on the way. Then an NSL and a FISA order submitted, waiting for approval."""
    require_postgres(is_postgres)
    async with running_dev_server(keyring) as server:
        address = server.client.service_client.config.target_host
        shell = Terminal.for_server(address, database_url, tmp_path_factory.mktemp("audit"), "les-audit",
                                    keyring_dir, oidc=oidc_provider, codec=codec_servers)
        with shell.worker():
            assert shell.submit(dated(example("subpoena", "AUD-SUB-0001"),
                                      await server.get_current_time())).returncode == 0
            shell.wait_for("AUD-SUB-0001", "awaiting_approval")
            by_auditor = shell.decide("approve", "AUD-SUB-0001", "dokafor", "auditor")
            assert shell.decide("approve", "AUD-SUB-0001", "jdoe", "analyst", "in order").returncode == 0
            closed = shell.wait_for("AUD-SUB-0001", "closed")
            for kind, request_id in (("national_security_letter", "AUD-NSL-0001"), ("fisa_order", "AUD-FISA-0001")):
                assert shell.submit(dated(example(kind, request_id), await server.get_current_time())).returncode == 0
                shell.wait_for(request_id, "awaiting_approval", actor="tnguyen")
            yield shell, closed, by_auditor, prepared_store


def test_an_auditor_may_make_no_decision(closed_case):
    _, closed, by_auditor, _ = closed_case
    assert by_auditor.returncode == 1
    assert "approve refused: role auditor may not approve (allowed: analyst)" in by_auditor.stderr
    # Refused by the update's validator: nothing reached the history, so the ledger has nothing either.
    assert history_names(closed) == ["verified", "approve", "production_delivered", "invoiced", "closed"]
    assert closed["history"][1]["actor"] == "jdoe"


def refused_for_jdoe(shell, *args: str, doing: str) -> None:
    """`starter.py audit ARGS` signed in as jdoe: exit 1, nothing on stdout, one line saying an auditor is needed
    (SPEC §6: every audit command needs a signed-in auditor, whatever the case)."""
    refused = shell.starter("audit", *args, person="jdoe")
    assert (refused.returncode, refused.stdout) == (1, ""), refused.stderr
    assert refused.stderr == (f"starter: {doing} needs a signed-in auditor; jdoe holds analyst "
                              "(`starter.py login USER` to sign in as someone else)\n")


def modes(folder) -> dict[str, str]:
    return {path.name: oct(path.stat().st_mode & 0o777) for path in [folder, *folder.iterdir()]}


def test_export_writes_the_history_and_a_readable_timeline(closed_case, tmp_path):
    shell, closed, _, _ = closed_case
    refused_for_jdoe(shell, "export", "AUD-SUB-0001", str(tmp_path), doing="audit export")
    assert list(tmp_path.iterdir()) == []  # not even the folder
    exported = shell.starter("audit", "export", "AUD-SUB-0001", str(tmp_path), person="dokafor")
    assert exported.returncode == 0, exported.stderr
    folder = tmp_path / "AUD-SUB-0001"
    assert exported.stdout.split() == [str(folder / "history-run-01.json"), str(folder / "timeline.txt")]
    # decrypted histories are the auditor's alone (issue 20: they were 0644 in folders 0755)
    assert modes(folder) == {"AUD-SUB-0001": "0o700", "history-run-01.json": "0o600", "timeline.txt": "0o600"}
    history = json.loads((folder / "history-run-01.json").read_text())
    assert history["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"] == "Subpoena"
    started = history["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    assert started["metadata"]["encoding"] == "anNvbi9wbGFpbg=="  # base64 of json/plain: decrypted
    timeline = (folder / "timeline.txt").read_text()
    manifest = closed["production"]["manifest_sha256"]
    for line in ("Subpoena AUD-SUB-0001: audit timeline (1 run(s)); times UTC",
                 "#1 verified by les-orchestrator via system: accepted; verdict=partial",
                 "#2 approve by jdoe/analyst via update: accepted — in order",
                 f"#3 production_delivered by les-orchestrator via system: accepted; manifest sha256 {manifest}",
                 "#4 invoiced by les-orchestrator via system: accepted — 0.00 USD",
                 "#5 closed by les-orchestrator via system: accepted — delivered: ",
                 "workflow completed"):
        assert line in timeline, timeline

    refused_for_jdoe(shell, "replay", str(folder / "history-run-01.json"), doing="audit replay")
    replayed = shell.starter("audit", "replay", str(folder / "history-run-01.json"), person="dokafor")
    assert (replayed.returncode, replayed.stdout.splitlines()[0]) == (
        0, "replayed 1 history(ies): 1 cleanly, 0 failed"), replayed.stderr


def test_an_export_never_writes_into_a_folder_it_did_not_create_nor_through_a_link(closed_case, tmp_path):
    shell, _, _, _ = closed_case
    # Someone plants the folder beforehand, a file in it waiting to be filled (or read later).
    planted = tmp_path / "planted" / "AUD-SUB-0001"
    planted.mkdir(parents=True)
    (planted / "timeline.txt").write_text("planted\n")
    exported = shell.starter("audit", "export", "AUD-SUB-0001", str(tmp_path / "planted"), person="dokafor")
    assert (exported.returncode, exported.stdout) == (2, ""), exported.stderr
    assert exported.stderr == (f"starter: AUD-SUB-0001: cannot write the export there: {planted} already exists; "
                               "an export is written only into a folder it creates\n")
    assert sorted(p.name for p in planted.iterdir()) == ["timeline.txt"]
    assert (planted / "timeline.txt").read_text() == "planted\n"

    # ... or a link where the export's folder would be, pointing at a folder others can read.
    elsewhere = tmp_path / "world-readable"
    elsewhere.mkdir(mode=0o755)
    (tmp_path / "linked").mkdir()
    os.symlink(elsewhere, tmp_path / "linked" / "AUD-SUB-0001")
    exported = shell.starter("audit", "export", "AUD-SUB-0001", str(tmp_path / "linked"), person="dokafor")
    assert (exported.returncode, exported.stdout) == (2, ""), exported.stderr
    linked = tmp_path / "linked"
    assert exported.stderr == (f"starter: AUD-SUB-0001: cannot write the export there: "
                               f"{linked / 'AUD-SUB-0001' / 'timeline.txt'} leads to {elsewhere / 'timeline.txt'}, "
                               f"outside {linked}\n")
    assert list(elsewhere.iterdir()) == []


def test_replay_by_query_replays_the_servers_histories(closed_case):
    shell, _, _, _ = closed_case
    refused_for_jdoe(shell, "replay", "--query", "WorkflowId = 'case-AUD-SUB-0001'", doing="audit replay")
    replayed = shell.starter("audit", "replay", "--query", "WorkflowId = 'case-AUD-SUB-0001'", person="dokafor")
    assert (replayed.returncode, replayed.stdout.strip()) == (0, "replayed 1 history(ies): 1 cleanly, 0 failed"), \
        replayed.stderr


def audit_metrics(path) -> dict[tuple[str, str | None], float]:
    """The --metrics-file as Prometheus's reference parser reads it: (name, kind label) → value."""
    from prometheus_client.parser import text_string_to_metric_families

    return {(s.name, s.labels.get("kind")): s.value
            for family in text_string_to_metric_families(path.read_text()) for s in family.samples}


def test_verify_passes_then_names_a_ledger_row_edited_in_the_database(closed_case, tmp_path):
    shell, _, _, store = closed_case
    metrics = tmp_path / "les_audit.prom"
    refused_for_jdoe(shell, "verify", "AUD-SUB-0001", doing="audit verify")
    intact = shell.starter("audit", "verify", "AUD-SUB-0001", "--metrics-file", str(metrics), person="dokafor")
    assert (intact.returncode, intact.stdout.splitlines()) == (0, [
        "AUD-SUB-0001: ok (5 ledger entries, chain intact, matches the workflow history)",
        "verified 1 request(s): 1 ok, 0 failed",
    ]), intact.stderr
    with store.begin() as connection:  # someone with database access rewrites who approved
        connection.execute(text("UPDATE case_ledger SET body = replace(body, '\"actor\":\"jdoe\"', "
                                "'\"actor\":\"asmith\"') WHERE request_id = 'AUD-SUB-0001' AND seq = 2"))
    found = audit_metrics(metrics)
    assert [found[("les_audit_findings", kind)] for kind in ("edited", "deleted", "inserted", "missing")] == [0] * 4
    assert (found[("les_audit_requests_verified", None)], found[("les_audit_requests_failed", None)]) == (1, 0)
    edited = shell.starter("audit", "verify", "AUD-SUB-0001", "--metrics-file", str(metrics), person="dokafor")
    assert edited.returncode == 1, edited.stderr
    found = audit_metrics(metrics)
    assert (found[("les_audit_findings", "edited")], found[("les_audit_findings", "deleted")]) == (2, 0)
    assert found[("les_audit_requests_failed", None)] == 1
    assert "AUD-SUB-0001" not in metrics.read_text() and oct(metrics.stat().st_mode & 0o777) == "0o640"
    nowhere = shell.starter("audit", "verify", "--metrics-file", str(tmp_path / "absent" / "x.prom"), person="dokafor")
    assert nowhere.returncode != 0 and len(nowhere.stderr.splitlines()) == 1
    assert "the folder" in nowhere.stderr and "does not exist; nothing was verified" in nowhere.stderr
    assert edited.stdout.splitlines() == [
        "AUD-SUB-0001: FAILED (5 ledger entries)",
        "  - edited: entry seq 2: its content no longer matches its hash",
        "  - edited: entry seq 2 differs from what the workflow filed: actor is 'asmith' in the ledger, "
        "'jdoe' in the history",
        "verified 1 request(s): 0 ok, 1 failed",
    ]


@pytest.mark.parametrize(("request_id", "workflow_type"), [("AUD-NSL-0001", "NationalSecurityLetter"),
                                                           ("AUD-FISA-0001", "FisaOrder")])
def test_a_national_security_case_is_exported_only_for_a_cleared_auditor(closed_case, tmp_path, request_id,
                                                                         workflow_type):
    # Behaviour changed on purpose (issue 20): no `--actor` to leave out or to type; the exporter is the
    # signed-in person, who must be an auditor (jdoe is not) and, for a national security case, cleared.
    shell, _, _, _ = closed_case
    refused_for_jdoe(shell, "export", request_id, str(tmp_path / "out"), doing="audit export")
    assert not (tmp_path / "out").exists()  # not even the folder

    exported = shell.starter("audit", "export", request_id, str(tmp_path / "out"), person="dokafor")
    assert exported.returncode == 0, exported.stderr
    folder = tmp_path / "out" / request_id
    assert exported.stdout.split() == [str(folder / "history-run-01.json"), str(folder / "timeline.txt")]
    history = json.loads((folder / "history-run-01.json").read_text())
    started = history["events"][0]["workflowExecutionStartedEventAttributes"]
    assert started["workflowType"]["name"] == workflow_type
    assert started["input"]["payloads"][0]["metadata"]["encoding"] == "anNvbi9wbGFpbg=="  # decrypted
    timeline = (folder / "timeline.txt").read_text()
    assert f"{workflow_type} {request_id}: audit timeline (1 run(s)); times UTC" in timeline
    assert modes(folder) == {request_id: "0o700", "history-run-01.json": "0o600", "timeline.txt": "0o600"}


def test_events_filed_before_the_ledger_existed_are_back_filled_by_an_auditor_and_marked(closed_case):
    """A case whose events predate the ledger (its rows removed here, as a store from before the
    ledger holds none): verify names them missing and says how to back-fill; only an auditor may;
    the back-filled entries then verify, each marked with who back-filled it."""
    shell, _, _, store = closed_case
    with store.begin() as connection:
        filed = connection.execute(text("SELECT seq, body FROM case_ledger WHERE request_id = 'AUD-FISA-0001' "
                                        "ORDER BY seq")).all()
        connection.execute(text("DELETE FROM case_ledger WHERE request_id = 'AUD-FISA-0001'"))
    assert filed and filed[0].seq == 1
    before = shell.starter("audit", "verify", "AUD-FISA-0001", person="dokafor")
    assert before.returncode == 1, before.stderr
    assert before.stdout.splitlines()[1] == (
        "  - missing: event seq 1 (verified) was filed by the workflow but is not in the ledger; it was filed "
        "before the ledger existed: `starter.py audit backfill AUD-FISA-0001`, signed in as an auditor, appends "
        "it, marked back-filled")

    # The back-filler is the signed-in auditor (issue 20: `--actor` is gone); jdoe is refused, nothing written.
    refused_for_jdoe(shell, "backfill", "AUD-FISA-0001", doing="audit backfill")
    with store.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM case_ledger WHERE request_id = 'AUD-FISA-0001'")
                                  ).scalar_one() == 0
    backfilled = shell.starter("audit", "backfill", "AUD-FISA-0001", person="dokafor")
    assert backfilled.returncode == 0, backfilled.stderr
    assert backfilled.stdout.splitlines()[0] == "AUD-FISA-0001: back-filled event seq 1 (verified) at position 1"
    entries = "1 entry" if len(filed) == 1 else f"{len(filed)} entries"
    assert backfilled.stdout.splitlines()[-1] == f"AUD-FISA-0001: {entries} back-filled by dokafor"
    after = shell.starter("audit", "verify", "AUD-FISA-0001", person="dokafor")
    assert (after.returncode, after.stdout.splitlines()[0]) == (
        0, f"AUD-FISA-0001: ok ({len(filed)} ledger entries, {len(filed)} back-filled by dokafor, chain intact, "
           "matches the workflow history)"), after.stdout + after.stderr
    with store.begin() as connection:
        body = connection.execute(text("SELECT body FROM case_ledger WHERE request_id = 'AUD-FISA-0001' "
                                       "AND seq = 1")).scalar_one()
    assert json.loads(body)["backfilled"] is True and json.loads(body)["backfilled_by"] == "dokafor"
    assert {k: v for k, v in json.loads(body).items() if not k.startswith("backfilled")} == json.loads(filed[0].body)


def test_ctrl_c_in_a_replay_is_one_line_and_exit_130(closed_case):
    # Issue 25: Ctrl-C in `audit replay` printed a traceback. The recorded histories, several times over,
    # keep the replay busy long enough to be interrupted in the middle.
    import time

    from tests.cli_support import interrupted
    from tests.conftest import REPO

    shell, _, _, _ = closed_case
    files = [str(path) for path in sorted((REPO / "tests" / "histories").glob("*.json"))] * 10

    def replaying(_process) -> str:
        time.sleep(6)  # signed in, histories read, the replayer at work
        return ""

    code, out, err = interrupted(["audit", "replay", *files], shell.signed_in("dokafor"), replaying)
    assert (code, out, err) == (130, "", "starter: interrupted\n")
