"""The adversarial corpus of the third edition (tests/cases/third_edition/): documents built to slip
through each rule LEGAL.md's third edition added, and a few that must still pass.

Each expectation is written by hand from LEGAL.md, SPEC §1-§2 and the statute cited beside it. Unless a
case says otherwise a document is received 2026-11-20T14:05Z, its process signed and entered
2026-11-19T10:00Z, due 2026-12-10T17:00Z; court papers come from "U.S. District Court, D. Colo." signed
"Hon. K. Judge"; a pen register states 60 days, a Title III order 30, an NSL is signed by a Special
Agent in Charge, a FISA order by "Hon. R. Collyer, Judge, FISC"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.verification import read_request_file, verify_request
from tests.unit.test_second_edition_cases import AL, AS, DUE, FATAL, WARNING, case, defect, observed

CORPUS = Path(__file__).resolve().parents[1] / "cases" / "third_edition"
NO_CLOCKS = {}
# 2518(5): entered 11-19T10:00Z, no interception yet: 30 days from the tenth day, 11-29T10:00Z.
TITLE3 = {"ten_day_mark": "2026-11-29T10:00:00Z", "expires_at": "2026-12-29T10:00:00Z"}
# 3123(c)(1): 60 days from 11-19T10:00Z.
PEN = {"expires_at": "2027-01-18T10:00:00Z"}

OUTCOMES = {
    # ---- the signer's own office (LEGAL.md, Who may issue what; 2703(d), 2510(9), 3127(2)(A)) ---------
    "court_order_signed_by_an_ausa": case(
        "reject", [], ["subscriber_info"], {"signer_not_a_judge": FATAL}, deadlines=DUE),
    "court_order_from_the_us_attorneys_office": case(
        "reject", [], ["subscriber_info"], {"signer_not_a_judge": FATAL, "issuer_not_a_court": FATAL},
        deadlines=DUE),
    # issuer_kind says court; issued_by names a police department.
    "court_order_issued_by_a_police_department": case(
        "reject", [], ["subscriber_info"], {"issuer_not_a_court": FATAL}),
    # "Court" with a Cyrillic o (U+043E): it only resembles a court.
    "court_order_issued_by_a_lookalike_court": case(
        "reject", [], ["subscriber_info"], {"issuer_not_a_court": FATAL}),
    # "Judge" with a Cyrillic e (U+0435): a qualifying title in look-alike letters does not qualify.
    "court_order_judge_title_in_cyrillic": case(
        "reject", [], ["subscriber_info"], {"signer_title_lookalike": FATAL}),
    # "X for Hon. K. Judge" is signed by X, an agent.
    "court_order_agent_signs_for_the_judge": case(
        "reject", [], ["subscriber_info"], {"signer_not_a_judge": FATAL}),
    # A bare name: the analyst confirms from the papers (Title III alone refuses it, below).
    "court_order_signer_names_no_office": case(
        "accept", ["subscriber_info"], [], {"signer_office_unstated": WARNING}, deadlines=DUE),
    "search_warrant_signed_by_a_detective": case(
        "reject", [], ["voicemail_content"], {"signer_not_a_judge": FATAL}),
    # "Special agent" with Cyrillic a's, signing "for the Hon. K. Judge": still an agent.
    "search_warrant_cyrillic_agent_for_the_judge": case(
        "reject", [], ["voicemail_content"], {"signer_not_a_judge": FATAL}),
    # Fed. R. Crim. P. 41(b): a magistrate judge issues warrants.
    "search_warrant_by_a_magistrate_judge": case("accept", ["voicemail_content"], deadlines=DUE),
    "pen_register_signed_by_the_deputy_clerk": case(
        "reject", [], ["pen_trap"], {"signer_not_a_judge": FATAL}, deadlines=PEN),
    # 3127(2)(A): a United States magistrate judge is a court of competent jurisdiction.
    "pen_register_by_a_magistrate_judge": case("accept", ["pen_trap"], deadlines=PEN),
    # 2510(9): a judge of competent jurisdiction is a district or appeals judge (or a state judge of
    # general criminal jurisdiction), never a magistrate judge nor a justice of the peace.
    "title3_signed_by_a_magistrate_judge": case(
        "reject", [], ["intercept_content"], {"signer_office_too_low": FATAL}, AL, deadlines=TITLE3),
    "title3_signed_by_a_justice_of_the_peace": case(
        "reject", [], ["intercept_content"], {"signer_office_too_low": FATAL}, AL, deadlines=TITLE3),
    "title3_signer_names_no_office": case(
        "reject", [], ["intercept_content"], {"signer_office_unstated": FATAL}, AL, deadlines=TITLE3),
    # 50 U.S.C. 1803(a): FISC judges are district judges.
    "fisa_order_signed_by_a_magistrate_judge": case(
        "reject", [], ["subscriber_info"], {"signer_office_too_low": FATAL}, AL, deadlines=DUE),

    # ---- national security letters (18 U.S.C. 2709(b)): the signer's own rank ------------------------
    "nsl_agent_signs_for_the_director": case(
        "reject", [], ["subscriber_info"], {"nsl_signer_rank": FATAL}, AL, deadlines=DUE),
    "nsl_a_name_for_the_director": case(
        "reject", [], ["subscriber_info"], {"nsl_signer_rank": FATAL}, AL, deadlines=DUE),
    "nsl_by_y_for_the_sac": case(
        "reject", [], ["subscriber_info"], {"nsl_signer_rank": FATAL}, AL, deadlines=DUE),
    "nsl_director_in_cyrillic": case(
        "reject", [], ["subscriber_info"], {"nsl_signer_rank": FATAL}, AL, deadlines=DUE),
    "nsl_sac_in_fullwidth_letters": case(
        "reject", [], ["subscriber_info"], {"nsl_signer_rank": FATAL}, AL, deadlines=DUE),
    # "Assistant" with a Cyrillic A: a matcher blind to it would read "Special Agent in Charge".
    "nsl_asac_with_a_cyrillic_assistant": case(
        "reject", [], ["subscriber_info"], {"nsl_signer_rank": FATAL}, AL, deadlines=DUE),
    # A SAC's own rank qualifies, whoever the letter is signed for.
    "nsl_sac_signing_for_the_director": case(
        "accept", ["subscriber_info"], approvals=AL, deadlines=DUE),

    # ---- what renders as nothing (SPEC §1, Default_Ignorable_Code_Point; LEGAL.md /s/) -------------------
    "search_warrant_signed_with_grapheme_joiners": case(
        "reject", [], ["voicemail_content"], {"unsigned": FATAL}, deadlines=DUE),
    "search_warrant_signed_with_variation_selectors": case(
        "reject", [], ["voicemail_content"], {"unsigned": FATAL}, deadlines=DUE),
    "search_warrant_signed_with_hangul_fillers": case(
        "reject", [], ["voicemail_content"], {"unsigned": FATAL}, deadlines=DUE),
    "court_order_signed_slash_s": case("reject", [], ["subscriber_info"], {"unsigned": FATAL}, deadlines=DUE),
    "emergency_justification_of_hangul_fillers": defect("missing_field", AS),

    # ---- signatures and periods -------------------------------------------------------------------
    "court_order_signed_without_signed_at": case(
        "accept", ["subscriber_info"], [], {"signed_at_defaulted": WARNING}, deadlines=DUE),
    "court_order_signed_without_any_date": case(
        "reject", [], ["subscriber_info"], {"unsigned": FATAL}, deadlines=DUE),
    # 2518(4)(e), (5): the order is silent, it runs the 30 days.
    "title3_states_no_period": case(
        "accept", ["intercept_content"], [], {"order_period_unstated": WARNING}, AL, deadlines=TITLE3),
    # 3123(c)(1): silent, 60 days.
    "pen_register_states_no_period": case(
        "accept", ["pen_trap"], [], {"order_period_unstated": WARNING}, deadlines=PEN),
    # 3125(a): LEGAL.md's spelling is the same emergency authorisation: 48 h from receipt for the order.
    "pen_register_emergency_authorisation_british": case(
        "accept", ["pen_trap"],
        deadlines={"court_order_due": "2026-11-22T14:05:00Z", "expires_at": "2026-11-22T14:05:00Z"}),

    # ---- stale warrants (Fed. R. Crim. P. 41(e)(2)(A)(i); LEGAL.md, Clocks) ------------------------------
    # Issued 11-01T10:00Z, served 11-20T14:05Z: 19 days, past 14.
    "federal_warrant_served_after_fourteen_days": case(
        "reject", [], ["voicemail_content"], {"stale_warrant": FATAL}, deadlines=DUE),
    # Issued 11-10T10:00Z with 7 days to execute: served on day 10.
    "federal_warrant_after_its_own_seven_days": case(
        "reject", [], ["voicemail_content"], {"stale_warrant": FATAL}, deadlines=DUE),
    # States 30 days; Rule 41 allows 14: issued 11-03T10:00Z, served on day 17.
    "federal_warrant_claiming_thirty_days": case(
        "reject", [], ["voicemail_content"], {"stale_warrant": FATAL}, deadlines=DUE),
    # Issued 11-06T14:05Z, served 11-20T14:05Z: exactly 14 days, still within.
    "federal_warrant_served_on_day_fourteen": case("accept", ["voicemail_content"], deadlines=DUE),
    # No issued_at: the signature's date, 11-01T10:00Z, is the issue; served on day 19.
    "federal_warrant_without_issued_at_signed_weeks_ago": case(
        "reject", [], ["voicemail_content"], {"stale_warrant": FATAL}, deadlines=DUE),
    # State, no period stated, 15 days: flagged for legal, not refused.
    "state_warrant_served_after_fifteen_days": case(
        "accept", ["voicemail_content"], [], {"state_warrant_late": WARNING}, deadlines=DUE),
    # State, 5 days stated, served on day 8: past its own period.
    "state_warrant_after_its_own_five_days": case(
        "reject", [], ["voicemail_content"], {"stale_warrant": FATAL}, deadlines=DUE),

    # ---- FISA by section (50 U.S.C. 1805, 1842, 1861, 1881a) ------------------------------------------
    # 1842: pen_trap only; no term stated, 90 days (1842(e)(1)) to 2027-02-17T10:00Z.
    "fisa_1842_asks_for_content": case(
        "partial", ["pen_trap"], ["intercept_content"], {"fisa_term_defaulted": WARNING}, AL,
        deadlines={"expires_at": "2027-02-17T10:00:00Z"}),
    # 1842 names no stored records: subscriber_info refused, so no period and no response_due are needed.
    "fisa_1842_asks_for_stored_records": case(
        "partial", ["pen_trap"], ["subscriber_info"], {"fisa_term_defaulted": WARNING}, AL,
        deadlines={"expires_at": "2027-02-17T10:00:00Z"}),
    # 1861 (written as the bare number): stored non-content only.
    "fisa_1861_asks_for_prospective_and_content": case(
        "partial", ["call_records_outgoing"], ["pen_trap", "voicemail_content"], approvals=AL, deadlines=DUE),
    "fisa_no_section_asks_for_content": case(
        "partial", ["subscriber_info"], ["intercept_content"], {"fisa_section_unstated": WARNING}, AL,
        deadlines=DUE),
    "fisa_no_section_pen_trap_only": case(
        "reject", [], ["pen_trap"], {"fisa_section_unstated": WARNING, "nothing_permitted": FATAL}, AL,
        deadlines=NO_CLOCKS),
    "fisa_unknown_section": defect("invalid_field", AL),
    # "50 U.S.C. § 1881a", a year stated: to 2027-11-19T10:00Z.
    "fisa_1881a_directive_content": case(
        "accept", ["intercept_content"], approvals=AL, deadlines={"expires_at": "2027-11-19T10:00:00Z"}),

    # ---- the smaller things --------------------------------------------------------------------------
    "court_order_received_at_ten_fraction_digits": case("accept", ["subscriber_info"], deadlines=DUE),
    "requester_email_label_of_64": defect(),
    "email_target_of_260_characters": defect(),
    "court_order_signature_of_120000_characters": defect(),
    "emergency_asking_only_for_content": case(
        "reject", [], ["voicemail_content"], {"nothing_permitted": FATAL}, AS,
        deadlines={"follow_up_legal_process_due": "2026-11-22T14:05:00Z"}),
}


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_third_edition_case(name):
    result = verify_request(read_request_file(CORPUS / f"{name}.json"))
    assert observed(result, OUTCOMES[name]) == OUTCOMES[name]
    assert json.loads(json.dumps(result.spec_dict())) == result.spec_dict()


def test_every_corpus_file_has_an_expectation_and_there_are_thirty_or_more():
    assert {p.stem for p in CORPUS.glob("*.json")} == set(OUTCOMES)
    assert len(OUTCOMES) >= 30


def check_json(name: str) -> dict:
    return verify_request(read_request_file(CORPUS / f"{name}.json")).spec_dict()


# Every new problem shows its code and its source in `check --json` (SPEC §2).
@pytest.mark.parametrize(("name", "code", "source"), [
    ("court_order_signed_by_an_ausa", "signer_not_a_judge", "18 U.S.C. 2703(d), 2711(3)"),
    ("court_order_issued_by_a_police_department", "issuer_not_a_court", "18 U.S.C. 2703(d), 2711(3)"),
    ("court_order_judge_title_in_cyrillic", "signer_title_lookalike", "18 U.S.C. 2703(d), 2711(3)"),
    ("court_order_signer_names_no_office", "signer_office_unstated", "18 U.S.C. 2703(d), 2711(3)"),
    ("search_warrant_signed_by_a_detective", "signer_not_a_judge",
     "Fed. R. Crim. P. 41(b); 18 U.S.C. 2703(a), 2711(3)"),
    ("pen_register_signed_by_the_deputy_clerk", "signer_not_a_judge", "18 U.S.C. 3123(a), 3127(2)"),
    ("title3_signed_by_a_magistrate_judge", "signer_office_too_low", "18 U.S.C. 2510(9), 2518(3)"),
    ("fisa_order_signed_by_a_magistrate_judge", "signer_office_too_low", "50 U.S.C. 1803(a)"),
    ("nsl_agent_signs_for_the_director", "nsl_signer_rank", "18 U.S.C. 2709(b)"),
    ("court_order_signed_slash_s", "unsigned",
     "LEGAL.md, Who may issue what: an unsigned instrument is not legal process"),
    ("court_order_signed_without_any_date", "unsigned",
     "LEGAL.md, Who may issue what: an unsigned instrument is not legal process"),
    ("court_order_signed_without_signed_at", "signed_at_defaulted",
     "LEGAL.md, Who may issue what (third edition): a signature without its date is dated at issue"),
    ("title3_states_no_period", "order_period_unstated", "18 U.S.C. 2518(4)(e), 2518(5)"),
    ("pen_register_states_no_period", "order_period_unstated", "18 U.S.C. 3123(c)(1)"),
    ("federal_warrant_served_after_fourteen_days", "stale_warrant", "Fed. R. Crim. P. 41(e)(2)(A)(i)"),
    ("state_warrant_after_its_own_five_days", "stale_warrant", "the warrant's own period"),
    ("state_warrant_served_after_fifteen_days", "state_warrant_late",
     "carrier policy (LEGAL.md, Clocks): state execution periods vary"),
    ("fisa_no_section_asks_for_content", "fisa_section_unstated", "50 U.S.C. 1805, 1842, 1861, 1881a"),
])
def test_each_new_problem_carries_its_code_and_source(name, code, source):
    assert {"code": code, "source": source} in [
        {"code": p["code"], "source": p.get("source")} for p in check_json(name)["problems"]]


def test_the_signer_messages_name_the_signer_and_the_rule():
    def message(name, code):
        return next(p["message"] for p in check_json(name)["problems"] if p["code"] == code)

    assert message("court_order_signed_by_an_ausa", "signer_not_a_judge") == (
        "legal_process.signed_by: signed by 'A. Baker, Assistant United States Attorney', a prosecutor "
        "(attorney); a court_order signed by anyone but a judge is not legal process (18 U.S.C. 2703(d), "
        "2711(3): a court of competent jurisdiction; a magistrate judge may enter it)")
    assert message("title3_signed_by_a_magistrate_judge", "signer_office_too_low").startswith(
        "legal_process.signed_by: signed by 'Hon. K. L. Mix, United States Magistrate Judge', a magistrate "
        "judge; a title3_wiretap is signed only by 18 U.S.C. 2510(9), 2518(3): a judge of competent "
        "jurisdiction")
    assert message("court_order_judge_title_in_cyrillic", "signer_title_lookalike").startswith(
        "legal_process.signed_by: signed by 'R. Alvarez, District Judg\\u0435': the title 'judge' is written "
        "with look-alike characters and only resembles it")
    assert message("court_order_issued_by_a_lookalike_court", "issuer_not_a_court") == (
        "legal_process.issued_by: 'U.S. District C\\u043eurt, D. Colo.' names a court only in look-alike "
        "characters; a court_order is entered by a court")
    assert message("nsl_asac_with_a_cyrillic_assistant", "nsl_signer_rank").startswith(
        "legal_process.signed_by: signed by '\\u0410ssistant Special Agent in Charge J. Roe', an assistant "
        "special agent in charge; a letter is signed under 18 U.S.C. 2709(b)")
    assert message("nsl_by_y_for_the_sac", "nsl_signer_rank").startswith(
        "legal_process.signed_by: 'by J. Roe, for the SAC' names no rank of the signer's own")
    assert message("state_warrant_served_after_fifteen_days", "state_warrant_late") == (
        "warning: legal_process.issued_at 2026-11-05T10:00:00Z: the state warrant was served on "
        "2026-11-20T14:05:00Z, more than 10 days after issue; legal checks the state's execution period "
        "before anything is produced")
    assert message("court_order_signer_names_no_office", "signer_office_unstated") == (
        "warning: legal_process.signed_by: 'R. Alvarez' names no office of the signer's own; a court_order is "
        "signed by 18 U.S.C. 2703(d), 2711(3): a court of competent jurisdiction; a magistrate judge may enter "
        "it; confirm from the papers that a judge signed")
    assert message("title3_signer_names_no_office", "signer_office_unstated") == (
        "legal_process.signed_by: 'K. Mix' names no office of the signer's own; a title3_wiretap is signed by "
        "18 U.S.C. 2510(9), 2518(3): a judge of competent jurisdiction (a federal district or appeals judge, or "
        "a state judge of general criminal jurisdiction), never a magistrate judge")
    assert message("court_order_signed_without_signed_at", "signed_at_defaulted") == (
        "warning: legal_process.signed_at: the court_order is signed by 'Hon. K. Judge' but its signature is not "
        "dated; it is taken as signed when issued, 2026-11-19T10:00:00Z")
    assert message("title3_states_no_period", "order_period_unstated") == (
        "warning: legal_process.duration_days: the title3_wiretap states no period; it runs the statutory 30 "
        "days (18 U.S.C. 2518(4)(e), 2518(5))")
    assert message("federal_warrant_after_its_own_seven_days", "stale_warrant") == (
        "legal_process.issued_at 2026-11-10T10:00:00Z: the warrant was served on 2026-11-20T14:05:00Z, "
        "more than 7 days after its issue, the period it gives for its execution (Fed. R. Crim. P. "
        "41(e)(2)(A)(i)); a warrant not executed within its period is no legal process")
    # It states 30 days; Rule 41 allows 14, and the message says 14.
    assert message("federal_warrant_claiming_thirty_days", "stale_warrant").startswith(
        "legal_process.issued_at 2026-11-03T10:00:00Z: the warrant was served on 2026-11-20T14:05:00Z, "
        "more than 14 days after its issue (Fed. R. Crim. P. 41(e)(2)(A)(i))")
    assert message("federal_warrant_served_after_fourteen_days", "stale_warrant") == (
        "legal_process.issued_at 2026-11-01T10:00:00Z: the warrant was served on 2026-11-20T14:05:00Z, "
        "more than 14 days after its issue (Fed. R. Crim. P. 41(e)(2)(A)(i)); a warrant not executed within "
        "its period is no legal process")


def test_fisa_refusals_say_which_section_reaches_what():
    def reasons(name):
        return {r["category"]: r["reason"] for r in check_json(name)["refused"]}

    assert reasons("fisa_1842_asks_for_content") == {"intercept_content": (
        "intercept_content: a FISA pen register / trap and trace order (50 U.S.C. 1842) reaches pen_trap "
        "only, never content (50 U.S.C. 1841(2); 18 U.S.C. 3127)")}
    assert reasons("fisa_1861_asks_for_prospective_and_content")["pen_trap"] == (
        "pen_trap: a FISA business records order (50 U.S.C. 1861) reaches stored non-content records only, "
        "never content and never prospective")
    assert reasons("fisa_no_section_asks_for_content")["intercept_content"].startswith(
        "intercept_content: the order does not say which section it issues under")


def test_a_long_input_is_quoted_only_in_part():
    result = verify_request(read_request_file(CORPUS / "court_order_signature_of_120000_characters.json"))
    (problem,) = result.problems
    assert problem.message == (
        "legal_process.signed_by: 'Hon. " + "K" * 75 + "'... (120005 characters) is too long: at most 256 "
        "characters")
    assert len(json.dumps(result.spec_dict())) < 2000


def test_the_length_limits_of_an_e_mail_address_are_named():
    def message(name):
        return verify_request(read_request_file(CORPUS / f"{name}.json")).problems[0].message

    assert message("requester_email_label_of_64").startswith("requester.email: ")
    assert message("requester_email_label_of_64").endswith(
        "has 64 characters; a label is at most 63 (RFC 1035)")
    assert message("email_target_of_260_characters").startswith("targets[0].value: ")
    # 64 + 1 + 3 x 63 + 2 + 4 = 260: the selector limit (254, an address's) speaks first
    assert message("email_target_of_260_characters").endswith(
        "'... (260 characters) is too long: at most 254 characters")


def test_an_emergency_takes_an():
    assert check_json("emergency_asking_only_for_content")["problems"][0]["message"] == (
        "records: no category asked for may be produced on an emergency; nothing will be done")


def test_the_british_spelling_is_kept_as_the_product_spells_it():
    result = verify_request(read_request_file(CORPUS / "pen_register_emergency_authorisation_british.json"))
    assert result.request.legal_process.instrument == "emergency_authorization"


def test_ten_fraction_digits_keep_the_microseconds():
    result = verify_request(read_request_file(CORPUS / "court_order_received_at_ten_fraction_digits.json"))
    assert result.request.received_at.isoformat() == "2026-11-20T14:05:00.123456+00:00"


def test_check_json_on_the_command_line_shows_the_code_and_the_source():
    # The real CLI in its own process, as an analyst runs it (SPEC §2): exit 1 on a reject.
    from tests.system.test_starter_cli import starter

    run = starter("check", str(CORPUS / "title3_signed_by_a_magistrate_judge.json"), "--json")
    assert run.returncode == 1 and run.stderr == ""
    assert [(p["code"], p["source"]) for p in json.loads(run.stdout)["problems"]] == [
        ("signer_office_too_low", "18 U.S.C. 2510(9), 2518(3)")]
    long = starter("check", str(CORPUS / "court_order_signature_of_120000_characters.json"), "--json")
    assert long.returncode == 1 and len(long.stdout) < 1000
