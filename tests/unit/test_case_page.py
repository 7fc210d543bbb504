"""The case's own page and static summary (domain/case_page.py), who a case waits for, the
manifest's targets and the collection's names, as pure functions: no server, no store.

Pages are written out whole, by hand, from the page's rules (issue 10: the stage, who the case
waits for and by when, categories with reasons, decisions by staff, the latest manifest hash;
NSL and FISA cases show no categories, notes or refusal reasons: LEGAL.md). Part of
bench/mutation.py's fast list."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.case import CaseState, Resolution
from domain.case_machine import Case
from domain.case_page import case_page, static_summary, time_left, waiting_line
from domain.collection import DeliveryType, delivery_type_for, task_xid
from domain.contracts import Delivery, InvoiceSummary
from domain.findings import Refusal
from domain.targets import TargetMatch, TargetProblem, TargetResolution, manifest_targets, utc_text
from domain.vocabulary import RequestType, Role
from tests.workflow_support import example

T = RequestType
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
DENVER = timezone(timedelta(hours=-7))


def at(state: str, request_type: str = "subpoena", **fields) -> Case:
    """A case put straight into a state (as continue-as-new would carry it)."""
    return Case(request_id="LES-2026-000105", request_type=request_type, state=CaseState(state),
                received_at=NOW - timedelta(days=4), **fields)


# --- time left ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(days=1), "1 d 0 h left"),
    (timedelta(days=3, hours=23, minutes=59), "3 d 23 h left"),
    (timedelta(days=20, hours=9, minutes=5), "20 d 9 h left"),
    (timedelta(hours=23, minutes=59, seconds=59), "23 h 59 min left"),
    (timedelta(hours=1), "1 h 0 min left"),
    (timedelta(hours=1, minutes=59, seconds=59), "1 h 59 min left"),
    (timedelta(hours=5, minutes=10), "5 h 10 min left"),
    (timedelta(minutes=59, seconds=59), "59 min left"),
    (timedelta(minutes=7), "7 min left"),
    (timedelta(0), "0 min left"),
    (-timedelta(seconds=1), "passed 0 min ago"),
    (-timedelta(minutes=45), "passed 45 min ago"),
    (-timedelta(hours=2, minutes=5), "passed 2 h 5 min ago"),
    (-timedelta(days=2, hours=1), "passed 2 d 1 h ago"),
    (-timedelta(days=1), "passed 1 d 0 h ago"),
])
def test_the_time_left_reads_in_days_hours_and_minutes(delta, text):
    assert time_left(NOW + delta, NOW) == text


# --- who the case waits for --------------------------------------------------------------------

def test_who_each_state_waits_for():
    assert at("awaiting_approval", "title3_wiretap",
              approvals_required=[Role.ANALYST, Role.LEGAL]).waiting_for() == ["analyst", "legal"]
    approved = at("awaiting_approval", approvals_required=[Role.ANALYST], approvals={"analyst": "jdoe"},
                  production_not_before=NOW + timedelta(days=10))
    assert approved.waiting_for() == ["none"]
    assert at("awaiting_fee_acceptance", "customer_call_lookup").waiting_for() == ["customer"]
    assert at("awaiting_info", "customer_call_lookup").waiting_for() == ["customer"]
    assert at("awaiting_info", "subpoena").waiting_for() == ["analyst"]
    assert at("awaiting_callback", "emergency").waiting_for() == ["analyst"]
    for state in ("verifying", "retrieving", "preserved", "collecting", "awaiting_follow_up", "closed"):
        assert at(state).waiting_for() == ["none"], state


def test_the_waiting_line():
    two = at("awaiting_approval", "title3_wiretap", approvals_required=[Role.ANALYST, Role.LEGAL])
    assert waiting_line(two) == ("**Waits for:** analyst, legal: approval by analyst (approve / reject / "
                                 "request_info); approval by legal (approve / reject / request_info)")
    approved = at("awaiting_approval", approvals_required=[Role.ANALYST], approvals={"analyst": "jdoe"},
                  production_not_before=datetime(2026, 12, 4, 15, 0, tzinfo=UTC))
    assert waiting_line(approved) == ("**Waits for:** none: production waits for the customer notice period "
                                      "until 2026-12-04T15:00:00+00:00")
    assert waiting_line(at("retrieving")) == "**Waits for:** none: the system is working on it"
    assert waiting_line(at("awaiting_info", open_question="which unit?")) == (
        "**Waits for:** analyst: provide_info: answer from the requester to: which unit?")
    closed = at("closed", resolution=Resolution.WITHDRAWN)
    assert waiting_line(closed) == "**Waits for:** none: closed as withdrawn"


# --- the page ----------------------------------------------------------------------------------

REFUSED = [Refusal(category="voicemail_content", reason="content needs a search warrant (2703(a))"),
           Refusal(category="cell_site_location", reason="historical location needs a warrant (Carpenter)")]


def decided(case: Case, count: int) -> Case:
    for n in range(count):
        case.record("request_info", NOW - timedelta(hours=count - n), actor=f"a{n}", role="analyst",
                    note=f"n{n}", via="signal")
    return case


def test_a_closed_subpoena_shows_everything_in_order():
    case = at("awaiting_approval", approvals_required=[Role.ANALYST], approvals={"analyst": "jdoe"})
    case.record("approve", NOW - timedelta(hours=2), actor="mlee", role="legal", accepted=False,
                reason="legal does not approve a subpoena", note="trying", via="update")
    case.record("approve", NOW - timedelta(hours=1), actor="jdoe", role="analyst", note="in order", via="signal")
    case.record("retrieved", NOW - timedelta(minutes=30))  # the system's own step: not a decision
    case.close(Resolution.DELIVERED, "delivered to the requester")
    deliveries = [Delivery(production_id="LES-2026-000105-P01", path="/d/1", manifest_sha256="ab" * 32,
                           delivered_at=NOW - timedelta(days=1)),
                  Delivery(production_id="LES-2026-000105-P02", path="/d/2", manifest_sha256="cd" * 32,
                           delivered_at=datetime(2026, 11, 24, 8, 0, tzinfo=DENVER))]
    invoice = InvoiceSummary(request_id="LES-2026-000105", total_cents=7050, currency="USD", line_count=5,
                             basis="18 U.S.C. 2706(a)")
    page = case_page(
        case, NOW,
        deadlines={"response_due": NOW + timedelta(days=14), "reminder_at": NOW + timedelta(days=11),
                   "nondisclosure_until": NOW + timedelta(days=90), "quote_due_at": NOW + timedelta(days=1)},
        permitted=["subscriber_info", "call_records_outgoing"], refused=REFUSED, productions=deliveries,
        invoice=invoice, overdue=True, facts=["**Hold:** none"])
    assert page == (
        "### Subpoena LES-2026-000105\n\n"
        "**Stage:** closed (delivered)\n\n"
        "**Waits for:** none: closed as delivered\n\n"
        "**Closing note:** delivered to the requester\n\n"
        "**OVERDUE:** the response date passed with the case open; supervisors were told.\n\n"
        "**Deadlines** (as of 2026-11-24 15:00 UTC):\n\n"
        "- quote due at: 2026-11-25 15:00 UTC\n"
        "- reminder to the analyst: 2026-12-05 15:00 UTC\n"
        "- response due: 2026-12-08 15:00 UTC\n"
        "- no customer notice until: 2027-02-22 15:00 UTC\n\n"
        "**Permitted:** subscriber_info, call_records_outgoing\n\n"
        "**Refused:**\n\n"
        "- voicemail_content: content needs a search warrant (2703(a))\n"
        "- cell_site_location: historical location needs a warrant (Carpenter)\n\n"
        "**Approvals:** analyst by jdoe\n\n"
        "**Hold:** none\n\n"
        "**Decisions so far:**\n\n"
        "- 2026-11-24 13:00 UTC approve by mlee (legal), refused: legal does not approve a subpoena\n"
        "- 2026-11-24 14:00 UTC approve by jdoe (analyst), accepted — in order\n\n"
        "**Latest production:** LES-2026-000105-P02, delivered 2026-11-24T08:00:00-07:00, "
        f"manifest SHA-256 `{'cd' * 32}`\n\n"
        "**Invoice:** 70.50 USD (18 U.S.C. 2706(a))\n"
    )


def test_an_open_case_gives_the_time_left_and_a_deadline_in_its_own_zone():
    # Due 2026-12-10T17:00-07:00 = 2026-12-11T00:00Z: 16 days and 9 hours after 2026-11-24T15:00Z.
    case = at("awaiting_approval", approvals_required=[Role.ANALYST])
    page = case_page(case, NOW, deadlines={"response_due": datetime(2026, 12, 10, 17, 0, tzinfo=DENVER)},
                     permitted=[], refused=[])
    assert page == (
        "### Subpoena LES-2026-000105\n\n"
        "**Stage:** awaiting approval\n\n"
        "**Waits for:** analyst: approval by analyst (approve / reject / request_info)\n\n"
        "**Deadlines** (as of 2026-11-24 15:00 UTC):\n\n"
        "- response due: 2026-12-10T17:00:00-07:00 (16 d 9 h left)\n\n"
        "**Permitted:** nothing\n\n"
        "**Approvals:** analyst: awaited\n"
    )


def test_before_verification_the_page_names_no_category():
    page = case_page(at("verifying"), NOW, deadlines={}, permitted=None, refused=[])
    assert page == ("### Subpoena LES-2026-000105\n\n**Stage:** verifying the legal process\n\n"
                    "**Waits for:** none: the system is working on it\n")


@pytest.mark.parametrize("request_type", [T.NATIONAL_SECURITY_LETTER, T.FISA_ORDER])
def test_a_secret_case_shows_counts_and_no_reasons_or_notes(request_type):
    case = at("awaiting_approval", request_type, approvals_required=[Role.ANALYST, Role.LEGAL],
              approvals={"analyst": "tnguyen"})
    case.record("approve", NOW - timedelta(hours=2), actor="tnguyen", role="analyst", note="the letter is signed",
                via="signal")
    case.record("approve", NOW - timedelta(hours=1), actor="tnguyen", role="legal", accepted=False,
                reason="one person cannot approve twice", via="signal")
    page = case_page(case, NOW, deadlines={"response_due": NOW + timedelta(hours=5, minutes=10),
                                           "nondisclosure_until": NOW - timedelta(days=1)},
                     permitted=["subscriber_info", "call_records_outgoing"], refused=REFUSED[:1])
    name = {"national_security_letter": "NationalSecurityLetter", "fisa_order": "FisaOrder"}[request_type]
    assert page == (
        f"### {name} LES-2026-000105\n\n"
        "**Stage:** awaiting approval\n\n"
        "**Waits for:** legal: approval by legal (cleared) (approve / reject / request_info)\n\n"
        "**Secrecy:** binds until a court orders otherwise (statute; no end date)\n\n"
        "**Deadlines** (as of 2026-11-24 15:00 UTC):\n\n"
        "- response due: 2026-11-24 20:10 UTC (5 h 10 min left)\n\n"
        "**Categories:** 2 permitted, 1 refused (named only to cleared actors: `starter.py status`)\n\n"
        "**Approvals:** analyst by tnguyen; legal: awaited\n\n"
        "**Decisions so far:**\n\n"
        "- 2026-11-24 13:00 UTC approve by tnguyen (analyst), accepted\n"
        "- 2026-11-24 14:00 UTC approve by tnguyen (legal), refused\n"
    )


def test_a_closed_secret_case_keeps_its_closing_note_and_categories_to_itself():
    case = at("closed", T.NATIONAL_SECURITY_LETTER, resolution=Resolution.REJECTED_ON_VERIFICATION,
              closing_note="signed by an agent outside 2709(b)")
    assert case_page(case, NOW, deadlines={}, permitted=None, refused=[]) == (
        "### NationalSecurityLetter LES-2026-000105\n\n"
        "**Stage:** closed (rejected_on_verification)\n\n"
        "**Waits for:** none: closed as rejected_on_verification\n\n"
        "**Secrecy:** binds until a court orders otherwise (statute; no end date)\n"
    )


@pytest.mark.parametrize("request_type", [T.PEN_REGISTER, T.TITLE3_WIRETAP])
def test_surveillance_secrecy_has_no_end_date_and_hides_the_gag_date(request_type):
    case = at("collecting", request_type)
    page = case_page(case, NOW, deadlines={"nondisclosure_until": NOW + timedelta(days=3)},
                     permitted=["pen_trap"], refused=[])
    assert "**Secrecy:** binds until a court orders otherwise (statute; no end date)\n" in page
    assert "Deadlines" not in page and "no customer notice" not in page
    assert "**Permitted:** pen_trap\n" in page


# --- a case awaiting approval, its page whole ---------------------------------------------------


def awaiting(request_type: RequestType, **fields) -> Case:
    case = Case(request_id="LES-2026-000105", request_type=request_type, received_at=NOW)
    case.verified(rejection=None)
    return case.model_copy(update=fields)


NSL_REFUSED = [Refusal(category="billing_records", reason="needs a 2703(d) order")]


def test_an_nsl_page_says_who_and_when_but_not_what_was_sought():
    case = awaiting(RequestType.NATIONAL_SECURITY_LETTER, approvals={"analyst": "tnguyen"})
    page = case_page(case, NOW, deadlines={"response_due": NOW + timedelta(days=14),
                                           "nondisclosure_until": NOW - timedelta(days=1)},
                     permitted=["subscriber_info", "call_records_outgoing"], refused=NSL_REFUSED)

    assert page == (
        "### NationalSecurityLetter LES-2026-000105\n\n"
        "**Stage:** awaiting approval\n\n"
        "**Waits for:** legal: approval by legal (cleared) (approve / reject / request_info)\n\n"
        "**Secrecy:** binds until a court orders otherwise (statute; no end date)\n\n"
        "**Deadlines** (as of 2026-11-24 15:00 UTC):\n\n"
        "- response due: 2026-12-08 15:00 UTC (14 d 0 h left)\n\n"
        "**Categories:** 2 permitted, 1 refused (named only to cleared actors: `starter.py status`)\n\n"
        "**Approvals:** analyst by tnguyen; legal: awaited\n"
    )


def test_a_subpoena_page_names_its_categories_reasons_and_latest_production():
    case = awaiting(RequestType.SUBPOENA)
    case.approvals["analyst"] = "jdoe"
    case.record("approve", NOW, actor="jdoe", role="analyst", note="in order", via="signal")
    case.close("delivered", "/deliveries/LES-2026-000105-P01")
    delivery = Delivery(production_id="LES-2026-000105-P01", path="/deliveries/x", manifest_sha256="ab" * 32,
                        delivered_at=NOW)
    page = case_page(case, NOW, deadlines={"response_due": NOW + timedelta(days=14)},
                     permitted=["subscriber_info"], refused=NSL_REFUSED, productions=[delivery])

    assert "**Stage:** closed (delivered)\n\n**Waits for:** none: closed as delivered\n" in page
    assert "- response due: 2026-12-08 15:00 UTC\n" in page  # no time left on a closed case
    assert "**Permitted:** subscriber_info\n\n**Refused:**\n\n- billing_records: needs a 2703(d) order\n" in page
    assert "- 2026-11-24 15:00 UTC approve by jdoe (analyst), accepted — in order\n" in page
    assert ("**Latest production:** LES-2026-000105-P01, delivered 2026-11-24 15:00 UTC, "
            f"manifest SHA-256 `{'ab' * 32}`") in page


def test_a_hold_shows_its_renewed_lapse_only_and_what_it_preserves():
    case = at("preserved", T.PRESERVATION)
    page = case_page(case, NOW, deadlines={"expires_at": NOW + timedelta(days=80),
                                           "hold_expires_at": NOW + timedelta(days=170),
                                           "fee_quote_expires_at": NOW + timedelta(days=2),
                                           "follow_up_legal_process_due": NOW + timedelta(hours=30)},
                     permitted=["subscriber_info"], refused=[])
    assert page == (
        "### Preservation LES-2026-000105\n\n"
        "**Stage:** records preserved (hold in place)\n\n"
        "**Waits for:** none: records are held; record_extension (one renewal) or withdraw to release\n\n"
        "**Deadlines** (as of 2026-11-24 15:00 UTC):\n\n"
        "- follow-up legal process due: 2026-11-25 21:00 UTC (1 d 6 h left)\n"
        "- fee quote lapses: 2026-11-26 15:00 UTC (2 d 0 h left)\n"
        "- hold lapses: 2027-05-13 15:00 UTC (170 d 0 h left)\n\n"
        "**To preserve:** subscriber_info\n"
    )
    alone = case_page(case, NOW, deadlines={"expires_at": NOW + timedelta(days=80)}, permitted=[], refused=[])
    assert "- hold lapses: 2027-02-12 15:00 UTC (80 d 0 h left)\n" in alone


def test_only_the_latest_eight_decisions_are_listed():
    page = case_page(decided(at("retrieving"), 10), NOW, deadlines={}, permitted=[], refused=[])
    listed = page.split("**Decisions so far:**\n\n")[1].splitlines()
    assert listed == ["- … 2 earlier (all in the `status` query)"] + [
        f"- 2026-11-24 {15 - 10 + n:02d}:00 UTC request_info by a{n} (analyst), accepted — n{n}" for n in range(2, 10)]
    exactly = case_page(decided(at("retrieving"), 8), NOW, deadlines={}, permitted=[], refused=[])
    assert "earlier" not in exactly and "request_info by a0 (analyst), accepted — n0" in exactly


@pytest.mark.parametrize(("state", "stage"), [
    ("awaiting_info", "awaiting the requester's answer"),
    ("awaiting_callback", "awaiting the callback to the agency"),
    ("awaiting_fee_acceptance", "awaiting the customer's acceptance of the fee"),
    ("retrieving", "retrieving the permitted records"),
    ("packaging", "packaging and certifying the production"),
    ("delivering", "delivering the production"),
    ("billing", "billing"),
    ("provisioning", "provisioning the collection"),
    ("collecting", "collecting"),
    ("awaiting_follow_up", "produced; awaiting the follow-up legal process"),
])
def test_each_stage_is_named(state, stage):
    assert f"**Stage:** {stage}\n" in case_page(at(state), NOW, deadlines={}, permitted=None, refused=[])


# --- the static summary ------------------------------------------------------------------------

@pytest.mark.parametrize(("document", "summary"), [
    ({"type": "national_security_letter",
      "legal_process": {"instrument": "nsl", "issuer_kind": "fbi", "response_due": "2026-12-08T15:00:00Z"}},
     "national security letter · issued by fbi · due 2026-12-08"),
    ({"type": "subpoena", "legal_process": {"instrument": "grand_jury_subpoena", "issuer_kind": "grand_jury",
                                            "response_due": "2026-12-10T17:00:00-07:00"}},
     "subpoena · grand jury subpoena · due 2026-12-10"),
    ({"type": "search_warrant", "legal_process": {"instrument": "search_warrant", "issuer_kind": "court"}},
     "search warrant · issued by court"),
    ({"type": "court_order", "legal_process": {"instrument": "2703d_order", "issuer_kind": "court",
                                               "response_due": "2026-12-31T23:00:00Z"}},
     "court order · 2703d order · issued by court · due 2026-12-31"),
    ({"type": "emergency", "legal_process": "none yet"},
     "emergency · 18 U.S.C. 2702(c)(4), legal process to follow"),
    ({"type": "customer_call_lookup", "legal_process": None}, "customer call lookup · the customer's own request"),
    ({"type": "subpoena", "legal_process": {"response_due": "soon"}}, "subpoena"),
    ({"type": None}, "request"),
    ({}, "request"),
])
def test_the_static_summary_names_the_type_the_process_and_the_due_date_only(document, summary):
    assert static_summary(document) == summary


def test_the_static_summary_of_the_examples_names_the_type_the_process_and_the_due_date_only():
    document = example("national_security_letter", "LES-2026-000105")
    assert static_summary(document) == "national security letter · issued by fbi · due 2026-12-08"
    assert static_summary(example("subpoena", "LES-2026-000101")) == "subpoena · grand jury subpoena · due 2026-12-10"
    assert static_summary(example("emergency", "LES-2026-000106")) == (
        "emergency · 18 U.S.C. 2702(c)(4), legal process to follow")
    assert static_summary({"type": "subpoena", "legal_process": {"response_due": "soon"}}) == "subpoena"


# --- the manifest's targets --------------------------------------------------------------------

def test_the_manifest_lists_each_target_as_named_and_what_it_matched():
    targets = [{"kind": "phone_number", "value": "+13035550123", "note": "not copied"},
               {"kind": "phone_number", "value": "+13035550199"},
               {"kind": "ip_address", "value": "192.0.2.7", "observed_at": "2026-06-01T12:00:00Z", "port": 5000}]
    assert manifest_targets(targets, None) == [
        {"kind": "phone_number", "value": "+13035550123"},
        {"kind": "phone_number", "value": "+13035550199"},
        {"kind": "ip_address", "value": "192.0.2.7", "observed_at": "2026-06-01T12:00:00Z", "port": 5000},
    ]
    resolution = TargetResolution(searched_at=NOW, period_start=None, period_end=None, targets=[
        TargetMatch(index=0, kind="phone_number", value="+13035550123", accounts=["ACC-1", "ACC-2"]),
        TargetMatch(index=1, kind="phone_number", value="+13035550199", problem=TargetProblem.NOT_FOUND),
    ])
    assert manifest_targets(targets, resolution) == [
        {"kind": "phone_number", "value": "+13035550123", "accounts": ["ACC-1", "ACC-2"], "produced": True},
        {"kind": "phone_number", "value": "+13035550199", "accounts": [], "produced": False,
         "problem": "target_not_found",
         "reason": "the number was not assigned to any subscriber of the carrier during the period"},
        {"kind": "ip_address", "value": "192.0.2.7", "observed_at": "2026-06-01T12:00:00Z", "port": 5000},
    ]


def test_target_times_are_written_in_utc(monkeypatch):
    monkeypatch.setenv("TZ", "America/Denver")  # a host in another zone must not change the text
    time.tzset()
    try:
        assert utc_text(datetime(2026, 6, 1, 6, 0, 5, tzinfo=DENVER)) == "2026-06-01T13:00:05Z"
    finally:
        monkeypatch.undo()
        time.tzset()


# --- the collection's names --------------------------------------------------------------------

@pytest.mark.parametrize(("categories", "delivery"), [
    (["pen_trap"], DeliveryType.X2_ONLY),
    (["pen_trap", "subscriber_info"], DeliveryType.X2_ONLY),
    (["intercept_content"], DeliveryType.X2_AND_X3),
    (("pen_trap", "intercept_content"), DeliveryType.X2_AND_X3),
])
def test_content_is_delivered_only_when_permitted(categories, delivery):
    assert delivery_type_for(categories) is delivery
    assert str(delivery) == {DeliveryType.X2_ONLY: "X2Only", DeliveryType.X2_AND_X3: "X2andX3"}[delivery]


@pytest.mark.parametrize("categories", [[], ["subscriber_info", "cell_site_location"]])
def test_nothing_prospective_is_nothing_to_collect(categories):
    with pytest.raises(ValueError, match=r"^no prospective category \(pen_trap or intercept_content\) to collect$"):
        delivery_type_for(categories)


def test_a_task_xid_is_the_same_for_the_same_request_and_serial():
    # UUIDv5 in namespace 5c6f1f4e-3b53-4f0e-9d7a-2b8f4d1e6a10 of "LES-2026-000104/<serial>".
    namespace = uuid.UUID("5c6f1f4e-3b53-4f0e-9d7a-2b8f4d1e6a10")
    assert task_xid("LES-2026-000104") == str(uuid.uuid5(namespace, "LES-2026-000104/1"))
    assert task_xid("LES-2026-000104", 2) == str(uuid.uuid5(namespace, "LES-2026-000104/2"))
    assert task_xid("LES-2026-000104", 1) != task_xid("LES-2026-000105", 1)


@pytest.mark.parametrize(("serial", "shown"), [(0, "0"), (-1, "-1"), (True, "True"), ("1", "'1'")])
def test_a_task_serial_is_a_positive_integer(serial, shown):
    with pytest.raises(ValueError, match=f"^a task serial is a positive integer, not {shown}$"):
        task_xid("LES-2026-000104", serial)


# --- the terminal: `status` and the audit timeline share the page's renderer -----------------------

def status_of(**fields):
    from domain.case import CaseStatus
    from domain.contracts import CaseEvent

    decided = CaseEvent(request_id="LES-2026-000105", seq=2, at=NOW, name="customer_accepts_fee", actor="jdoe",
                        role="analyst", via="update", note="by phone", details={"quote_id": "Q-1"})
    base = dict(request_id="LES-2026-000105", request_type="subpoena", state="awaiting_approval", open_tasks=[],
                deadlines={"response_due": NOW}, overdue=False, reminded=False, verdict="accept",
                permitted=["subscriber_info"], refused=[], problems=[], approvals_required=["analyst"], approvals={},
                history=[decided], production=None, invoice=None, resolution=None)
    return CaseStatus.model_validate({**base, **fields})


def test_status_shows_checks_and_targets_once_in_their_own_lines():
    from domain.case_page import status_text

    text = status_text(status_of(details={
        "pending_checks": {"documents_on_file": "on file"},
        "targets": [{"index": 0, "kind": "account_number", "value": "CL-1", "accounts": ["CL-1"]}]}))
    assert text == (
        "subpoena LES-2026-000105: awaiting_approval\n"
        "verdict: accept; permitted: subscriber_info\n"
        "checked: documents_on_file: on file\n"
        "targets:\n"
        "  - targets[0] account_number CL-1: CL-1\n"
        "open tasks: none\n"
        "deadlines:\n"
        "  - response_due: 2026-11-24T15:00:00Z\n"
        "history:\n"
        "    2. 2026-11-24 15:00:00Z customer_accepts_fee by jdoe/analyst via update [quote_id=Q-1] — by phone")


def test_the_invoice_and_who_decided_read_the_same_on_the_page_in_status_and_in_the_timeline():
    from domain.case_page import status_text, timeline_line

    invoice = InvoiceSummary(request_id="LES-2026-000105", total_cents=4250, currency="USD", line_count=2,
                             basis="2 searches")
    status = status_of(invoice=invoice.model_dump())
    page = case_page(at("billing"), NOW, deadlines={}, permitted=[], refused=[], invoice=invoice)
    assert "**Invoice:** 42.50 USD (2 searches)" in page
    assert status_text(status).endswith("\ninvoice: 42.50 USD (2 searches)")
    assert timeline_line(status.history[0]) == (
        "2026-11-24 15:00:00Z  #2 customer_accepts_fee by jdoe/analyst via update: accepted; quote_id=Q-1 — by phone")


def test_a_restricted_case_shows_its_state_and_response_date_and_nothing_else():
    from domain.case_page import restricted_text

    assert restricted_text("national_security_letter", "LES-NSL-1", "awaiting_approval", overdue=True, due=NOW,
                           person="jdoe") == (
        "national_security_letter LES-NSL-1: awaiting_approval — OVERDUE\n"
        "deadlines:\n"
        "  - response_due: 2026-11-24T15:00:00Z\n"
        "contents withheld: a national security case is shown only to cleared people (jdoe, signed in, is not a "
        "cleared person on the roster)")
