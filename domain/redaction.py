"""A person's free-text note made safe to publish (the transparency report): a rule set, linear in
the note's length, that keeps only what it knows to be harmless (docs/security.md, report redaction).

Why rules and not a trained detector: Microsoft Presidio needs a spaCy language model, which cannot
be installed where this runs, and a model's recall on names is itself a guess. These rules fail
closed instead: a word is published only if it is in VOCABULARY (common English and the words of
legal process) or PROPER_TERMS (acronyms and names of statutes); every other word is masked. On top
of that, shapes are recognised first and masked by kind:

- `[e-mail]`: any token holding `@`;
- `[address]`: IPv4 and IPv6 addresses;
- `[street address]`: a house number followed within four words by a street word (St, Avenue, ...);
- `[number]`: a run of 7 or more digits, spaces and `+ ( ) - .` between them allowed (telephone,
  account, IMSI); a date (YYYY-MM-DD) and a short count ("14 days") stay;
- `[reference]`: a token mixing letters and digits (CO-310044, GJ-2026-0457, LES-2026-000101, 4B);
- `[name]`: a capitalised word not in the vocabulary, or one in it that stands capitalised inside a
  sentence (Will, Rose, Bill), unless it is a PROPER_TERM; `[…]`: any other unknown word.

Only the first NOTE_READ characters of a note are read, and the result is cut to PUBLISHED
characters: a report's reason is a line, never a page."""

from __future__ import annotations

NOTE_READ = 4096
"""Characters of a note read; the rest is never published, so never looked at."""
PUBLISHED = 200
"""Characters of a redacted note published, cut at a word."""

def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


VOCABULARY = _listed("""
a about above absent according account accounts across act action active address addressed after again against
agency agent all allowed already also an and another any applicable application approval approved are area as ask
asked at authority authorization authorized available basis be because been before being beyond both broad but by
call calls can cannot case cases category cell certified certification challenge clarification closed collection
comply compliance confirm confirmed content contents copy copies could court covered covers criminal current
customer data date dates day days deadline defect defective demand demands denied described detail details did
different do does document documents done due duplicate during each electronic email emergency end ended
enforcement error exceeds excessive expired extension facially failed failure false federal fee fees for form
forged found from further given government had has have held hold if in incomplete information insufficient into
invalid is issued issuer it its jurisdiction lacks late law legal legally limit location log logs longer made may
missing month months more must named names narrow narrowed need needed needs new no non not notice number numbers
of off on one only or order orders other our out outside over overbroad overbreadth page pages party past pen
period periods please policy pool pools preservation prior process produce produced production proper provide
provided provider records record register rejected rejecting rejection renewal request requested requester
requests required requires response retrieved returned same scope search second seal sealed see sent served
service services session sessions signature signed so state statute still stored subpoena subscriber subscribers
such supported target targets than that the their them there these this those time timely to too trap under
unsigned until unverified upon us use used valid validity verification verified verify warrant was were what when
which who will with within without wrong year years phone telephone called agreed refused sign sent mail
e-mail reply replied contact contacted answer answered ours broader allows instrument compel carrier carrier's
duplicates reason reasons kept file
""")
"""Words a published reason may carry as written (lower case; a capitalised one only at a sentence's start)."""

PROPER_TERMS = _listed("""
FBI DEA ATF USSS DHS ICE CBP HSI USMS DOJ NSL NSLs FISA FISC ECPA SCA CALEA CGNAT IP IMSI IMEI E911 NDO
U.S.C. C.F.R. CFR USC Title III Amendment Fourth Carpenter Court District State Federal
""")
"""Capitalised words published wherever they stand: agencies' and statutes' names, never a person's."""

STREET_WORDS = _listed("""
st street ave avenue rd road blvd boulevard dr drive ln lane way ct court pl place pkwy parkway hwy highway ter
terrace cir circle sq square trl trail apt suite ste unit
""")
"""Words that close a street address after a house number."""

_EDGE = ",.;:!?()[]{}\"'"
_PHONE_MARKS = frozenset("+()-.")
_HEX = frozenset("0123456789abcdefABCDEF")


def _core(token: str) -> tuple[str, str, str]:
    """A token split into leading punctuation, its core, trailing punctuation."""
    start, end = 0, len(token)
    while start < end and token[start] in _EDGE:
        start += 1
    while end > start and token[end - 1] in _EDGE:
        end -= 1
    return token[:start], token[start:end], token[end:]


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _numeric(core: str) -> bool:
    """Digits and telephone marks only (`+1`, `(303)`, `555-0199`), at least one digit."""
    return bool(core) and all(c.isdigit() or c in _PHONE_MARKS for c in core) and any(c.isdigit() for c in core)


def _is_date(core: str) -> bool:
    return (len(core) == 10 and core[4] == "-" and core[7] == "-"
            and (core[:4] + core[5:7] + core[8:]).isdigit())


def _is_ip(core: str) -> bool:
    parts = core.split(".")
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts):
        return True
    return core.count(":") >= 2 and all(c in _HEX or c == ":" for c in core) and len(core) <= 45


def _capitalised(core: str) -> bool:
    return core[:1].isupper()


def _word_mask(core: str, sentence_start: bool) -> str | None:
    """A word's mask, or None to publish it."""
    if core in PROPER_TERMS:
        return None
    if core.isalpha() or all(c.isalpha() or c in "'-" for c in core):
        known = core.lower() in VOCABULARY
        if known and (not _capitalised(core) or sentence_start):
            return None
        return "[name]" if _capitalised(core) else "[\u2026]"
    return "[reference]" if any(c.isdigit() for c in core) else "[\u2026]"


def redact(note: str | None) -> str:
    """`note` as it may be published: one line, every identifying shape and unknown word masked, at
    most PUBLISHED characters; '' when nothing is left. Linear: each token is looked at a bounded
    number of times (a street address looks ahead at most five tokens)."""
    text = (note or "")[: NOTE_READ + 1]
    if len(text) > NOTE_READ:  # the last, cut token is dropped, not published in part
        text = text[:NOTE_READ].rsplit(None, 1)[0] if text[:NOTE_READ].split() else ""
    tokens = text.split()
    out: list[str] = []
    i, sentence_start = 0, True
    while i < len(tokens):
        lead, core, trail = _core(tokens[i])
        mask: str | None = None
        span = 1
        if not core:
            mask = None
        elif "@" in core:
            mask = "[e-mail]"
        elif _is_date(core):
            mask = None
        elif _is_ip(core):
            mask = "[address]"
        elif _numeric(core):
            run, digits = 1, _digits(core)  # a telephone number written in groups is one number
            while i + run < len(tokens) and digits < 16 and _numeric(_core(tokens[i + run])[1]):
                digits += _digits(_core(tokens[i + run])[1])
                run += 1
            street = max((k for k in range(1, 6) if i + k < len(tokens)
                          and _core(tokens[i + k])[1].lower() in STREET_WORDS), default=None)
            if digits >= 7:
                mask, span = "[number]", run
                trail = _core(tokens[i + run - 1])[2]
            elif core.isdigit() and street is not None:
                mask, span = "[street address]", street + 1
                trail = _core(tokens[i + street])[2]
        else:
            mask = _word_mask(core, sentence_start)
            if mask is None and sentence_start and _capitalised(core) and core not in PROPER_TERMS \
                    and i + 1 < len(tokens) and _word_mask(_core(tokens[i + 1])[1], False) == "[name]":
                mask = "[name]"  # "Will Rose": a word of the vocabulary before a name is a first name
        shown = f"{lead}{mask}{trail}" if mask else tokens[i]
        if not (mask and out and out[-1] == shown and not lead):
            out.append(shown)
        sentence_start = tokens[i + span - 1].endswith((".", "!", "?", ":"))
        i += span
    published = " ".join(out)
    if len(published) > PUBLISHED:
        published = published[:PUBLISHED].rsplit(" ", 1)[0] + " \u2026"
    return published
