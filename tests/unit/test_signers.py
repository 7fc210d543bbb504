"""Who signs a national security letter (18 U.S.C. 2709(b)): the signer's own rank, the longest title
in a signature winning."""

from __future__ import annotations

import pytest

from domain.vocabulary import RecordCategory, RequestType

T, C = RequestType, RecordCategory



NSL_RULE = ("18 U.S.C. 2709(b): the Director of the FBI or a designee no lower than Deputy Assistant "
            "Director at headquarters or a Special Agent in Charge of a field office")


def test_the_longest_title_in_a_signature_wins():
    from domain.signers import NSL_SIGNER_TITLES, titles_in

    assert [t.title for t in titles_in("Assistant Special Agent in Charge R. Roe", NSL_SIGNER_TITLES)] == [
        "assistant special agent in charge"]
    assert [t.title for t in titles_in("R. Roe, Special Agent in Charge, Denver", NSL_SIGNER_TITLES)] == [
        "special agent in charge"]


@pytest.mark.parametrize(("signed_by", "fault"), [
    ("Special Agent J. Roe for the SAC", f"signed by 'Special Agent J. Roe for the SAC', a special agent; "
                                         f"a letter is signed under {NSL_RULE}"),
    ("SSA J. Roe, Special Agent", f"signed by 'SSA J. Roe, Special Agent', a special agent; "
                                  f"a letter is signed under {NSL_RULE}"),
    ("J. Roe", f"'J. Roe' names no rank of the signer's own; a letter is signed under {NSL_RULE}"),
    ("J. Roe, SAC Denver", None),
    ("", None),
])
def test_who_signs_a_national_security_letter(signed_by, fault):
    from domain.signers import nsl_signer_fault

    assert nsl_signer_fault(signed_by) == fault
