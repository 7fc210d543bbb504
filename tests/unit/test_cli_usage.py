"""`starter.py` as a new user meets it, with no server at all: --help on stdout with the exit
statuses, help on every option, each decision's who and fields, usage errors, `-` for standard
input, JSON errors with --json, the connection flags, and Ctrl-C in one line."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import pytest

from console.args import build_parser
from console.errors import EXIT_MEANINGS
from tests.cli_support import interrupted
from tests.conftest import EXAMPLES, REPO, environ_without_les


def starter(*args: str, stdin: str | None = None, env: dict[str, str] | None = None, cwd=REPO):
    return subprocess.run([sys.executable, str(REPO / "starter.py"), *args], input=stdin, capture_output=True,
                          text=True, timeout=60, env={**environ_without_les(), **(env or {})}, cwd=cwd)


def parsers(parser: argparse.ArgumentParser, name: str = "starter.py"):
    """Every parser of the command line, the sub-commands' too, with its name."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child, sub in action.choices.items():
                yield from parsers(sub, f"{name} {child}")


def test_help_goes_to_stdout_exits_0_and_shows_every_exit_status():
    shown = starter("--help")
    assert (shown.returncode, shown.stderr) == (0, "")
    table = shown.stdout[shown.stdout.index("exit status:"):]
    for code, meaning in EXIT_MEANINGS.items():
        assert f"  {int(code):<5}{meaning.split()[0]}" in table, code
    assert '{"error": "...", "exit_code": N}' in " ".join(shown.stdout.split())


@pytest.mark.parametrize("command", [["check"], ["status"], ["audit", "verify"], ["report", "transparency"],
                                     ["login"], ["approve"], ["record-extension"]])
def test_every_sub_command_help_goes_to_stdout_and_exits_0(command):
    shown = starter(*command, "--help")
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.startswith(f"usage: starter.py {' '.join(command)} ")


def test_every_option_and_argument_has_help():
    unexplained = [f"{name}: {action.dest}" for name, parser in parsers(build_parser()) for action in parser._actions
                   if not isinstance(action, argparse._SubParsersAction) and not action.help]
    assert unexplained == []


def test_each_decision_says_who_may_send_it_and_the_fields_it_needs():
    approve = " ".join(starter("approve", "--help").stdout.split())
    assert "analyst: customer_call_lookup, subpoena," in approve
    assert "analyst and legal, each a different person: title3_wiretap" in approve
    assert ("analyst and legal, each a different person, holding the cleared role too: national_security_letter, "
            "fisa_order") in approve
    assert "analyst and supervisor, each a different person, after verify-callback: emergency" in approve
    assert "fields it needs: none besides --role" in approve
    callback = " ".join(starter("verify-callback", "--help").stdout.split())
    assert "analyst or supervisor: emergency" in callback
    assert "fields it needs: --set number=VALUE --set verified_at=VALUE" in callback
    assert "fields it needs: --note TEXT (the reason)" in " ".join(starter("reject", "--help").stdout.split())
    assert "renewal_received_at" in starter("record-extension", "--help").stdout


@pytest.mark.parametrize("args", [["bogus"], ["status", "LES-1", "--colour"], ["audit"], []])
def test_a_usage_error_is_the_usage_on_stderr_and_exit_2(args):
    shown = starter(*args)
    assert shown.returncode == 2 and shown.stdout == ""
    assert shown.stderr.startswith("usage: starter.py") and "Traceback" not in shown.stderr


def test_check_reads_the_document_from_standard_input():
    paper = (EXAMPLES / "subpoena.json").read_text()
    from_file = starter("check", str(EXAMPLES / "subpoena.json"), "--json")
    from_stdin = starter("check", "-", "--json", stdin=paper)
    assert (from_stdin.returncode, from_stdin.stdout) == (0, from_file.stdout)
    broken = starter("check", "-", stdin="{not json")
    assert broken.returncode == 2
    assert broken.stderr.startswith("starter: standard input: not valid JSON")


def test_submit_from_standard_input_still_needs_the_documents_request_id(tmp_path):
    document = json.loads((EXAMPLES / "subpoena.json").read_text())
    del document["request_id"]
    shown = starter("submit", "-", stdin=json.dumps(document), env={"LES_STATE_DIR": str(tmp_path)})
    assert (shown.returncode, shown.stdout) == (2, "")
    assert shown.stderr == "starter: standard input: the request has no `request_id`; it cannot be tracked\n"


@pytest.mark.parametrize(("args", "code", "error"), [
    (["status", "../x", "--json"], 2, "request_id '../x' is not well-formed"),
    (["check", "nowhere.json", "--json"], 2, "nowhere.json: cannot read the file (No such file or directory)"),
    (["status", "LES-1", "--json"], 1, "no one is signed in on this machine; run `starter.py login USER`"),
    (["report", "transparency", "--half", "2026H3", "--json"], 2, "--half must be"),
])
def test_with_json_a_failure_is_one_json_object(tmp_path, args, code, error):
    shown = starter(*args, env={"LES_STATE_DIR": str(tmp_path)}, cwd=tmp_path)
    assert (shown.returncode, shown.stdout) == (code, "")
    said = json.loads(shown.stderr)
    assert said["exit_code"] == code and error in said["error"]


def test_a_case_store_without_tables_is_a_configuration_error_in_one_line(tmp_path):
    # A fresh state folder: its SQLite case store has no tables (the 60-line traceback).
    shown = starter("audit", "backfill", "LES-2026-000101", env={"LES_STATE_DIR": str(tmp_path)})
    assert shown.returncode == 4, shown.stderr
    assert shown.stderr == (f"starter: the case store at sqlite:///{tmp_path / 'records.db'} has no case tables (no "
                            "such table: cases): is LES_DATABASE_URL right? `python3 stack.py up` (or `python -m "
                            "recordstore.migrate upgrade`) creates them\n")


def test_a_setting_that_cannot_be_used_is_a_configuration_error_and_check_needs_none(tmp_path):
    env = {"LES_STATE_DIR": str(tmp_path), "LES_WORKFLOW_CACHE": "many"}
    shown = starter("status", "LES-1", env=env)
    assert (shown.returncode, shown.stderr) == (
        4, "starter: LES_WORKFLOW_CACHE='many' is not a whole number of workflows (at least 1)\n")
    assert starter("check", str(EXAMPLES / "subpoena.json"), env=env).returncode == 0  # offline: no setting read


@pytest.mark.parametrize("argv", [
    ["--address", "temporal.example:7233", "--namespace", "les", "--profile", "prod", "status", "LES-1"],
    ["status", "LES-1", "--address", "temporal.example:7233", "--namespace", "les", "--profile", "prod"],
    ["--address", "temporal.example:7233", "status", "--namespace", "les", "LES-1", "--profile", "prod"],
])
def test_the_connection_flags_go_before_or_after_the_command_and_win_over_the_environment(
        tmp_path, monkeypatch, argv):
    from console.cli import settings_for

    (tmp_path / "temporal.toml").write_text('[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\n'
                                            '[profile.prod.tls]\nserver_name = "prod.example"\n')
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "temporal.toml"))
    monkeypatch.setenv("LES_TEMPORAL_ADDRESS", "elsewhere:7233")
    monkeypatch.setenv("LES_TEMPORAL_NAMESPACE", "default")
    settings = settings_for(build_parser().parse_args(argv))
    assert (settings.temporal_address, settings.temporal_namespace) == ("temporal.example:7233", "les")
    assert settings.temporal_profile.name == "prod" and settings.temporal_profile.profile.tls is not None


def test_the_profile_flag_chooses_the_profile_the_address_comes_from(tmp_path, monkeypatch):
    from console.cli import settings_for

    (tmp_path / "temporal.toml").write_text('[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\n')
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "temporal.toml"))
    for name in ("LES_TEMPORAL_ADDRESS", "LES_TEMPORAL_NAMESPACE", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
                 "TEMPORAL_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    settings = settings_for(build_parser().parse_args(["status", "LES-1", "--profile", "prod"]))
    assert (settings.temporal_address, settings.temporal_namespace) == ("prod.example:7233", "prod")
    unnamed = settings_for(build_parser().parse_args(["status", "LES-1"]))
    assert unnamed.temporal_address == "localhost:7233"


async def test_an_unreachable_server_is_one_line_naming_the_address_and_what_to_do(monkeypatch):
    from temporalio.converter import PayloadCodec

    from les.config import Settings
    from les.temporal import TemporalUnavailable, connect

    class Untouched(PayloadCodec):
        async def encode(self, payloads):
            return list(payloads)

        async def decode(self, payloads):
            return list(payloads)

    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", "/dev/null")
    settings = Settings.from_env({"LES_TEMPORAL_ADDRESS": "127.0.0.1:1"})
    with pytest.raises(TemporalUnavailable) as refused:
        await connect(settings, codec=Untouched())
    assert str(refused.value) == ("cannot reach the Temporal server at 127.0.0.1:1 (connection refused); start the "
                                  "stack with `python3 stack.py up`")


def test_ctrl_c_is_one_line_and_exit_130(tmp_path):
    # `check -` waits on standard input, which stays open: Ctrl-C must stop it at once.
    def reading(_process) -> str:
        time.sleep(3)  # the program has loaded and reads standard input
        return ""

    env = {**environ_without_les(), "LES_STATE_DIR": str(tmp_path)}
    assert interrupted(["check", "-"], env, reading) == (130, "", "starter: interrupted\n")


def test_stack_py_help_goes_to_stdout_and_a_wrong_command_is_exit_2():
    shown = subprocess.run([sys.executable, str(REPO / "stack.py"), "--help"], capture_output=True, text=True,
                           timeout=60, cwd=REPO)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert "python3 stack.py up" in shown.stdout and "python3 stack.py test" in shown.stdout
    wrong = subprocess.run([sys.executable, str(REPO / "stack.py"), "down"], capture_output=True, text=True,
                           timeout=60, cwd=REPO)
    assert (wrong.returncode, wrong.stdout) == (2, "")
    assert wrong.stderr.startswith("usage: python3 stack.py {up,test}") and "unknown command 'down'" in wrong.stderr
