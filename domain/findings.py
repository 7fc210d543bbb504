"""What screening a request finds: problems with the document and refusals of categories."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """A defect found in a request; a fatal one rejects it, a non-fatal one is a warning."""

    code: str = Field(description="Stable machine-readable code, e.g. 'unsigned'.")
    message: str = Field(description="One sentence for the analyst, naming the field and the rule.")
    fatal: bool = Field(True, description="True when the request cannot go on.")
    source: str | None = Field(
        None, description="The statute, rule or carrier policy the problem applies (LEGAL.md), where one does.")


class Refusal(BaseModel):
    """A record category that will not be produced, and why."""

    category: str = Field(description="The category refused, as asked for.")
    reason: str = Field(description="The rule that refuses it, with its source.")


def warning(code: str, message: str, source: str | None = None) -> Problem:
    """A non-fatal problem: recorded and shown, but the request goes on."""
    return Problem(code=code, message=message, fatal=False, source=source)


def article(noun: str) -> str:
    """The noun with its indefinite article, as a sentence says it: "an emergency", "a subpoena"."""
    return f"{'an' if noun[:1].lower() in ('a', 'e', 'i', 'o', 'u') else 'a'} {noun}"
