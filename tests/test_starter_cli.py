"""`starter.py` as an analyst runs it: exact output of `check`, exit statuses, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, REPO, environ_without_les


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


def test_submit_without_a_server_exits_3_with_advice(keyring_dir):
    run = starter("submit", str(EXAMPLES / "subpoena.json"),
                  env={"LES_TEMPORAL_ADDRESS": "127.0.0.1:1", "LES_KEYRING_DIR": str(keyring_dir)})
    assert run.returncode == 3
    assert "cannot reach the Temporal server at 127.0.0.1:1" in run.stderr
    assert "Traceback" not in run.stderr


def test_submit_without_payload_keys_sends_nothing_and_says_how_to_get_them(tmp_path):
    run = starter("submit", str(EXAMPLES / "subpoena.json"),
                  env={"LES_TEMPORAL_ADDRESS": "127.0.0.1:1", "LES_KEYRING_DIR": str(tmp_path / "none")})
    assert run.returncode == 3
    assert run.stderr == (f"starter: cannot encrypt payloads: no payload-encryption keys ({tmp_path / 'none'}, "
                          "LES_PAYLOAD_KEYS unset); `python3 stack.py up` creates a local keyring, or set "
                          "LES_KEYRING_DIR / LES_PAYLOAD_KEYS\n")


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


def test_a_decision_needs_actor_and_role():
    run = starter("approve", "LES-2026-000101")
    assert run.returncode == 2
    assert "--actor" in run.stderr and "Traceback" not in run.stderr


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
    for args in (("status", "../x"), ("approve", "../x", "--actor", "jdoe", "--role", "analyst")):
        run = starter(*args, env={"LES_TEMPORAL_ADDRESS": "127.0.0.1:1"})
        assert run.returncode == 2 and "'../x' is not well-formed" in run.stderr, args
