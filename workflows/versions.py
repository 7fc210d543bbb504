"""Every patch the workflows ask, in one table, and the one way they ask it (`Versions`).

A patch (Temporal's `workflow.patched`) keeps two code paths alive: the one the runs started
before it took, which their histories replay, and the new one. This module lists each patch:
what it changes, which patches it implies (a run with it takes their new paths too, without
their markers), where it is asked, and when it may go. The workflows ask only through
`Versions.has`, so every parallel path is found by grepping its constant.

Retiring a patch is two releases (Temporal's versioning guidance):

1. `deprecate_patch`: once no OPEN run started before the patch shipped (a run, not a case: a
   run that continued as new asks afresh), replace `if versions.has(X): new else: old` by
   `versions.deprecate(X); new`. Check it with a visibility query, e.g.
   `temporal workflow list --query "ExecutionStatus='Running' AND StartTime < '<release date>'"`.
   The horizon below is how long such a run can stay open.
2. Removal: once no open run still carries the marker, drop the `deprecate` call and the table
   row; the histories in tests/histories/ recorded before the patch no longer replay, so they are
   removed and the paths re-recorded (`python -m tests.record_histories NAME`).

Horizons (the longest a run of each kind stays open): a records case waits for people with no
bound of its own (a subpoena, court order, warrant, NSL, FISA stored records, customer lookup:
check the query above; an emergency closes within 48 h of its delivery); a preservation hold
180 days (90 and one 90-day renewal); a surveillance run its order's term or until it continues
as new (a FISA order up to a year, a pen register 60 days, Title III 30 days, each extension
more); the reconciliation one day (24 hourly sweeps)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from temporalio import workflow

QUEUE_SEARCH_ATTRIBUTES = "queue-search-attributes"
BULK_TASK_QUEUE = "bulk-task-queue"
WITHDRAW_DURING_RETRIEVAL = "withdraw-during-retrieval"
NO_RECORDS_LETTER = "no-responsive-records-letter"
CIVIL_SUBPOENA_NOTICE = "civil-subpoena-customer-notice"
RENEWAL_ON_ITS_HOLD = "renewal-filed-on-its-hold"
PER_STEP_ATTRIBUTES = "search-attributes-per-step"
LOCAL_CASE_STORE = "case-store-local-activities"
SEALED_DECISIONS = "sealed-decisions"
X1_IDS_PER_CASE = "x1-ids-per-case"
EMERGENCY_AUTHORISATION_SPELLING = "emergency-authorisation-spelling"
UNREADABLE_IS_A_FAULT = "reconciliation-unreadable-fault"
DECISIONS_BEFORE_CLOCKS = "decisions-before-clocks"
SINGLE_MARKER = "single-patch-marker"

RECORDS_TYPES = "records cases (no bound: query)"
UNTIL_NONE_OPEN = "deprecate once no open run started before it; remove with the histories recorded before it"


@dataclass(frozen=True)
class Patch:
    id: str
    since: str
    """The recorded histories that first hold it (tests/histories/*_<since>_*.json)."""
    changes: str
    implies: tuple[str, ...]
    asked: str
    """Where (module and moment) a run asks it."""
    horizon: str
    """The runs it matters to, and how long one of them can stay open."""
    retire: str = UNTIL_NONE_OPEN


PATCHES: tuple[Patch, ...] = (
    Patch(QUEUE_SEARCH_ATTRIBUTES, "v2",
          "upserts LesWaitingFor, LesCollectionEnd, LesSecrecyBinds when they change", (),
          "workflows/visibility.py, the legacy publish path, when a queue attribute changed",
          f"every case type: {RECORDS_TYPES}"),
    Patch(BULK_TASK_QUEUE, "v3",
          "retrieval, packaging and collection run on the bulk task queue", (),
          "workflows/production.py, at a production's first bulk activity",
          f"records and surveillance: {RECORDS_TYPES}; a surveillance run its term"),
    Patch(WITHDRAW_DURING_RETRIEVAL, "v3",
          "a withdrawal is accepted while retrieving or packaging: the work is cancelled and discarded", (),
          "workflows/production.py, when a records case starts producing",
          f"{RECORDS_TYPES}"),
    Patch(NO_RECORDS_LETTER, "v2",
          "a case whose targets all resolved to no one answers with the custodian's letter", (),
          "workflows/records.py, after the gate, when nothing resolved",
          f"{RECORDS_TYPES}"),
    Patch(CIVIL_SUBPOENA_NOTICE, "v2",
          "a civil subpoena's customer is notified; production waits 14 days", (),
          "workflows/records.py, after verification of a civil subpoena",
          "civil subpoenas: no bound while awaiting approval, then 14 days"),
    Patch(RENEWAL_ON_ITS_HOLD, "v2",
          "a preservation renewal is filed on the hold it names instead of placing a hold", (),
          "workflows/preservation.py, after verification of a renewal",
          "preservation: 180 days"),
    Patch(PER_STEP_ATTRIBUTES, "v4",
          "search attributes leave once per step (4 upserts for a subpoena, not 13); the request type "
          "comes with the start; packaging, delivering and billing are not published",
          (QUEUE_SEARCH_ATTRIBUTES, BULK_TASK_QUEUE, WITHDRAW_DURING_RETRIEVAL, NO_RECORDS_LETTER,
           CIVIL_SUBPOENA_NOTICE, RENEWAL_ON_ITS_HOLD),
          "workflows/visibility.py, at the run's first search attribute",
          f"every case type: {RECORDS_TYPES}"),
    Patch(LOCAL_CASE_STORE, "v5",
          "the case store's quick steps (open, roster, filing, notify, bill, close) run as local activities",
          (PER_STEP_ATTRIBUTES,),
          "workflows/store.py, at the run's first case-store call (or first search attribute)",
          f"every case type: {RECORDS_TYPES}"),
    Patch(SEALED_DECISIONS, "v6",
          "a person's decision takes effect only sealed by a codec server that signed the person in", (),
          "workflows/intake.py, at the run's first decision",
          f"every case type: {RECORDS_TYPES}"),
    Patch(X1_IDS_PER_CASE, "v6",
          "the mediation task's XID and DID are UUIDv4 drawn once and carried across continue-as-new", (),
          "workflows/surveillance.py, at the switch-on",
          "surveillance: its order's term (a FISA order up to a year)"),
    Patch(EMERGENCY_AUTHORISATION_SPELLING, "none recorded",
          "`emergency_authorisation` (LEGAL.md's spelling) counts as an emergency authorisation", (),
          "workflows/surveillance.py, only for a document so spelled, when collection ends",
          "surveillance: 60 days (pen register), 30 days plus extensions (Title III)"),
    Patch(UNREADABLE_IS_A_FAULT, "none recorded",
          "a sweep whose list of active tasks fails is recorded as a fault; the run goes on", (),
          "workflows/reconciliation.py, only when the list fails",
          "the reconciliation: one day"),
    Patch(DECISIONS_BEFORE_CLOCKS, "v7",
          "a close the case makes by itself (a clock: the fee quote or the hold lapsing, the order's end, "
          "a missing court order or legal process; or the story's own close) waits for a decision being "
          "filed (the desk's lock) and looks again: the decision is filed once, never accepted and then "
          "refused as closed meanwhile", (),
          "workflows/case_desk.py (`CaseDesk.closes`, `decisions_settled`), at the run's first close "
          "outside a decision or its order's end: every run that ends reaches one",
          f"every case type: {RECORDS_TYPES}"),
    Patch(SINGLE_MARKER, "v8",
          "a new run makes one patch marker instead of one per patch it asks: Temporal's SDK core adds a "
          "TemporalChangeVersion upsert (a visibility write) to every marker, so a subpoena went from 3 "
          "markers and 3 such upserts to 1 (issue 26); the run takes every path of the patches it implies",
          (LOCAL_CASE_STORE, SEALED_DECISIONS, DECISIONS_BEFORE_CLOCKS, X1_IDS_PER_CASE,
           EMERGENCY_AUTHORISATION_SPELLING),
          "through what it implies: at the run's first case-store call or first search attribute "
          "(`has(LOCAL_CASE_STORE)` asks it first), in the run's first workflow task",
          f"every case type: {RECORDS_TYPES}"),
)

TABLE: dict[str, Patch] = {patch.id: patch for patch in PATCHES}

IMPLIED_BY: dict[str, str] = {implied: patch.id for patch in PATCHES for implied in patch.implies}
"""The patch that directly implies each implied one (a run with it has the implied one too)."""


def implied(patch_id: str) -> frozenset[str]:
    """Every patch a run with `patch_id` has without asking: its implications, transitively."""
    found: set[str] = set()
    for child in TABLE[patch_id].implies:
        found |= {child, *implied(child)}
    return frozenset(found)


class Versions:
    """What one run answers to each patch, asked once and remembered.

    A patch implied by another is asked after that other: a run that has the implying patch
    has it without a marker of its own. So `has(BULK_TASK_QUEUE)` asks SINGLE_MARKER, then
    LOCAL_CASE_STORE, then PER_STEP_ATTRIBUTES, then BULK_TASK_QUEUE, stopping at the first yes,
    the order the runs recorded since v4 made their markers in (a patch asked in replay whose
    marker the history lacks answers no and adds nothing to the run's commands). `patched` is
    `workflow.patched` (a test passes its own)."""

    def __init__(self, patched: Callable[[str], bool] | None = None) -> None:
        self._patched = patched or workflow.patched
        self._answers: dict[str, bool] = {}

    def has(self, patch_id: str) -> bool:
        if patch_id not in self._answers:
            assert patch_id in TABLE, f"{patch_id} is not in the table (workflows/versions.py PATCHES)"
            implier = IMPLIED_BY.get(patch_id)
            self._answers[patch_id] = (implier is not None and self.has(implier)) or self._patched(patch_id)
        return self._answers[patch_id]

    def asked(self, patch_id: str) -> bool | None:
        """The answer already given for `patch_id`, or None when this run has not asked it yet."""
        return self._answers.get(patch_id)
