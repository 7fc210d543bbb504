"""request_info parks the case and provide_info returns it where it was."""

from __future__ import annotations

import pytest

from tests.case_support import (
    S,
    T,
    accept,
    at,
    d,
    opened,
    roster,
)


def test_request_info_returns_the_case_where_it_was():
    case = opened(T.EMERGENCY)
    assert case.state is S.AWAITING_CALLBACK
    assert case.decide(d("request_info", question="which unit?"), roster("analyst")).accepted
    assert case.state is S.AWAITING_INFO and case.open_tasks() == [
        "provide_info: answer from the requester to: which unit?"]
    assert case.decide(d("provide_info", info="unit 7"), roster("analyst")).accepted
    assert case.state is S.AWAITING_CALLBACK


@pytest.mark.parametrize(("state", "request_type"), [("awaiting_approval", "subpoena"),
                                                     ("awaiting_callback", "emergency"),
                                                     ("awaiting_fee_acceptance", "customer_call_lookup")])
def test_a_question_parks_the_case_and_the_answer_returns_it(state, request_type):
    case = at(state, request_type)
    assert accept(case, d("request_info", question="which unit?")) == (
        "information requested; the case waits for the answer")
    assert (case.state, case.open_question, case.resume_state) == (S.AWAITING_INFO, "which unit?", state)
    assert accept(case, d("provide_info", info="unit 7")) == f"information recorded; the case is {state} again"
    assert (case.state, case.open_question, case.resume_state) == (state, None, None)


def test_an_answer_without_a_remembered_state_returns_to_approval():
    case = at("awaiting_info", open_question="q")
    assert accept(case, d("provide_info", info="a")) == "information recorded; the case is awaiting_approval again"
    assert case.state is S.AWAITING_APPROVAL
