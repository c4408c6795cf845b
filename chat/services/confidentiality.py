"""The confidentiality guard: does a text mention a client together with a detail that
could identify them? It warns; it never changes or refuses text.

A finding needs both a *client reference* ("my client", "a client", "one client",
"this client", "my clients", "a patient", "my supervisee's client", "client X", "a young
person I work with", "a client I saw") and, in the same sentence or within
`WINDOW` words of it, an *identifying detail*:

- age: "aged 34", "age 34", "34-year-old", "34 years old", "16yo", "thirty-four-year-old",
  and decades of life ("in her forties", "in his late 50s"): alone a decade says little,
  but beside a place or a job it narrows a person down, so it counts.
- place: a capitalised name after in, from, at, near, lives in, moved to, grew up in,
  born in, based in; or a listed town or city anywhere ("a Glasgow lad").
- date: a day with a month ("12 March", "the 3rd of June", "March 12th"), a numeric date
  ("12/03/2025", "2025-03-12"), or a weekday with a day of the month ("Tuesday 14th").
  A weekday alone ("last Tuesday"), a month alone ("since March") or a bare year
  ("in 2019") do not count: they are how people talk about sessions.
- occupation: a listed job after "a"/"an" ("is a teacher", "a retired nurse") or after
  "are"/"were"/"as" ("are nurses"), unless the article follows a verb of consulting
  ("went to see a doctor"): that is someone the client saw, not who they are.
- name: a capitalised word right beside the reference ("my client Sarah", "a client called
  John", "One client, Priya,", "Tom, a client of mine,"), titles included ("Mrs Patel").
  Single letters ("client X") and all-capital words ("DNA'd") are not names.

Some words look like places or names but are not: months, weekdays, festivals, family
words, modalities ("Gestalt") and everyday places ("Uni"). `NOT_NAMES` lists them.
"Client-centred", "client work" and "client hours" are not client references, and
neither is "the client" (case studies and theory), unless it is "the client I saw".
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

WINDOW = 12  # words between a client reference and a detail, across sentences

EXPLANATIONS = {
    "age": "mentions a client together with an age",
    "place": "mentions a client together with a named place",
    "date": "mentions a client together with a date",
    "occupation": "mentions a client together with an occupation",
    "name": "mentions a client together with what looks like a name",
}
_NOUNS = {
    "age": "an age",
    "place": "a named place",
    "date": "a date",
    "occupation": "an occupation",
    "name": "what looks like a name",
}

_MONTHS = "January February March April May June July August September October November December"
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NOT_NAMES = _words(
    f"""{_MONTHS} {_WEEKDAYS} Mondays Tuesdays Wednesdays Thursdays Fridays Saturdays Sundays
    Christmas Easter Ramadan Eid Diwali Hanukkah Passover Halloween Xmas Covid Lockdown
    Mum Mom Dad Nan Nana Gran Granny Grandma Grandad Grandpa Auntie Uncle God Jesus Allah
    Gestalt Rogerian Freudian Jungian Kleinian Winnicott Person Humanistic Integrative
    Psychodynamic Transactional Existential Compassion Schema Mindfulness Focusing
    Zoom Teams Skype Whatsapp WhatsApp Facebook Instagram Twitter Tiktok TikTok Google
    Uni University College School Sixth Work Home Church Session Sessions Week Weeks Level
    Year Module Chapter Part Unit Term The This That These Those There Then And But Or So
    Who What When Where Why How Which Yesterday Today Tomorrow Tonight Recently Also However
    Actually Sometimes Anyway Honestly Obviously Hopefully Luckily Sadly Still Now Later Last
    Next First Finally Again Because Although Though While After Before Since Until If My
    Our Her His Their Your She He They We It Its Yes No Not Okay Hi Hello Thanks Please
    English British Welsh Scottish Irish Samaritans Mind NHS"""
)
# Towns and cities named often enough to recognise without a preposition. Names that are
# everyday words ("Reading", "Bath", "Nice") are left to the preposition rule.
PLACES = _words(
    """London Manchester Birmingham Leeds Liverpool Sheffield Bristol Newcastle Nottingham
    Leicester Coventry Bradford Hull Stoke Wolverhampton Plymouth Southampton Portsmouth
    Brighton Norwich Exeter York Oxford Cambridge Cardiff Swansea Newport Aberystwyth
    Glasgow Edinburgh Aberdeen Dundee Inverness Belfast Derry Dublin Cork Galway Derby
    Lancaster Preston Blackpool Bolton Wigan Sunderland Middlesbrough Durham Carlisle
    Ipswich Colchester Luton Milton Northampton Peterborough Gloucester Cheltenham Worcester
    Hereford Shrewsbury Chester Stockport Salford Oldham Rochdale Huddersfield Wakefield
    Doncaster Rotherham Barnsley Lincoln Canterbury Margate Bournemouth Swindon Truro
    Paris Berlin Madrid Rome Lisbon Amsterdam Brussels Warsaw Athens Istanbul Lagos Nairobi
    Johannesburg Cairo Mumbai Delhi Karachi Dhaka Sydney Melbourne Auckland Toronto
    Vancouver Chicago Boston Seattle"""
)
_JOBS = [
    r"head\s*teacher", "teaching assistant", "teacher", "lecturer", "professor", "nurse",
    "midwife", "doctor", "surgeon", "dentist", "pharmacist", "paramedic", "psychiatrist",
    "psychologist", r"fire\s*fighter", r"fire\s*m[ae]n", "police officer",
    r"police\s*m[ae]n", r"police\s*wom[ae]n", "detective", "prison officer", "soldier",
    "sailor", "pilot", "solicitor", "lawyer", "barrister", "judge", "magistrate",
    "accountant", "banker", "vicar", "priest", "imam", "rabbi", "councillor",
    "social worker", "care worker", "youth worker", "carer", "journalist", "actor",
    "actress", "musician", "singer", "footballer", "athlete", "engineer", "architect",
    "chef", "farmer", "plumber", "electrician", "builder", "hairdresser", "taxi driver",
    "bus driver", "lorry driver", "shop assistant", "cleaner", "receptionist", "vet",
    "civil servant", "nanny", "childminder", "estate agent", "postman", "postwoman",
]  # fmt: skip
# The word before "a"/"an" that makes the job someone the client consulted.
_JOB = "|".join(job.replace(" ", r"\s+") for job in _JOBS)
_CONSULTING = _words(
    """see saw seeing seen sees visit visited visiting visits consult consulted consulting
    by ask asked asking"""
)

_NAME = r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+)?[A-Z][a-z][\w'\u2019-]*"
_NOT_AFTER_CLIENT = (
    r"(?![-\u2010])(?!\s+(?:work|hours|base|load|group|groups|notes|contact|portal|feedback"
    r"|records|information|confidentiality|centred|led)\b)"
)
_FILLER = r"(?:(?!(?:with|to|for|of|and|or|about|on|in|at|from|is|was|as|the)\b)[\w'\u2019-]+\s+)"
_REFERENCES = re.compile(
    rf"""\b(?:my|a|an|one|this|another)\s+{_FILLER}{{0,2}}?
            (?:clients?|patients?|service[ -]users?|counsell?ees?){_NOT_AFTER_CLIENT}
        | \bthat\s+(?:client|patient)\b{_NOT_AFTER_CLIENT}
        | \b(?:clients?|patients?)\s+(?:I|we)(?:'m|\s+am|\s+was|\s+have\s+been)?\s+
            (?:saw|see|seeing|work|worked|working|counsel|counselled|support|supported)\b
        | \bclients?(?=\s+(?:called|named)\b)
        | \bclient\s+(?-i:[A-Z])(?![\w'\u2019])
        | \b(?:a|one|this|that|my)\s+(?:young\s+person|child|teenager|woman|man|boy|girl
            |couple|family|person|lady|gentleman|student)\s+(?:I|we)(?:'m|\s+am|\s+was)?\s+
            (?:work|working|worked|see|seeing|saw|counsel|counselling|support|supporting)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_NAME_AFTER = re.compile(
    rf"(?:\s*[,(]\s*|\s+)(?:(?i:called|named|known\s+as|whose\s+name\s+is)\s+)?(?P<d>{_NAME})"
)
_NAME_BEFORE = re.compile(
    rf"\b(?P<d>{_NAME}),\s+(?i:(?:my|a|one|this)\s+(?:client|patient)s?(?:\s+of\s+mine)?)\s*[,)]"
)
_NUMBER_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three"
    r"|four|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
)
_DECADE = (
    r"(?:teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties|[1-9]0'?s)"
)
_MONTH = (
    r"(?:[Jj]anuary|[Ff]ebruary|[Mm]arch|[Aa]pril|May|[Jj]une|[Jj]uly|[Aa]ugust|[Ss]eptember"
    r"|[Oo]ctober|[Nn]ovember|[Dd]ecember|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b"
)
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)"
_DETAILS: list[tuple[str, re.Pattern[str]]] = [
    (
        "age",
        re.compile(
            rf"""\bage[d]?\s+\d{{1,3}}\b
            | \b(?:\d{{1,3}}|{_NUMBER_WORD})[- ]?(?:years?|yrs?)[- ]old\b
            | \b\d{{1,3}}\s?y/?o\b
            | \bin\s+(?:his|her|their)\s+(?:(?:early|mid|late)[\s-]+)?{_DECADE}(?!\w)""",
            re.IGNORECASE | re.VERBOSE,
        ),
    ),
    (
        "date",
        re.compile(
            rf"""\b(?:{_ORDINAL}|\d{{1,2}})\s+(?:of\s+)?{_MONTH}
            | \b(?-i:{_MONTH})\s+(?:{_ORDINAL}|\d{{1,2}})\b
            | \b\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})\b
            | \b\d{{4}}-\d{{1,2}}-\d{{1,2}}\b
            | \b(?:{_WEEKDAYS.replace(" ", "|")})\s+(?:the\s+)?{_ORDINAL}\b""",
            re.VERBOSE,
        ),
    ),
    (
        "occupation",
        re.compile(
            rf"""\b(?P<lead>[Aa]n?)\s+(?:[\w'\u2019-]+\s+){{0,3}}?(?P<d>(?i:{_JOB})(?:e?s)?|GP|MP)\b
            | \b(?i:are|were|as)\s+(?:(?i:both|all)\s+)?(?P<p>(?i:{_JOB})(?:e?s)?|GPs|MPs)\b""",
            re.VERBOSE,
        ),
    ),
    (
        "place",
        re.compile(
            r"""\b(?:[Ii]n|[Ff]rom|[Aa]t|[Nn]ear|lives\s+in|living\s+in|moved\s+to|grew\s+up\s+in
                |born\s+in|based\s+in|raised\s+in)\s+
              (?P<d>[A-Z][a-z][\w'\u2019]*(?:(?:\s|-)(?:(?:upon|on|under|le|in)(?:\s|-))?[A-Z][a-z][\w'\u2019]*){0,3})
            | \b(?P<l>"""
            + "|".join(sorted(PLACES))
            + r""")\b""",
            re.VERBOSE,
        ),
    ),
]


@dataclass(frozen=True)
class Finding:
    """One identifying detail near a client reference: which rule, where, and why."""

    rule: str
    start: int
    end: int
    text: str

    @property
    def explanation(self) -> str:
        """A short human reason, such as "mentions a client together with an age"."""
        return EXPLANATIONS[self.rule]

    def as_payload(self, source: str) -> dict[str, Any]:
        """The finding for clients, its offsets counted in UTF-16 units of `source`, as
        JavaScript strings count them, so the browser can select the words."""
        return {
            "rule": self.rule,
            "start": _utf16(source, self.start),
            "end": _utf16(source, self.end),
            "text": self.text,
            "explanation": self.explanation,
        }


def _utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def _detail_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Every identifying detail in `text`, near a client or not: (rule, start, end)."""
    for rule, pattern in _DETAILS:
        for match in pattern.finditer(text):
            group = next((g for g in ("d", "p", "l") if match.groupdict().get(g)), 0)
            if rule == "place" and match.group(group).split()[0] in NOT_NAMES:
                continue
            if rule == "occupation" and match.group("lead"):
                preceding = text[: match.start()].split()
                if preceding and preceding[-1].lower().strip(",;:") in _CONSULTING:
                    continue
            yield rule, match.start(group), match.end(group)
    for reference in _REFERENCES.finditer(text):
        after = _NAME_AFTER.match(text, reference.end())
        if after and after.group("d").split()[0] not in NOT_NAMES:
            yield "name", after.start("d"), after.end("d")
    for appositive in _NAME_BEFORE.finditer(text):
        if appositive.group("d") not in NOT_NAMES:
            yield "name", appositive.start("d"), appositive.end("d")


class _Positions:
    """Word and sentence numbers of character offsets, to tell what is near what."""

    def __init__(self, text: str) -> None:
        self._words = [m.start() for m in re.finditer(r"\S+", text)]
        self._sentences = [m.end() for m in re.finditer(r"[.!?]+[\"')\]]*\s+|\n", text)]

    def word(self, offset: int) -> int:
        return bisect_right(self._words, offset)

    def sentence(self, offset: int) -> int:
        return bisect_right(self._sentences, offset)


def check(text: str) -> list[Finding]:
    """Identifying details that sit near a client reference in `text`, in text order.

    A detail counts once per place in the text, however many rules or references it
    matches; overlapping matches of one rule keep the longest.
    """
    references = [(m.start(), m.end()) for m in _REFERENCES.finditer(text)]
    references += [(m.start(), m.end()) for m in _NAME_BEFORE.finditer(text)]
    if not references:
        return []
    at = _Positions(text)

    def near(start: int, end: int) -> bool:
        for ref_start, ref_end in references:
            if start < ref_end and ref_start < end:
                return True
            first, last = sorted(((start, end), (ref_start, ref_end)))
            if at.sentence(first[1] - 1) == at.sentence(last[0]):
                return True
            if at.word(last[0]) - at.word(first[1] - 1) <= WINDOW:
                return True
        return False

    kept: list[Finding] = []
    for rule, start, end in sorted(_detail_spans(text), key=lambda s: (s[1], -s[2])):
        if any(f.rule == rule and start < f.end and f.start < end for f in kept):
            continue
        if near(start, end):
            kept.append(Finding(rule, start, end, text[start:end]))
    return kept


def summary(findings: list[Finding]) -> str:
    """What was found, for people: "mentions a client together with an age ('aged 34')
    and a named place ('Leeds')"."""
    parts = [f"{_NOUNS[f.rule]} ('{f.text}')" for f in findings]
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return f"mentions a client together with {listed}"


def warning(text: str, what: str) -> dict[str, Any] | None:
    """The `warning` for an ack when `text` (a sent "message" or "question") may identify
    a client, or None when nothing was found."""
    findings = check(text)
    if not findings:
        return None
    return {
        "code": "confidentiality",
        "message": (
            f"Your {what} was sent, but it may identify a client: it {summary(findings)}. "
            "Please check it, and change or remove it if it could."
        ),
        "findings": [f.as_payload(text) for f in findings],
    }
