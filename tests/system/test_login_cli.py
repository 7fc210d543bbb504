"""`starter.py login / whoami / logout / token` as a person runs them, against the real OIDC
provider (tests/oidc_support.py): every demo person signs in through the provider's own form,
roles come from the roster, the session file is the person's alone, and every failure is one
sentence with the documented exit status (0 ok, 1 refused, 2 bad input, 3 provider unreachable)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest

from console.login import OidcClient, TokenSet, current_token
from les.oidc import TokenVerifier
from tests.conftest import REPO, environ_without_les
from tests.oidc_support import approve_device_code, free_port

ROSTER_LINES = {
    # Written from recordstore/generator/roster.py's table by hand, as whoami must say it.
    "jdoe": "roster: roles analyst",
    "asmith": "roster: roles analyst",
    "mlee": "roster: roles supervisor",
    "kpatel": "roster: roles legal",
    "rcruz": "roster: roles cleared, legal",
    "tnguyen": "roster: roles analyst, cleared",
    "bwilson": "roster: roles analyst (inactive: may decide nothing)",
    "dokafor": "roster: roles auditor, cleared",
}


class Person:
    """One person's shell: their own state folder, pointed at a provider and the roster."""

    def __init__(self, home: Path, provider, database_url: str) -> None:
        self.state = home / ".les"
        self.provider = provider
        self.env = {**environ_without_les(), **provider.env, "LES_STATE_DIR": str(self.state),
                    "LES_DATABASE_URL": database_url}

    @property
    def token_file(self) -> Path:
        return self.state / "session" / "token.json"

    def run(self, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, str(REPO / "starter.py"), *args], input=stdin, capture_output=True,
                              text=True, timeout=60, env={**self.env, **(env or {})}, cwd=REPO)
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        return done

    def login(self, user: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.run("login", user, "--password-stdin", stdin=f"{password or user + '-dev'}\n")


@pytest.fixture
def person(tmp_path, oidc_provider, database_url, prepared_store) -> Person:
    return Person(tmp_path, oidc_provider, database_url)


@pytest.mark.parametrize("user", list(ROSTER_LINES))
def test_each_demo_person_signs_in_and_whoami_names_them_with_their_roster_roles(person, user):
    login = person.login(user)
    assert login.returncode == 0, login.stderr
    assert login.stdout.startswith(f"signed in as {user} at {person.provider.issuer}; access token valid until ")
    whoami = person.run("whoami")
    assert whoami.returncode == 0, whoami.stderr
    lines = whoami.stdout.splitlines()
    assert lines[0] == f"{user}, signed in at {person.provider.issuer}"
    assert lines[1].startswith("  access token valid until ")
    assert lines[2] == f"  {ROSTER_LINES[user]}"


def test_token_prints_the_signed_in_persons_access_token_alone(person):
    assert person.login("tnguyen").returncode == 0
    printed = person.run("token")
    assert printed.returncode == 0
    token = printed.stdout.strip()
    assert printed.stdout == token + "\n"
    assert TokenVerifier(person.provider.settings).verify(token).subject == "tnguyen"


def test_a_wrong_password_is_refused_in_words_and_keeps_nothing(person):
    done = person.login("jdoe", "jdoe-wrong")
    assert done.returncode == 1
    assert done.stderr == f"starter: wrong user name or password for 'jdoe' at {person.provider.issuer}\n"
    assert not person.token_file.exists()


def test_someone_not_in_the_providers_users_is_refused(person):
    done = person.login("mallory", "mallory-dev")
    assert done.returncode == 1
    assert "wrong user name or password for 'mallory'" in done.stderr


def test_a_failed_login_keeps_the_previous_session(person):
    assert person.login("jdoe").returncode == 0
    assert person.login("tnguyen", "guess").returncode == 1
    assert person.run("whoami").stdout.startswith("jdoe, signed in")


@pytest.mark.parametrize("user", ["../jdoe", "jdoe doe", "jdoe/x", "j" * 200])
def test_a_malformed_user_id_is_bad_input(person, user):
    done = person.run("login", user, "--password-stdin", stdin="x\n")
    assert done.returncode == 2
    assert "is not a user id" in done.stderr


def test_no_password_and_no_terminal_is_bad_input(person):
    done = person.run("login", "jdoe")
    assert done.returncode == 2
    assert done.stderr == "starter: no terminal to ask the password on; pipe it in with --password-stdin\n"


def test_the_session_folder_and_file_are_the_persons_alone(person):
    assert person.login("jdoe").returncode == 0
    assert stat.S_IMODE(person.token_file.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(person.token_file.stat().st_mode) == 0o600
    kept = json.loads(person.token_file.read_text())
    assert kept["subject"] == "jdoe" and kept["issuer"] == person.provider.issuer
    assert kept["refresh_token"]


def test_a_link_planted_as_the_token_file_is_refused_and_never_written_through(person, tmp_path):
    person.token_file.parent.mkdir(parents=True, mode=0o700)
    target = tmp_path / "elsewhere.txt"
    target.write_text("someone's file\n")
    person.token_file.symlink_to(target)
    done = person.login("jdoe")
    assert done.returncode == 1
    assert f"{person.token_file} is a link someone put there; remove it and try again" in done.stderr
    assert target.read_text() == "someone's file\n"
    assert person.token_file.is_symlink()


def test_a_token_file_planted_readable_by_others_is_refused(person):
    """A session someone else wrote (mode 0644) would make starter.py act as whoever it names."""
    person.token_file.parent.mkdir(parents=True, mode=0o700)
    real = OidcClient(person.provider.settings).sign_in_with_password("tnguyen", "tnguyen-dev")
    person.token_file.write_text(json.dumps(asdict(real)))
    person.token_file.chmod(0o644)
    for command in (("whoami",), ("token",)):
        done = person.run(*command)
        assert done.returncode == 1
        assert "is readable by others (mode 0644), so it was not made here" in done.stderr
    login = person.login("jdoe")
    assert login.returncode == 1
    assert json.loads(person.token_file.read_text())["subject"] == "tnguyen"  # untouched


def test_a_hard_link_planted_as_the_token_file_is_refused(person, tmp_path):
    person.token_file.parent.mkdir(parents=True, mode=0o700)
    original = person.token_file.parent / "original"
    original.write_text("{}")
    original.chmod(0o600)
    os.link(original, person.token_file)
    done = person.login("jdoe")
    assert done.returncode == 1
    assert "has 2 names (a hard link someone made)" in done.stderr
    assert original.read_text() == "{}"


def test_a_session_folder_that_is_a_link_is_refused(person, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    person.state.mkdir()
    (person.state / "session").symlink_to(elsewhere)
    done = person.login("jdoe")
    assert done.returncode == 1
    assert "is a link, not a folder of yours" in done.stderr
    assert list(elsewhere.iterdir()) == []


def test_logout_revokes_at_the_provider_and_forgets(person):
    assert person.login("rcruz").returncode == 0
    kept = TokenSet(**json.loads(person.token_file.read_text()))
    done = person.run("logout")
    assert done.returncode == 0
    assert done.stdout == (f"signed out rcruz: tokens revoked at {person.provider.issuer} and removed from this "
                           "machine\n")
    assert not person.token_file.exists()
    # The refresh token no longer works at the provider (RFC 7009), asked directly:
    token_endpoint = httpx.get(f"{person.provider.issuer}/.well-known/openid-configuration").json()["token_endpoint"]
    answer = httpx.post(token_endpoint, data={"grant_type": "refresh_token", "refresh_token": kept.refresh_token,
                                              "client_id": "les-cli"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    for command in (("whoami",), ("token",)):
        after = person.run(*command)
        assert after.returncode == 1
        assert after.stderr == "starter: no one is signed in on this machine; run `starter.py login USER`\n"
    assert person.run("logout").stdout == "no one is signed in on this machine\n"


def test_an_expired_access_token_is_renewed_with_the_refresh_token(tmp_path, short_lived_oidc, database_url,
                                                                   prepared_store):
    person = Person(tmp_path, short_lived_oidc, database_url)
    assert person.login("tnguyen").returncode == 0
    first = json.loads(person.token_file.read_text())
    time.sleep(max(0.0, first["expires_at"] + 1 - time.time()))
    printed = person.run("token")
    assert printed.returncode == 0, printed.stderr
    renewed = printed.stdout.strip()
    assert renewed != first["access_token"]
    assert TokenVerifier(short_lived_oidc.settings, leeway=0).verify(renewed).subject == "tnguyen"
    second = json.loads(person.token_file.read_text())
    assert second["refresh_token"] != first["refresh_token"]  # public clients' refresh tokens rotate
    assert stat.S_IMODE(person.token_file.stat().st_mode) == 0o600


def test_concurrent_renewals_use_the_refresh_token_once(tmp_path, short_lived_oidc):
    """Rotated refresh tokens may be used once: two commands renewing at the same moment must not
    both use it (the provider would revoke the whole grant)."""
    state = tmp_path / "state"
    settings = short_lived_oidc.settings
    from console.login import SessionStore

    SessionStore(state).save(OidcClient(settings).sign_in_with_password("jdoe", "jdoe-dev"))
    time.sleep(max(0.0, SessionStore(state).load().expires_at + 1 - time.time()))
    start, results = threading.Barrier(4), []

    def renew() -> None:
        start.wait()
        results.append(current_token(state, settings))

    threads = [threading.Thread(target=renew) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert TokenVerifier(settings, leeway=0).verify(results[0]).subject == "jdoe"


def test_a_session_of_another_provider_is_not_used(person, oidc_provider):
    assert person.login("jdoe").returncode == 0
    other = f"http://127.0.0.1:{free_port()}"
    done = person.run("token", env={"LES_OIDC_ISSUER": other})
    assert done.returncode == 1
    assert done.stderr == (f"starter: the session on this machine is for {oidc_provider.issuer} (les-orchestrator), "
                           f"not for {other} (les-orchestrator); run `starter.py login USER`\n")


def test_an_unreachable_provider_exits_3_in_words(person):
    down = f"http://127.0.0.1:{free_port()}"
    done = person.run("login", "jdoe", "--password-stdin", stdin="jdoe-dev\n", env={"LES_OIDC_ISSUER": down})
    assert done.returncode == 3
    assert done.stderr == (f"starter: the OIDC provider {down} cannot be reached for its discovery document "
                           "(ConnectError); is it running?\n")


def test_a_remote_provider_never_takes_a_password_from_the_command_line(person):
    done = person.run("login", "jdoe", "--password-stdin", stdin="jdoe-dev\n",
                      env={"LES_OIDC_ISSUER": "https://sso.carrier.example/realms/les"})
    assert done.returncode == 2
    assert "passwords are typed at the provider, never given to this command" in done.stderr


def test_device_sign_in_shows_the_code_and_completes_when_the_person_confirms(person):
    process = subprocess.Popen([sys.executable, str(REPO / "starter.py"), "login", "dokafor", "--device"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=person.env, cwd=REPO)
    try:
        first = process.stdout.readline()
        assert first.startswith(f"To sign in, open {person.provider.issuer}/device?user_code=")
        second = process.stdout.readline()
        user_code = first.split("user_code=")[1].strip()
        assert second == f"and confirm the code {user_code} (valid 10 minutes).\n"
        page = approve_device_code(first.split("open ")[1].strip(), "dokafor")
        assert "The command line is signed in" in page.text
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert out.startswith(f"signed in as dokafor at {person.provider.issuer}")
    assert person.run("whoami").stdout.splitlines()[2] == "  roster: roles auditor, cleared"


def test_device_sign_in_approved_by_someone_else_is_refused(person):
    process = subprocess.Popen([sys.executable, str(REPO / "starter.py"), "login", "tnguyen", "--device"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=person.env, cwd=REPO)
    try:
        first = process.stdout.readline()
        approve_device_code(first.split("open ")[1].strip(), "jdoe")
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1
    assert err == "starter: the provider signed in 'jdoe', not 'tnguyen'; nothing was kept\n"
    assert not person.token_file.exists()



def test_ctrl_c_while_waiting_for_the_device_code_stops_in_words(person):
    from tests.cli_support import interrupted

    code, out, err = interrupted(["login", "jdoe", "--device"], person.env, lambda process: process.stdout.readline())
    assert out.startswith("To sign in, open ")
    assert code == 130  # interrupted, as every command says it (console/errors.py)
    assert err == "starter: interrupted; nothing was changed\n"
    assert not person.token_file.exists()


def test_a_damaged_session_file_is_said_and_can_be_replaced(person):
    assert person.login("jdoe").returncode == 0
    person.token_file.write_text("{not json")
    done = person.run("token")
    assert done.returncode == 1
    assert done.stderr == (f"starter: {person.token_file} is not a session this command wrote (JSONDecodeError); "
                           "run `starter.py login USER` again\n")
    assert person.login("asmith").returncode == 0
    assert person.run("whoami").stdout.startswith("asmith, signed in")
    person.token_file.write_text('{"subject": "x"}')
    assert person.run("logout").stdout == f"removed {person.token_file}, which held no session this command wrote\n"
    assert not person.token_file.exists()
