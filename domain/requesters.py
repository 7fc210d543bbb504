"""Is the requester who they say they are? Their e-mail domain and the emergency callback number
against the carrier's agency directory (issue 9; the forged emergency requests of 2022 came from
look-alike and compromised addresses).

Pure: the verification activity reads the directory from the records store and hands it here.

What is found, and how much it weighs:

- a look-alike of a registered domain (confusable characters by a TR39-style skeleton, punycode or
  any non-ASCII domain, a registered domain with words added around it such as `denvergov-org.com`
  or `fbi.gov.us`, the same name under another TLD, or one or two letters changed) is FATAL: no
  genuine agency writes from one, and approving it is the classic social-engineering disclosure;
- an unknown agency, a free-mail address, a domain that is not the agency's own (including one
  registered to another agency) and, for an emergency, a callback number that is not the
  directory's are WARNINGS the analyst sees before approving; an emergency with any of them also
  needs the supervisor's approve to carry `requester_override` with its reason (domain.case_machine).

Customers are authenticated against their account instead (customer_owns_targets, customer_pin);
attorneys are not agencies and are not looked up here.

Bounded work per input (issue 23): every function here is linear in its input. A domain longer than
a domain can be (253 characters, a label 63: RFC 1035, SPEC §1) is refused as one before any
comparison runs (punycode decoding is quadratic in a label's length), the edit distance is banded
to the two edits it looks for, and a problem message quotes at most QUOTED characters of a value.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.findings import Problem, warning
from domain.request import LegalRequest
from domain.vocabulary import RequesterKind, RequestType

CHECKED_KINDS = frozenset({RequesterKind.LAW_ENFORCEMENT, RequesterKind.GOVERNMENT})
"""Requesters who claim to act for an agency, and so are found (or not) in its directory."""

UNKNOWN_AGENCY = "requester_unknown_agency"
FREE_MAIL = "requester_free_mail"
DOMAIN_NOT_AGENCYS = "requester_domain_not_agencys"
LOOKALIKE_DOMAIN = "requester_lookalike_domain"
CALLBACK_NOT_LISTED = "requester_callback_not_listed"
REQUESTER_CODES = frozenset({UNKNOWN_AGENCY, FREE_MAIL, DOMAIN_NOT_AGENCYS, LOOKALIKE_DOMAIN, CALLBACK_NOT_LISTED})
"""Every problem this check raises: any of them leaves the requester unverified."""

FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "rocketmail.com", "outlook.com",
    "hotmail.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com",
    "proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.net", "mail.com", "zoho.com",
    "yandex.com", "yandex.ru", "mail.ru", "tutanota.com", "tuta.io", "fastmail.com",
    "hushmail.com", "inbox.com", "comcast.net", "att.net", "verizon.net", "sbcglobal.net",
})
"""Mailbox providers anyone can sign up to (and ISP mailboxes): never an agency's own domain."""

CONFUSABLE = {
    # Cyrillic and Greek letters drawn like Latin ones (Unicode confusables.txt, the common subset),
    # written as escapes so the source shows which script each is from
    "\u0430": "a", "\u0432": "b", "\u0435": "e", "\u04bb": "h", "\u0456": "l", "\u0458": "j", "\u043a": "k",
    "\u043c": "m", "\u043d": "h", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0455": "s", "\u0442": "t",
    "\u0443": "y", "\u0445": "x", "\u0501": "d", "\u051b": "q", "\u051d": "w", "\u04cf": "l", "\u03b1": "a",
    "\u03b2": "b", "\u03b5": "e", "\u03b9": "l", "\u03ba": "k", "\u03bd": "v", "\u03bf": "o", "\u03c1": "p",
    "\u03c4": "t", "\u03c5": "u", "\u03c7": "x", "\u0131": "l",
    # ASCII drawn alike ("i" and "l" both become "l", as TR39 does)
    "0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "_": "-",
}
"""Characters mapped to the one they are drawn like (TR39 skeleton, restricted to what a domain can hold)."""

SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"))
"""Letter pairs that read as one letter in most fonts."""

DOMAIN_MAX = 253
"""Characters of a domain name, without its trailing dot (RFC 1035 2.3.4; SPEC §1)."""
LABEL_MAX = 63
"""Characters of one label of a domain (RFC 1035 2.3.4)."""
LOOKALIKE_EDITS = 2
"""The most edits that still make a look-alike (one for a registered domain of 8 characters or fewer)."""
QUOTED = 80
"""Characters of a requester's value a problem message quotes; a longer one is cut with `…`."""


def quoted(text: str) -> str:
    """A value as a problem message quotes it: at most QUOTED characters, a longer one cut with `…`."""
    return text if len(text) <= QUOTED else text[:QUOTED] + "…"


def domain_defect(domain: str) -> str | None:
    """Why `domain` cannot be a domain name by its length (RFC 1035), or None."""
    if len(domain) > DOMAIN_MAX:
        return f"is {len(domain)} characters long; a domain has at most {DOMAIN_MAX} (RFC 1035)"
    longest = max(len(label) for label in domain.split("."))
    if longest > LABEL_MAX:
        return f"has a label of {longest} characters; a label has at most {LABEL_MAX} (RFC 1035)"
    return None


@dataclass(frozen=True)
class DirectoryAgency:
    """One agency as the carrier's directory lists it: its e-mail domains and independently sourced numbers."""

    name: str
    domains: tuple[str, ...]
    numbers: tuple[str, ...]


def agency_key(name: str) -> str:
    """An agency name as compared: spaces squeezed, case folded."""
    return " ".join(name.split()).casefold()


def email_domain(email: str | None) -> str | None:
    """The domain of an e-mail address, lower case, without a trailing dot; None without one."""
    if not email or email.count("@") != 1:
        return None
    domain = email.rsplit("@", 1)[1].strip().rstrip(".").lower()
    return domain or None


def unicode_domain(domain: str) -> str | None:
    """The domain with punycode labels (xn--) decoded; None when a label does not decode, or when the
    domain is longer than a domain can be (decoding is quadratic in a label's length: never unbounded)."""
    if domain_defect(domain) is not None:
        return None
    labels = []
    for label in domain.split("."):
        if label.startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                return None
        labels.append(label)
    return ".".join(labels)


def skeleton(text: str) -> str:
    """What a string looks like: compatibility-normalized, case folded, marks dropped, confusable
    characters and letter pairs mapped to one representative (in the spirit of Unicode TR39)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    plain = "".join(CONFUSABLE.get(c, c) for c in folded if not unicodedata.combining(c))
    for pair, single in SEQUENCES:
        plain = plain.replace(pair, single)
    return plain


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance: insertions, deletions and substitutions of one character each.

    With `limit`, only the band of `limit` cells either side of the diagonal is computed (Ukkonen),
    so the work is len(a) x (2 limit + 1), and any distance above `limit` is returned as limit + 1."""
    if limit is None:
        limit = max(len(a), len(b))
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    beyond = limit + 1
    previous = {j: j for j in range(min(len(b), limit) + 1)}
    for i, ca in enumerate(a, 1):
        low, high = max(0, i - limit), min(len(b), i + limit)
        current = {low: i} if low == 0 else {}
        for j in range(max(1, low), high + 1):
            current[j] = min(previous.get(j, beyond) + 1, current.get(j - 1, beyond) + 1,
                             previous.get(j - 1, beyond) + (ca != b[j - 1]))
        previous = current
        if min(previous.values(), default=beyond) > limit:
            return beyond
    return min(previous.get(len(b), beyond), beyond)


def _squeezed(domain: str) -> str:
    return skeleton(domain).replace(".", "").replace("-", "")


def _name(domain: str) -> str:
    """The domain without its last label (the TLD): `fbi` for fbi.gov."""
    return domain.rsplit(".", 1)[0]


def _within(domain: str, registered: str) -> bool:
    return domain == registered or domain.endswith("." + registered)


def lookalike(domain: str, registered: Iterable[str]) -> str | None:
    """Why `domain` imitates one of the registered domains (it is none of them nor below one), or None.
    A domain too long to be one is refused before anything is compared or decoded."""
    defect = domain_defect(domain)
    if defect is not None:
        return f"{quoted(domain)} {defect}"
    decoded = unicode_domain(domain)
    if decoded is None:
        return f"{domain} holds a punycode label that does not decode"
    known = sorted(set(registered))
    if any(_within(domain, real) for real in known):
        return None
    shown = domain if decoded == domain else f"{domain} ({decoded})"
    drawn, squeezed = skeleton(decoded), _squeezed(decoded)
    for real in known:
        if drawn == skeleton(real) or drawn.endswith("." + skeleton(real)):
            return f"{shown} is drawn like {real} (confusable characters)"
        if _squeezed(real) in squeezed:
            return f"{shown} contains {real} with other words around it"
        if _name(decoded) == _name(real):
            return f"{shown} is {real} under another top-level domain"
        allowed = 1 if len(real) <= 8 else LOOKALIKE_EDITS
        distance = edit_distance(decoded, real, limit=allowed)
        if distance <= allowed:
            return f"{shown} differs from {real} by {distance} character(s)"
    if decoded != domain or not decoded.isascii():
        return f"{domain} is an internationalized domain ({decoded}); agencies write from ASCII domains"
    return None


def requester_problems(request: LegalRequest, directory: Sequence[DirectoryAgency]) -> list[Problem]:
    """What is doubtful about the requester of `request`, against the agency directory."""
    requester = request.requester
    if requester.kind not in CHECKED_KINDS:
        return []
    claimed = requester.agency or ""
    agency = next((a for a in directory if agency_key(a.name) == agency_key(claimed)), None) if claimed else None
    everyone = [d for a in directory for d in a.domains]
    problems: list[Problem] = []
    domain = email_domain(requester.email)
    imitates = lookalike(domain, everyone) if domain else None
    if imitates is not None:
        problems.append(Problem(code=LOOKALIKE_DOMAIN, message=(
            f"requester.email: {imitates}; a look-alike domain is how forged requests arrive: reject, and "
            "contact the agency on its directory number")))
    if agency is None:
        problems.append(warning(UNKNOWN_AGENCY, (
            f"requester.agency: {quoted(claimed) or '(none given)'} is not in the agency directory; confirm the agency "
            "and add its domains and independently sourced numbers before relying on the request")))
    if domain is None:
        problems.append(warning(DOMAIN_NOT_AGENCYS, "requester.email: no e-mail address to check against "
                                                   "the agency directory"))
    elif domain in FREE_MAIL_DOMAINS:
        problems.append(warning(FREE_MAIL, (
            f"requester.email: {domain} is a free-mail provider anyone can sign up to, not an agency's domain")))
    elif imitates is None and agency is not None and not any(_within(domain, d) for d in agency.domains):
        owners = sorted({a.name for a in directory if any(_within(domain, d) for d in a.domains)})
        held = f"registered to {', '.join(owners)}" if owners else "not registered to any agency"
        problems.append(warning(DOMAIN_NOT_AGENCYS, (
            f"requester.email: {quoted(domain)} is {held}, not to {agency.name} "
            f"({', '.join(agency.domains) or 'no domain listed'})")))
    emergency = request.emergency
    if request.type == RequestType.EMERGENCY and emergency is not None and agency is not None:
        number = emergency.callback.number
        if number not in agency.numbers:
            problems.append(warning(CALLBACK_NOT_LISTED, (
                f"emergency.callback.number: {quoted(number)} is not {agency.name}'s number in the agency directory "
                f"({', '.join(agency.numbers) or 'none listed'}); call back a directory number")))
    return problems


def requester_doubts(problems: Iterable[Problem]) -> list[str]:
    """The messages of the requester check's problems: empty when the requester is verified."""
    return [p.message for p in problems if p.code in REQUESTER_CODES]
