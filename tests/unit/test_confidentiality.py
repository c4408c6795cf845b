"""The confidentiality guard's rule table: what it warns about and what it leaves alone.

A hit names the rule and the words it should point at; a near-miss must produce no
finding at all. The guard warns; it never changes the text.
"""

from __future__ import annotations

import pytest

from chat.services import confidentiality
from chat.services.confidentiality import check

HITS = [
    pytest.param("My client, aged 34, talked about her mother.", "age", "aged 34",
                 id="age-aged-number"),
    pytest.param("I have a 34-year-old client who self-harms.", "age", "34-year-old",
                 id="age-hyphenated-inside-reference"),
    pytest.param("One client is 61 years old and recently bereaved.", "age", "61 years old",
                 id="age-years-old"),
    pytest.param("A client in her forties keeps cancelling.", "age", "in her forties",
                 id="age-decade-in-words"),
    pytest.param("my client in his late 50s is anxious", "age", "in his late 50s",
                 id="age-decade-in-digits"),
    pytest.param("My client, a thirty-four-year-old man, cried.", "age", "thirty-four-year-old",
                 id="age-number-words"),
    pytest.param("A client of mine in Leeds has been struggling.", "place", "Leeds",
                 id="place-after-in"),
    pytest.param("My client from Aberystwyth said it felt safe.", "place", "Aberystwyth",
                 id="place-unlisted-after-from"),
    pytest.param("This client lives in Stoke Newington with her kids.", "place",
                 "Stoke Newington", id="place-two-words-after-lives-in"),
    pytest.param("My client, a Glasgow lad, laughed.", "place", "Glasgow",
                 id="place-listed-city-without-preposition"),
    pytest.param("My client works at Tesco on nights.", "place", "Tesco",
                 id="place-workplace-after-at"),
    pytest.param("I saw a client on 12 March who disclosed abuse.", "date", "12 March",
                 id="date-day-month"),
    pytest.param("My client's mother died on the 3rd of June.", "date", "3rd of June",
                 id="date-ordinal-of-month"),
    pytest.param("My client's court date is March 12th.", "date", "March 12th",
                 id="date-month-day"),
    pytest.param("A client I saw on 12/03/2025 rang again.", "date", "12/03/2025",
                 id="date-numeric"),
    pytest.param("My client was referred on 2025-03-12.", "date", "2025-03-12", id="date-iso"),
    pytest.param("My client's hearing is on Tuesday 14th.", "date", "Tuesday 14th",
                 id="date-weekday-with-day"),
    pytest.param("My client is a teacher at the local primary.", "occupation", "teacher",
                 id="occupation-is-a"),
    pytest.param("a client who works as a police officer", "occupation", "police officer",
                 id="occupation-two-words"),
    pytest.param("My client, a retired nurse, said no.", "occupation", "nurse",
                 id="occupation-after-adjective"),
    pytest.param("My client's husband is a solicitor.", "occupation", "solicitor",
                 id="occupation-of-family-member"),
    pytest.param("Two of my clients are nurses.", "occupation", "nurses",
                 id="occupation-plural"),
    pytest.param("I keep thinking about my client Sarah.", "name", "Sarah",
                 id="name-after-reference"),
    pytest.param("A client called John told me he felt stuck.", "name", "John",
                 id="name-called"),
    pytest.param("One client, Priya, asked to end.", "name", "Priya", id="name-in-commas"),
    pytest.param("Tom, a client of mine, has moved on.", "name", "Tom",
                 id="name-before-reference"),
    pytest.param("I saw my client Mrs Patel today.", "name", "Mrs Patel", id="name-with-title"),
    pytest.param("A patient aged 70 refused to talk.", "age", "aged 70",
                 id="reference-a-patient"),
    pytest.param("My supervisee's client is a firefighter.", "occupation", "firefighter",
                 id="reference-supervisees-client"),
    pytest.param("A young person I work with lives in Hull.", "place", "Hull",
                 id="reference-young-person-i-work-with"),
    pytest.param("Client X, aged 52, asked me about it.", "age", "aged 52",
                 id="reference-client-letter"),
    pytest.param("My client has had a hard year. She is a nurse.", "occupation", "nurse",
                 id="detail-in-next-sentence-within-window"),
]  # fmt: skip

NEAR_MISSES = [
    pytest.param("Client-centred therapy puts the person first.", id="client-centred"),
    pytest.param("Person-centred work in Leeds is thriving.", id="person-centred-place"),
    pytest.param("Carl Rogers said the client knows best.", id="carl-rogers"),
    pytest.param("My supervisor in London suggested reading Yalom.", id="supervisor-in-london"),
    pytest.param("I'm 34 and training as a counsellor.", id="own-age-no-client"),
    pytest.param("A client once told me it helped to write letters.", id="client-no-detail"),
    pytest.param("In client work, I find silence powerful.", id="in-client-work"),
    pytest.param("I logged my client hours on 12 March.", id="client-hours"),
    pytest.param(
        "A client once said something that stayed with me for a very long time. Years "
        "later, on a course with colleagues from all over the country, in Manchester, "
        "I thought of it.",
        id="detail-far-from-reference",
    ),
    pytest.param("A client I saw last Tuesday cried for the first time.", id="weekday-alone"),
    pytest.param("My client has been coming since March.", id="month-alone"),
    pytest.param("A client I worked with in 2019 got in touch.", id="bare-year"),
    pytest.param("Client X finally cried in our sixth session.", id="client-letter-pseudonym"),
    pytest.param("My client I think is ready to end.", id="pronoun-after-reference"),
    pytest.param("A client DNA'd twice this month.", id="acronym-after-reference"),
    pytest.param("My client went to see a doctor about it.", id="consulting-a-professional"),
    pytest.param("My client's GP referred her for counselling.", id="their-gp"),
    pytest.param("My client found it helpful in Gestalt chair work.", id="modality-after-in"),
    pytest.param("A client struggles at Christmas every year.", id="festival-after-at"),
    pytest.param("My client reminded me of what Carl Rogers said.", id="theorist-not-adjacent"),
    pytest.param("Sarah, a 34-year-old teacher from Leeds, joined our course.",
                 id="details-without-client"),
    pytest.param("Be patient with your clients in Leeds.", id="patient-as-adjective"),
    pytest.param("Client-led endings were the theme in Glasgow.", id="client-led"),
    pytest.param("In the case study, the client is 34 and lives in Bristol.",
                 id="case-study-client"),
    pytest.param("My client got a text from Mum during the session.", id="family-word-after-from"),
    pytest.param("My client is away at Uni this term.", id="at-uni"),
    pytest.param("I see my client on Mondays at 6.", id="weekly-slot"),
    pytest.param("My client's 6th session was hard.", id="session-ordinal"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "rule", "words"), HITS)
def test_a_client_reference_near_an_identifying_detail_is_found(
    text: str, rule: str, words: str
) -> None:
    findings = check(text)
    assert [f for f in findings if f.rule == rule and f.text == words], findings
    for finding in findings:
        assert text[finding.start : finding.end] == finding.text
        assert finding.explanation.startswith("mentions a client together with ")


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_a_near_miss_is_left_alone(text: str) -> None:
    assert check(text) == []


def test_every_detail_of_the_composer_example_is_found_in_order() -> None:
    findings = check("My client Sarah, a 34-year-old teacher from Leeds")
    assert [(f.rule, f.text) for f in findings] == [
        ("name", "Sarah"),
        ("age", "34-year-old"),
        ("occupation", "teacher"),
        ("place", "Leeds"),
    ]
    assert confidentiality.summary(findings) == (
        "mentions a client together with what looks like a name ('Sarah'), an age "
        "('34-year-old'), an occupation ('teacher') and a named place ('Leeds')"
    )


def test_a_detail_repeated_counts_once_per_place_in_the_text() -> None:
    findings = check("My client from Leeds went back to Leeds.")
    assert [(f.rule, f.start) for f in findings] == [("place", 15), ("place", 34)]


def test_offsets_in_payloads_count_utf16_units_as_the_browser_does() -> None:
    text = "🙂 my client Sarah"
    (finding,) = check(text)
    assert (finding.start, finding.end) == (12, 17)
    assert finding.as_payload(text) == {
        "rule": "name",
        "start": 13,
        "end": 18,
        "text": "Sarah",
        "explanation": "mentions a client together with what looks like a name",
    }


def test_warning_says_what_was_found_and_clean_text_has_none() -> None:
    warning = confidentiality.warning("My client is a nurse.", "message")
    assert warning is not None
    assert warning["code"] == "confidentiality"
    assert "an occupation ('nurse')" in warning["message"]
    assert [f["rule"] for f in warning["findings"]] == ["occupation"]
    assert confidentiality.warning("A client once told me it helped.", "message") is None


def test_every_occurrence_in_the_longest_body_is_found() -> None:
    text = ("My client is a nurse. " * 100)[:2000]
    assert len(check(text)) == text.count("nurse")
