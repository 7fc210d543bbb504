"""The README is a front door: every page in docs/ is linked from it, every relative link in it and in
docs/ leads to a file that exists (and to a heading there, when it names one), and it stays short."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import REPO

README = REPO / "README.md"
PAGES = sorted((REPO / "docs").glob("*.md"))
README_MOST_LINES = 250

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
"""[text](target) and ![alt](image), outside code (fenced blocks and `spans` are dropped first)."""


def prose(text: str) -> str:
    """The Markdown without its fenced code blocks and inline code, where a bracket is not a link."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    return re.sub(r"`[^`\n]*`", "", text)


def links(path: Path) -> list[str]:
    return [a or b for a, b in LINK.findall(prose(path.read_text(encoding="utf-8")))]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"`|\*\*?|_", lambda m: "_" if m.group(0) == "_" else "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#{1,6} (.+)$", prose_keeping_code_in_headings(path), flags=re.MULTILINE)
    return {slug(h) for h in headings}


def prose_keeping_code_in_headings(path: Path) -> str:
    return re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)


def relative_links(path: Path) -> list[tuple[str, Path, str]]:
    """(link as written, the file it names, its anchor) for every link that is not a URL."""
    found = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # http:, https:, mailto:
        file_part, _, anchor = target.partition("#")
        named = (path.parent / unquote(file_part)).resolve() if file_part else path
        found.append((target, named, anchor))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_docs_page_is_linked_from_the_readme(page):
    linked = {named for _, named, _ in relative_links(README)}
    assert page.resolve() in linked, f"README.md does not link docs/{page.name}"


@pytest.mark.parametrize("path", [README, *PAGES], ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(path):
    broken = []
    for target, named, anchor in relative_links(path):
        if not named.exists():
            broken.append(f"{target}: no such file")
        elif anchor and named.suffix == ".md" and anchor not in anchors(named):
            broken.append(f"{target}: {named.name} has no heading #{anchor}")
    assert broken == []


def test_the_readme_stays_a_front_door():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines < README_MOST_LINES, f"README.md has {lines} lines: move the depth into docs/"


def test_the_checks_see_a_broken_link_and_a_page_left_out(tmp_path, monkeypatch):
    """The checks themselves: a link to a missing file or heading is reported, a page not linked is found."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n[gone](missing.md) [here](a.md#a-page) [no](a.md#nope)\n")
    page = tmp_path / "docs" / "a.md"
    assert [(t, n.name, a) for t, n, a in relative_links(page)] == [
        ("missing.md", "missing.md", ""), ("a.md#a-page", "a.md", "a-page"), ("a.md#nope", "a.md", "nope")]
    assert anchors(page) == {"a-page"}
    readme = tmp_path / "README.md"
    readme.write_text("See `[not a link](docs/a.md)` and\n```\n[nor](docs/a.md)\n```\n")
    assert relative_links(readme) == []


def test_a_heading_becomes_the_anchor_github_gives_it():
    assert slug("`starter.py status ID --json`") == "starterpy-status-id---json"
    assert slug("Targets that match no one: the \"no responsive records\" letter") == (
        "targets-that-match-no-one-the-no-responsive-records-letter")
    assert slug("The request document's limits (`domain/wellformed.py`, applied in `domain/request.py`)") == (
        "the-request-documents-limits-domainwellformedpy-applied-in-domainrequestpy")
