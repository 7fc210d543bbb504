"""The papers beside a production: the "no responsive records" letter with little named, unresolved
targets as warnings, and the manifest's targets and letter."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from domain.vocabulary import RecordCategory, RequestType

T, C = RequestType, RecordCategory



NOW_UTC = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_a_letter_beside_a_production_with_little_named():
    from domain.letter import letter_text
    from domain.targets import TargetMatch, TargetProblem, TargetResolution

    denver = timezone(timedelta(hours=-7))
    resolution = TargetResolution(
        searched_at=datetime(2026, 11, 28, 2, 30, tzinfo=denver), period_start=None, period_end=None,
        targets=[TargetMatch(index=0, kind="account_number", value="ACC-9", accounts=["ACC-9"]),
                 TargetMatch(index=1, kind="email", value="x@example.org", problem=TargetProblem.NOT_FOUND)])
    text = letter_text(request={"request_id": "R-2", "type": "court_order"}, production_id="R-2-P01",
                       produced_at=datetime(2026, 11, 28, 20, 0, tzinfo=denver), resolution=resolution,
                       confirmed_by={"legal": "mlee", "analyst": "jdoe"}, produced_for_others=True,
                       custodian_name="Dana Whitfield", custodian_title="Custodian of Records",
                       carrier_name="Example Carrier")
    head, _, tail = text.partition("2. For these targets")
    assert head == """\
NO RESPONSIVE RECORDS
Letter of the custodian of records of Example Carrier

Request:            R-2 (court_order)
Legal process:      (none), issued by (not applicable)
Requester:          (not named), (no agency)
Records asked for:  (none)
Period searched:    the earliest record to the latest record
Searched at:        2026-11-28T09:30:00Z
Production:         R-2-P01, produced 2026-11-29T03:00:00Z

I, Dana Whitfield, Custodian of Records of Example Carrier, state that:

1. On 2026-11-28T09:30:00Z the carrier's systems of record were searched for each target
   below, as described beside it, for the period above.
"""
    assert "  targets[0]" not in tail and "  targets[1] email x@example.org\n" in tail
    assert "      found:    no subscriber account of the carrier has this email\n" in tail
    assert """
3. Records responsive to the request's other targets are produced in R-2-P01,
   under the certificate of authenticity delivered with them.
4. The result of the search was reviewed and confirmed by jdoe (analyst), mlee (legal) before this letter
   was issued.
""" in tail
    assert "\nExecuted on 2026-11-29.\n" in tail
    lonely = letter_text(request={}, production_id="R-3-P01", produced_at=NOW_UTC, resolution=resolution,
                         confirmed_by={}, produced_for_others=False, custodian_name="D", custodian_title="C",
                         carrier_name="E")
    assert "Request:            None (None)\n" in lonely
    assert "confirmed by (no one) before this letter" in lonely
    assert "\n3. No target of the request matched a subscriber: no records are produced in response to it.\n" in lonely


def test_unresolved_targets_are_warnings_naming_the_target_and_why():
    from domain.targets import TargetMatch, TargetProblem, TargetResolution

    resolution = TargetResolution(searched_at=NOW_UTC, period_start=None, period_end=None, targets=[
        TargetMatch(index=0, kind="phone_number", value="+13035550123", accounts=["ACC-1"]),
        TargetMatch(index=1, kind="ip_address", value="192.0.2.1", observed_at=NOW_UTC, port=5000,
                    subscribers_sharing=3, problem=TargetProblem.SHARED_ADDRESS)])
    assert [(p.code, p.message, p.fatal) for p in resolution.problems()] == [(
        "shared_address",
        "targets[1]: 192.0.2.1: the address was shared by 3 subscribers behind carrier-grade NAT at that "
        "instant and no subscriber's port block covers port 5000, so it names none of them; nothing is "
        "produced for it", False)]
    assert resolution.nothing_resolved is False


def test_the_manifest_lists_resolved_targets_and_the_letter_apart():
    from domain.production import manifest_bytes

    request = {"request_id": "R-1", "type": "subpoena", "targets": [{"kind": "phone_number", "value": "+13035550123"}]}
    common = {"request": request, "production_id": "R-1-P01", "produced_at": NOW_UTC, "files": [], "refused": [],
              "approved_by": {"analyst": "jdoe"}}
    plain = json.loads(manifest_bytes(**common))
    assert plain["targets"] == ["+13035550123"] and "no_responsive_records_letter" not in plain
    resolved = [{"kind": "phone_number", "value": "+13035550123", "accounts": [], "produced": False}]
    letter = {"file": "R-1-P01-no-responsive-records.txt", "sha256": "0" * 64}
    both = json.loads(manifest_bytes(**common, targets=resolved, letter=letter))
    assert both["targets"] == resolved and both["no_responsive_records_letter"] == letter
    assert json.loads(manifest_bytes(**common, targets=[]))["targets"] == []
