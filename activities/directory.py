"""The agency directory: an emergency callback must reach the agency's own listed number."""

from __future__ import annotations

from sqlalchemy import Engine, select
from temporalio import activity

from domain.contracts import CallbackCheck, CallbackCheckInput
from les.logging import activity_logger
from recordstore.db import make_session_factory
from recordstore.models import AgencyDirectoryEntry


def _agency_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class DirectoryActivities:
    def __init__(self, engine: Engine) -> None:
        self._sessions = make_session_factory(engine)

    @activity.defn
    def check_callback(self, asked: CallbackCheckInput) -> CallbackCheck:
        """Is `number` the agency's number in the carrier's directory (never one the requester gave)?"""
        with self._sessions() as session:
            entries = session.execute(select(AgencyDirectoryEntry.agency, AgencyDirectoryEntry.main_number)).all()
        wanted = _agency_key(asked.agency)
        numbers = sorted(number for agency, number in entries if _agency_key(agency) == wanted)
        if not numbers:
            check = CallbackCheck(listed=False, directory_numbers=[], reason=(
                f"{asked.agency} is not in the agency directory; find its number independently and add it "
                "before the callback counts"))
        elif asked.number in numbers:
            check = CallbackCheck(listed=True, directory_numbers=numbers,
                                  reason=f"{asked.number} is {asked.agency}'s number in the agency directory")
        else:
            check = CallbackCheck(listed=False, directory_numbers=numbers, reason=(
                f"{asked.number} is not {asked.agency}'s number in the agency directory "
                f"({', '.join(numbers)}); call back one of those"))
        activity_logger(asked.request_id).info("callback checked", listed=check.listed)
        return check
