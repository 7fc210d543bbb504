"""The seal keys (les/seals.py): made private, rotated, and a worker that holds none refuses to start."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from domain.seals import open_envelope
from les.seals import SealError, SealRefused, add_seal_key, ensure_seal_keys, load_public_keys, load_sealing_key, seal
from les.seals import verify as verify_seal
from tests.conftest import REPO, environ_without_les


def test_seal_keys_are_private_and_a_rotation_signs_with_the_newest_while_older_seals_verify(tmp_path):
    folder = tmp_path / "seal"
    assert ensure_seal_keys(folder) == "seal-v1" and ensure_seal_keys(folder) is None
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert oct((folder / "seal-v1.key").stat().st_mode & 0o777) == "0o600"
    old = seal({"case": "C-1", "role": "analyst"}, person="jdoe", case="C-1", compartment="general",
               key=load_sealing_key(folder))
    assert add_seal_key(folder) == "seal-v2"
    newest = load_sealing_key(folder)
    assert newest.key_id == "seal-v2" and "secret" not in repr(newest).lower()
    new = seal({"case": "C-1", "role": "analyst"}, person="jdoe", case="C-1", compartment="general", key=newest)
    keys = load_public_keys(folder)
    assert sorted(keys) == ["seal-v1", "seal-v2"]
    verify_seal(old, keys)
    verify_seal(new, keys)
    assert open_envelope(new)[0].key == "seal-v2"
    with pytest.raises(SealRefused, match="names key 'seal-v1', which the worker does not hold"):
        verify_seal(old, {"seal-v2": keys["seal-v2"]})


def test_a_private_seal_key_readable_by_others_is_refused(tmp_path):
    folder = tmp_path / "seal"
    ensure_seal_keys(folder)
    (folder / "seal-v1.key").chmod(0o644)
    with pytest.raises(SealError, match=r"readable by others \(mode 0644\); `chmod 600"):
        load_sealing_key(folder)


def test_a_seal_over_other_content_or_moment_does_not_verify(tmp_path):
    folder = tmp_path / "seal"
    ensure_seal_keys(folder)
    envelope = seal({"case": "C-1", "role": "analyst", "note": "in order"}, person="jdoe", case="C-1",
                    compartment="general", key=load_sealing_key(folder), at=datetime(2026, 12, 7, tzinfo=UTC))
    keys = load_public_keys(folder)
    for field, value in (("person", "rcruz"), ("at", "2026-12-07T00:04:00.000000Z"), ("case", "C-2"),
                         ("compartment", "natsec")):
        moved = {"seal": {**envelope["seal"], field: value}, "decision": envelope["decision"]}
        with pytest.raises(SealRefused, match="signature does not verify"):
            verify_seal(moved, keys)
    changed = {"seal": envelope["seal"], "decision": {**envelope["decision"], "role": "legal"}}
    with pytest.raises(SealRefused, match="signature does not verify"):
        verify_seal(changed, keys)


def test_a_worker_without_a_seal_key_refuses_to_start_in_one_line(tmp_path, keyring_dir):
    empty = tmp_path / "no-seal"
    empty.mkdir()
    shown = subprocess.run([sys.executable, str(REPO / "worker.py")], capture_output=True, text=True, timeout=60,
                           cwd=REPO, env={**environ_without_les(), "LES_STATE_DIR": str(tmp_path / "state"),
                                          "LES_KEYRING_DIR": str(keyring_dir),
                                          "LES_SEAL_PUBLIC_KEYS_DIR": str(empty)})
    assert shown.returncode == 2, shown.stderr
    last = shown.stderr.splitlines()[-1]
    assert last + "\n" == (f"worker: no seal key in {empty} (seal-vN.pub): every person's decision would be refused "
                            "as not sealed by this product's codec servers; `python3 stack.py up` makes one, or set "
                            "LES_SEAL_PUBLIC_KEYS_DIR\n")
