"""What a sentence of prose does, read from its form, not from its topic: talks about the article itself
("In this article, I am going to share ..."), tells the author's story ("I was already familiar with this
field"), answers back to the author ("thanks for this"), gives advice ("I strongly suggest ..."), or states a
duration ("6-9 months part-time"). And what a question asks for: a duration, a verdict, a price, a date.

The composer never quotes meta, narrative or comment sentences of blog prose; the learned ranker
(``ranking``) reads the rest as features; ``coverage`` asks whether a price or a date the question wants is
in the answer's sources.
"""

from __future__ import annotations

import re

_META = re.compile(
    r"\b(?:in|through) this (?:article|post|blog(?: post)?|piece|write-?up|story|newsletter)\b"
    r"|\b(?:this|the) (?:article|blog post|post) (?:is|was|will|covers|shares)\b"
    r"|\bi(?:'m| am) going to (?:share|show|walk|explain|tell)\b|\blet(?:'s| us) (?:dive|get started|begin)\b"
    r"|\b(?:at the time of writing|stay tuned|follow me|subscribe|clap|leave a comment)\b"
    r"|\b(?:thanks|thank you) for reading\b|\bhappy (?:learning|reading|coding)\b",
    re.IGNORECASE,
)
_COMMENT = re.compile(
    r"^\W*(?:thanks|thank you|thx|great (?:article|post|read|list|work)|nice (?:article|post|one)|awesome"
    r"|amazing (?:article|post|work)|well written|very (?:helpful|useful|informative)|love (?:this|it))\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|myself)\b", re.IGNORECASE)
# The author's story: first person with a verb of experience, feeling or intent, not of advice.
_STORY = re.compile(
    r"\bi(?:'m| am| was| wanted| want| started| knew| know| could| had| have| felt| feel| decided| noticed"
    r"| hope| love| loved| got| became| didn't| did not| found it| thought| think)\b"
    r"|\bmy (?:journey|background|experience|interest|interests|repository|repo|goal|story|knowledge gaps?|mind)\b"
    r"|\bobsessed\b|\bbig time\b",
    re.IGNORECASE,
)
_ADVICE = re.compile(
    r"\b(?:suggest|recommend|advise|should|must|need to|have to|mandatory|essential|crucial|don't|do not|avoid"
    r"|make sure|take the time|strongly|highly|worth|best to|better to|you can|you will|you'll|your)\b",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"\b\d+(?:\s*(?:[-–]|to)\s*\d+)?\s*(?:\+\s*)?(?:months?|weeks?|days?|hours?|years?)\b"
    r"|\b(?:a|one|two|three|four|five|six|several|few) (?:months?|weeks?|days?|years?)\b"
    r"|\b(?:month|week|day)s? \d+\b|\bpart-time\b|\bfull-time\b"
    r"|\bas much time as (?:needed|necessary|you need|it takes)\b|\btakes? (?:your|its|some|more|extra) time\b",
    re.IGNORECASE,
)
_ASKS_DURATION = re.compile(
    r"\bhow (?:long|much time|many (?:months|weeks|days|hours|years))\b|\btime(?:line|frame)?\b.{0,20}\b(?:take|need)"
    r"|\b(?:in|within) (?:\d+|a|one|two) (?:days?|weeks?|months?)\b"
    r"|\b(?:\d+|a|one|two) (?:days?|weeks?|months?)\b.{0,30}\b(?:realistic|enough|possible|doable|feasible|too)\b",
    re.IGNORECASE,
)
_ASKS_VERDICT = re.compile(
    r"\b(?:should|shall) i\b|\bdo i (?:really )?(?:need|have) to\b|\bdo i need\b|\bis (?:it|\w+) (?:really )?"
    r"(?:needed|necessary|required|worth|enough|mandatory|important)\b|\bwhich (?:one|is better|should)\b"
    r"|\bworth it\b|\bcan i (?:skip|just|actually)\b|\bis it ok\b|\bor\b.{0,30}\?\s*$",
    re.IGNORECASE,
)
_ASKS_PRICE = re.compile(
    r"\bhow much\b.{0,60}\b(?:cost|costs|pay|charge|charges|earn|make)\b|\b(?:price|prices|pricing|salary|salaries)\b"
    r"|\bcosts? (?:of|to|for)\b|\$\s?\d",
    re.IGNORECASE,
)
_STATES_PRICE = re.compile(r"[$€£]\s?\d|\b\d+(?:\.\d+)?\s?(?:usd|dollars?|euros?)\b|\bfree\b", re.IGNORECASE)
_ASKS_DATE = re.compile(
    r"\bwhen (?:was|were|did|is|will)\b.{0,60}\b(?:released?|launch(?:ed)?|announced|published|come out|out)\b"
    r"|\bwhen (?:does|do|did|will)\b.{0,60}\b(?:take effect|come into (?:force|effect)|enter into force)\b"
    r"|\brelease (?:date|day)\b|\bwhat (?:year|date|day)\b|\bwhich year\b",
    re.IGNORECASE,
)
_STATES_DATE = re.compile(r"\b(?:19|20)\d\d\b")
_ASKS_QUANTITY = re.compile(
    r"\bhow many\b|\bhow (?:big|large|fast|accurate)\b|\bwhat (?:is |was )?(?:the |its |their )?"
    r"(?:score|scores|accuracy|sizes?|parameter count|number of \w+|percentage)\b|\bscored?\b.{0,20}\bon\b",
    re.IGNORECASE,
)
# A number that states an amount; the digits of a name ("GPT-4", "Llama-2") are none.
_STATES_QUANTITY = re.compile(
    r"(?<![A-Za-z]-)\b\d[\d,.]*\s?(?:%|[kmbt]\b|million|billion|trillion|parameters|tokens|layers)?", re.I
)


def is_meta(text: str) -> bool:
    """The text talks about the article, the post or its reader, not the subject."""
    return bool(_META.search(text))


def is_comment(text: str) -> bool:
    """A reader's reply to the author ("thanks for this", "great article")."""
    return bool(_COMMENT.search(text))


def is_narrative(text: str) -> bool:
    """The author's own story ("I was already familiar with this field, so I knew my knowledge gaps"), which
    is neither advice nor a statement about the subject."""
    return bool(_FIRST_PERSON.search(text) and _STORY.search(text) and not _ADVICE.search(text))


def is_chatter(text: str, question: str = "") -> bool:
    """Any of the three: never quoted as an answer. One exception: the author's story is the answer when it
    states how long something took and ``question`` asks how long, or asks for a verdict on a duration ("can I
    learn it in 2 weeks?", "do I have to finish it in exactly 2 weeks?": "... it could last 1 month easily")."""
    if is_meta(text) or is_comment(text):
        return True
    on_time = asks_duration(question) or (asks_verdict(question) and states_duration(question))
    timed = states_duration(text) and on_time
    return is_narrative(text) and not timed


def is_advice(text: str) -> bool:
    return bool(_ADVICE.search(text))


def states_duration(text: str) -> bool:
    return bool(_DURATION.search(text))


def asks_duration(question: str) -> bool:
    return bool(_ASKS_DURATION.search(question))


def asks_verdict(question: str) -> bool:
    """ "should I ...", "do I need ...", "is X worth it", "which one": a recommendation is wanted first."""
    return bool(_ASKS_VERDICT.search(question))


def asks_price(question: str) -> bool:
    return bool(_ASKS_PRICE.search(question))


def states_price(text: str) -> bool:
    return bool(_STATES_PRICE.search(text))


def asks_date(question: str) -> bool:
    return bool(_ASKS_DATE.search(question))


def states_date(text: str) -> bool:
    return bool(_STATES_DATE.search(text))


def asks_quantity(question: str) -> bool:
    """ "how many parameters", "what score on MMLU", "how big is ...": a number is wanted."""
    return bool(_ASKS_QUANTITY.search(question)) and not asks_duration(question)


def states_quantity(text: str, own: str = "") -> bool:
    """A number in ``text`` other than those of the name ``own`` itself ("Llama 2" states no quantity)."""
    found = {m.group(0).strip() for m in _STATES_QUANTITY.finditer(text)}
    return bool(found - {m.group(0).strip() for m in _STATES_QUANTITY.finditer(own)})
