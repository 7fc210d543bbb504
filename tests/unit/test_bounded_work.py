"""Bounded work per input (issue 23): each matcher and validator this engineer owns is fed a 1 MiB
adversarial value and finishes well under a second. The worst shapes are the ones that made the old
code quadratic: a 300,000-character domain against the directory (7.4 s), a long punycode label,
runs that a backtracking pattern re-scans from every start."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from domain.production import evaluated_cell, plain_signed_number
from domain.request import parse_request
from domain.requesters import (
    DOMAIN_MAX,
    LABEL_MAX,
    LOOKALIKE_DOMAIN,
    QUOTED,
    DirectoryAgency,
    agency_key,
    edit_distance,
    email_domain,
    lookalike,
    requester_problems,
    skeleton,
    unicode_domain,
)
from recordstore.textcopy import scan_file
from tests.workflow_support import example

MIB = 1 << 20
WELL_UNDER_A_SECOND = 0.5
DIRECTORY = [
    DirectoryAgency("Denver Police Department", ("denvergov.org",), ("+17205550100",)),
    DirectoryAgency("Federal Bureau of Investigation", ("fbi.gov", "ic.fbi.gov"), ("+12023243000",)),
    DirectoryAgency("Phoenix Police Department", ("phoenix.gov",), ("+16025346311",)),
]
REGISTERED = [d for agency in DIRECTORY for d in agency.domains]


def timed(work: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def near_miss(length: int) -> str:
    """`fbi.gov` with words around it, repeated: every comparison's worst case before the length check."""
    return ("rn" * (length // 2 - 4))[: length - 8] + "-fbi.gov"


LOOKALIKE_INPUTS = {
    "one label": "a" * MIB + ".gov",
    "many labels": "a." * (MIB // 2) + "gov",
    "punycode label": "xn--" + "a" * MIB + ".gov",
    "confusable pairs": near_miss(MIB),
    "cyrillic": "\u0456" * MIB + ".gov",
}


@pytest.mark.parametrize("name", sorted(LOOKALIKE_INPUTS))
def test_a_1_mib_domain_is_refused_by_its_length_before_any_comparison(name):
    domain = LOOKALIKE_INPUTS[name]
    reason, elapsed = timed(lambda: lookalike(domain, REGISTERED))
    assert elapsed < WELL_UNDER_A_SECOND, f"{name}: {elapsed:.3f} s"
    assert reason == f"{domain[:QUOTED]}\u2026 is {len(domain)} characters long; a domain has at most 253 (RFC 1035)"


def test_the_domain_limits_at_their_boundary_and_one_past():
    label = "a" * LABEL_MAX
    assert lookalike(f"{label}.example.org", REGISTERED) is None
    assert lookalike(f"{label}a.example.org", REGISTERED) == (
        f"{label}a.example.org has a label of 64 characters; a label has at most 63 (RFC 1035)")
    longest = ".".join(["b" * 61] * 4) + ".org"  # 4 x 61 + 4 dots + "org" = 251
    longest += "x" * (DOMAIN_MAX - len(longest))
    assert len(longest) == DOMAIN_MAX and lookalike(longest, REGISTERED) is None
    assert lookalike(longest + "y", REGISTERED) == (
        f"{longest[:QUOTED]}\u2026 is 254 characters long; a domain has at most 253 (RFC 1035)")


def test_a_1_mib_requester_email_is_a_fatal_problem_found_in_well_under_a_second():
    request = parse_request(example("subpoena", "BOUND-1"))
    huge = request.requester.model_copy(update={"email": "jane@" + near_miss(MIB),
                                                "agency": "Denver Police Department " * (MIB // 25)})
    problems, elapsed = timed(lambda: requester_problems(request.model_copy(update={"requester": huge}), DIRECTORY))
    assert elapsed < WELL_UNDER_A_SECOND, f"{elapsed:.3f} s"
    assert [p.code for p in problems] == [LOOKALIKE_DOMAIN, "requester_unknown_agency"]
    assert all(len(p.message) < 600 for p in problems)  # the value quoted by its first characters only


@pytest.mark.parametrize(("name", "work"), [
    ("email_domain", lambda: email_domain("a" * MIB + "@" + "b" * MIB)),
    ("email_domain of @s", lambda: email_domain("@" * MIB)),
    ("agency_key", lambda: agency_key(" \t a" * (MIB // 4))),
    ("skeleton", lambda: skeleton("\u0456rn" * (MIB // 3))),
    ("unicode_domain of labels", lambda: unicode_domain("xn--a." * (MIB // 6))),
    ("edit_distance banded", lambda: edit_distance("a" * MIB, "fbi.gov", limit=2)),
    ("evaluated_cell", lambda: evaluated_cell("=" + "A" * MIB)),
    ("plain_signed_number", lambda: plain_signed_number("+" + "1" * MIB + "x")),
])
def test_each_matcher_takes_a_1_mib_value_in_well_under_a_second(name, work):
    _, elapsed = timed(work)
    assert elapsed < WELL_UNDER_A_SECOND, f"{name}: {elapsed:.3f} s"


def test_the_banded_edit_distance_agrees_with_the_full_one_within_its_band():
    assert edit_distance("phoenx.gov", "phoenix.gov", limit=2) == 1
    assert edit_distance("fbi.gov", "fbl.gv", limit=2) == 2
    assert edit_distance("kitten", "sitting", limit=2) == 3  # over the band: limit + 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("a" * 300, "b" * 3, limit=2) == 3  # lengths alone say it: no table built


def test_a_production_file_of_1_mib_cells_is_scanned_in_well_under_a_second(tmp_path):
    path = tmp_path / "billing_records.csv"
    path.write_text("account_number,note\n" + "".join(
        f'CO-31004{i},"{("=" if i % 2 else "+") + "1" * (MIB // 4)}"\n' for i in range(4)))
    scan, elapsed = timed(lambda: scan_file(path))
    assert elapsed < WELL_UNDER_A_SECOND, f"{elapsed:.3f} s"
    assert scan.evaluated == {"note": 4} and scan.formulas == {"note": 2}
