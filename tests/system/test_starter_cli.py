"""`starter.py` as an analyst runs it: exact output of `check`, exit statuses, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, REPO, environ_without_les, free_port
from tests.person_support import signed_in_env


def starter(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "starter.py"), *args],
        capture_output=True, text=True, timeout=60, env={**environ_without_les(), **(env or {})}, cwd=REPO,
    )


def test_check_json_of_the_sample_subpoena_is_the_spec_object():
    run = starter("check", str(EXAMPLES / "subpoena.json"), "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert list(out) == ["request_id", "type", "verdict", "permitted", "refused", "problems",
                         "deadlines", "approvals_required", "nondisclosure", "pending_checks"]
    assert out["request_id"] == "LES-2026-000101"
    assert out["verdict"] == "partial"
    assert out["permitted"] == ["subscriber_info", "call_records_outgoing", "call_records_incoming"]
    assert [r["category"] for r in out["refused"]] == ["voicemail_content"]
    assert "2703(a)" in out["refused"][0]["reason"]
    assert out["deadlines"]["response_due"] == "2026-12-11T00:00:00Z"
    assert out["deadlines"]["reminder_at"] == "2026-12-08T00:00:00Z"
    assert out["approvals_required"] == ["analyst"]
    assert out["nondisclosure"] is None  # a grand jury subpoena binds the carrier to no secrecy
    assert out["pending_checks"] == ["documents_on_file", "jurisdiction_binds_targets", "requester_verified"]


def test_check_text_names_the_verdict_first():
    run = starter("check", str(EXAMPLES / "title3_wiretap.json"))
    assert run.returncode == 0, run.stderr
    first = run.stdout.splitlines()[0]
    assert first.startswith("ACCEPT") and "LES-2026-000104" in first
    assert "legal" in run.stdout  # Title III needs a second approval by legal


def test_a_rejected_request_exits_1_and_says_why(tmp_path):
    document = json.loads((EXAMPLES / "subpoena.json").read_text())
    del document["legal_process"]["signed_by"]
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps(document))
    run = starter("check", str(path), "--json")
    assert run.returncode == 1
    out = json.loads(run.stdout)
    assert out["verdict"] == "reject" and out["permitted"] == []
    assert "unsigned" in [p["code"] for p in out["problems"]]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
    ],
)
def test_an_unreadable_file_exits_2_with_one_clear_line(tmp_path, content, expected):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    run = starter("check", str(path))
    assert run.returncode == 2
    assert expected in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_a_missing_file_exits_2(tmp_path):
    run = starter("check", str(tmp_path / "nowhere.json"), "--json")
    assert run.returncode == 2
    assert "nowhere.json" in run.stderr and "Traceback" not in run.stderr


@pytest.fixture
def jdoe(oidc_provider, database_url, prepared_store, tmp_path) -> dict[str, str]:
    """jdoe's shell: signed in at the session's OIDC provider (`starter.py login jdoe --password-stdin`),
    the roster in the test store; no codec server and no Temporal server unless a test adds them."""
    return signed_in_env("jdoe", tmp_path / "jdoe", oidc_provider, database_url)


def test_submit_without_a_server_exits_3_with_advice(jdoe):
    run = starter("submit", str(EXAMPLES / "subpoena.json"), env={**jdoe, "LES_TEMPORAL_ADDRESS": "127.0.0.1:1"})
    assert run.returncode == 3
    assert run.stderr == ("starter: cannot reach the Temporal server at 127.0.0.1:1 (connection refused); start the "
                          "stack with `python3 stack.py up`\n")


def test_the_address_flag_wins_over_the_environment(jdoe):
    run = starter("--address", "127.0.0.1:1", "submit", str(EXAMPLES / "subpoena.json"),
                  env={**jdoe, "LES_TEMPORAL_ADDRESS": "127.0.0.1:2"})
    assert run.returncode == 3
    assert run.stderr.startswith("starter: cannot reach the Temporal server at 127.0.0.1:1 (connection refused)")


def test_status_on_a_case_store_without_tables_is_one_line_exit_4(jdoe, tmp_path):
    # Signed in, then pointed at an empty store: the roster cannot be read (no traceback, issue 25).
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    for args in (("status", "LES-2026-000101"), ("audit", "verify")):
        run = starter(*args, env={**jdoe, "LES_DATABASE_URL": empty})
        assert run.returncode == 4, args
        assert run.stderr.startswith(f"starter: the case store at {empty} has no case tables (no such table: "), args
        assert len(run.stderr.splitlines()) == 1, args


def test_submit_signed_out_sends_nothing_and_says_to_sign_in(tmp_path):
    # SPEC §6: every command acts as the signed-in person; nobody signed in, nothing is sent (not even
    # a connection to Temporal is tried: the unreachable address is never the complaint).
    run = starter("submit", str(EXAMPLES / "subpoena.json"),
                  env={"LES_TEMPORAL_ADDRESS": "127.0.0.1:1", "LES_STATE_DIR": str(tmp_path / "nobody")})
    assert run.returncode == 1
    assert run.stderr == "starter: no one is signed in on this machine; run `starter.py login USER`\n"


async def test_submit_without_the_codec_servers_sends_nothing_and_says_where_they_should_be(
        jdoe, time_skipping_env, tmp_path):
    # Behaviour changed on purpose (issue 20): starter.py holds no payload key, so a missing keyring no
    # longer matters; what it needs is the codec servers. Without them nothing reaches the server.
    from temporalio.service import RPCError

    address = time_skipping_env.client.service_client.config.target_host
    general = f"http://127.0.0.1:{free_port()}"
    run = starter("submit", str(EXAMPLES / "subpoena.json"),
                  env={**jdoe, "LES_TEMPORAL_ADDRESS": address, "LES_KEYRING_DIR": str(tmp_path / "none"),
                       "LES_CODEC_URL": general, "LES_CLEARED_CODEC_URL": f"http://127.0.0.1:{free_port()}"})
    assert run.returncode == 3, run.stderr
    assert run.stderr == (f"starter: the codec server at {general} did not answer (ConnectError); is the stack up "
                          "(`python3 stack.py up`)?\n")
    with pytest.raises(RPCError, match="not found"):
        await time_skipping_env.client.get_workflow_handle("case-LES-2026-000101").describe()


def test_submit_of_an_unknown_type_is_a_clear_error(tmp_path):
    document = json.loads((EXAMPLES / "subpoena.json").read_text())
    document["type"] = "letter_rogatory"
    path = tmp_path / "unknown-type.json"
    path.write_text(json.dumps(document))
    run = starter("submit", str(path))
    assert run.returncode == 2
    assert "no workflow handles requests of type 'letter_rogatory'" in run.stderr


def test_submit_without_request_id_is_refused(tmp_path):
    document = json.loads((EXAMPLES / "subpoena.json").read_text())
    del document["request_id"]
    path = tmp_path / "anonymous.json"
    path.write_text(json.dumps(document))
    run = starter("submit", str(path))
    assert run.returncode == 2
    assert "has no `request_id`" in run.stderr


def test_a_decision_needs_a_role():
    run = starter("approve", "LES-2026-000101")
    assert run.returncode == 2
    assert "the following arguments are required: --role" in run.stderr and "Traceback" not in run.stderr


def test_a_decision_takes_no_typed_name():
    # Behaviour changed on purpose (issue 20, SPEC §6): the decider is the signed-in person; `--actor`,
    # a name anyone could type, is gone from every command.
    run = starter("approve", "LES-2026-000101", "--actor", "rcruz", "--role", "legal")
    assert run.returncode == 2
    assert run.stderr == ("starter: --actor is gone: every command acts as the person signed in "
                          "(`starter.py login USER`, `starter.py whoami`)\n")


def test_check_and_submit_refuse_a_request_id_that_is_not_well_formed(tmp_path):
    document = json.loads((EXAMPLES / "subpoena.json").read_text())
    document["request_id"] = "../../pwned"
    path = tmp_path / "traversal.json"
    path.write_text(json.dumps(document))
    for command in ("check", "submit"):
        run = starter(command, str(path), env={"LES_TEMPORAL_ADDRESS": "127.0.0.1:1"})
        assert run.returncode == 2, command
        assert run.stderr == (f"starter: {path}: request_id '../../pwned' is not well-formed; a request_id is 1-64 "
                              "ASCII letters, digits, '.', '_' and '-', starting with a letter or digit; the "
                              "request is not accepted\n")


def test_status_and_decisions_refuse_a_request_id_that_is_not_well_formed():
    for args in (("status", "../x"), ("approve", "../x", "--role", "analyst")):
        run = starter(*args, env={"LES_TEMPORAL_ADDRESS": "127.0.0.1:1"})
        assert run.returncode == 2 and "'../x' is not well-formed" in run.stderr, args
