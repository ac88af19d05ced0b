"""What a claim says, read from its text: content words, specifics, negation, qualifiers, caveats and clauses."""

from __future__ import annotations

import re

from wordfreq import zipf_frequency

from roadmap_rag.text.sentences import URL
from roadmap_rag.text.words import STOPWORDS, WORD, fold

# Words that frame a claim rather than state it. Stemmed by their first six letters, as content words are.
_FRAMING_WORDS = """
roadmap roadmaps curriculum curricula guide guides plan module modules section sections chapter part parts
list lists listed listing cover covers covered covering include includes included including recommend recommends
recommended recommendation suggest suggests suggested according say says said mention mentions mentioned
source sources step steps stage stages topic topics also like such following here key main point points
explain explains explained describe describes described focus focuses focused discuss discusses discussed
learn learning learned study studying studied start starts begin begins one ones way ways thing things area
areas item items row rows provide provides provided give gives given offer offers offered want help helps
cover well overall summary specifically particular various several important useful recommendations
the this that these those it its their there which who what when how where why you your we our
yes yeah sure possibly probably definitely certainly short don doesn isn aren didn won wasn weren haven hasn
"""
FRAMING = frozenset(w[:6] for w in _FRAMING_WORDS.split())
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*%?")
QUOTED = re.compile(r"[\"“]([^\"“”]{3,80})[\"”]")
_NAME = re.compile(
    r"\b(?:[A-Z][a-z]*[A-Z0-9][\w-]*|[A-Z]{2,}[\w-]*|[A-Za-z]+-\d[\w.-]*|[a-z]+[A-Z][\w-]*)\b"
    r"|(?<=[a-z,;] )[A-Z][a-z]{2,}\b"
)
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "first": "1", "second": "2", "third": "3",
    "fourth": "4", "fifth": "5", "sixth": "6", "twice": "2x", "double": "2x", "doubled": "2x", "doubling": "2x",
    "triple": "3x", "tripled": "3x", "quadruple": "4x", "quadrupled": "4x", "half": "0.5x", "halved": "0.5x",
}  # fmt: skip
# The number words a claim is held to: "one", "first", "second" and "half" are too often not numbers at all.
_SPELLED = re.compile(
    r"\b(?:" + "|".join(w for w in _NUMBER_WORDS if w not in ("one", "first", "second", "half")) + r")\b"
)
# Magnitudes a claim may only use when its source does.
_MAGNITUDE = re.compile(r"\b(?:hundreds?|thousands?|millions?|billions?|trillions?|dozens?|\d+x)\b")
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(_NUMBER_WORDS) + r")\b")
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nothing|neither|nor|avoid|avoiding|skip|skipping|cannot|unnecessary)\b|n['’]t\b",
    re.IGNORECASE,
)
# A run of four or more capitalised words mid-sentence is a title ("Leave No Context Behind"), not a clause.
_TITLE_CASE = re.compile(r"(?:^|(?<=\w\W))\b(?:[A-Z][\w'’-]*\s+){3,}[A-Z][\w'’-]*")
# Qualifiers that come in exclusive sets: where a source says one member, a claim may not say another.
_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "time": {"part-time": ("part-time", "part time"), "full-time": ("full-time", "full time")},
    "level": {
        "beginner": ("beginner", "beginners", "basic", "basics", "introductory"),
        "intermediate": ("intermediate",),
        "advanced": ("advanced", "expert"),
    },
    "need": {
        "optional": ("optional", "nice-to-have", "not required", "not mandatory"),
        "required": ("required", "mandatory", "essential", "must-have", "compulsory"),
    },
    "cost": {"free": ("free", "no cost", "free of charge"), "paid": ("paid", "buy", "purchase", "costs money")},
    "pace": {
        "sequential": ("sequential", "sequentially", "one at a time", "one token at a time", "step by step"),
        "parallel": ("parallel", "in parallel", "simultaneously", "at once"),
    },
    "likeness": {
        "similar": ("similar", "closer", "close together", "pulled together"),
        "dissimilar": ("dissimilar", "apart", "pushed apart", "far apart", "further apart"),
    },
    "weights": {
        "frozen": ("frozen", "freeze", "freezes", "freezing", "kept fixed"),
        "retrained": ("retrain", "retrains", "retraining", "retrained", "all of the pretrained weights"),
    },
    "direction": {
        "less": ("smaller", "fewer", "reduce", "reduces", "reduced", "reducing", "decrease", "decreases", "lower"),
        "more": ("larger", "bigger", "increase", "increases", "increased", "increasing", "higher", "greater"),
    },
    "phase": {"training": ("training phase", "during training"), "inference": ("inference phase", "at inference")},
    "mechanism": {"recurrence": ("recurrence", "recurrent", "rnn", "rnns"), "attention": ("self-attention",)},
}
_QUALIFIERS: dict[str, tuple[str, str]] = {
    spelling: (group, member)
    for group, members in _GROUPS.items()
    for member, spellings in members.items()
    for spelling in spellings
}
_QUALIFIER = re.compile(
    r"\b(?:"
    + "|".join(re.escape(w).replace(r"\ ", r"[\s-]+") for w in sorted(_QUALIFIERS, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
_CLAUSES = re.compile(r";|\s[-–—]\s|,\s*(?:and|but|while|whereas|then|followed by)\s")
# What binds the parts of a claim: "head: body", "name (details)", "X — Y", "X for Y", "X under Y", "part of".
_BINDS = re.compile(r":\s|\(|\s[-–—]\s|\b(?:for|under|as|in|belongs? to|part of)\b", re.IGNORECASE)
_SUBCLAUSES = re.compile(r"[;,:]\s|\s[-–—]\s|\bbut\b")
# A sentence of ours that says what the sources do not hold: "The sources don't say how long this takes."
_CAVEAT = re.compile(
    r"\b(?:do(?:es)?n[o']?t|do(?:es)? not|never|no|neither|nor)\b.{0,40}?\b(?:say|says|state|states|mention|mentions|"
    r"cover|covers|give|gives|list|lists|specify|specifies|include|includes|discuss|discusses|name|names|address|"
    r"provide|provides|detail|details|explain|explains|offer|offers|show|shows|set|sets|recommend|recommends)\b"
    r"|\b(?:not|isn't|aren't)\s+(?:covered|mentioned|specified|stated|given|listed|addressed|included|discussed)\b"
    r"|\bno (?:information|mention|details?|timeline|estimate)\b",
    re.IGNORECASE,
)
_SOURCES_LACK = re.compile(
    r"\b(?:sources?|roadmaps?|curricul(?:um|a)|guides?|passages?|documents?|timelines?|modules?|sections?|tables?|"
    r"authors?|none of (?:them|these|the \w+))\b"
    r"[^.;:]{0,30}?\b(?:do(?:es)?n['’]?t|do(?:es)? not|never|isn['’]t|aren['’]t|is not|are not|has no|have no|"
    r"lacks?)\b",
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    r"\b(?:sources?|roadmaps?|curricul(?:um|a)|guides?|passages?|documents?|it|they|these|this)\b", re.I
)
_EVERYDAY = 3.5  # ... and from which it is an everyday word ("Month", "Python" are words; "Codecademy" a name)
_RARE = 2.0  # Zipf frequency below which a word is a name or a term of art (wordfreq: 3 = once per million words)


def words(text: str) -> set[str]:
    """Content words, stemmed by their first six letters (as citations.content_words), framing words left out."""
    return {w[:6] for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1} - FRAMING


def _digits(text: str, spelled: re.Pattern[str] | None = None) -> str:
    """``text`` folded, its numbers in words as digits ("three" -> "3", "doubled" -> "2x")."""
    return (spelled or _NUMBER_WORD).sub(lambda m: _NUMBER_WORDS[m.group(0)], fold(text))


def specifics(text: str) -> list[str]:
    """Numbers (also in words: "three", "doubled", "millions"), URLs, quoted titles, proper names and rare words
    (a tool's name at the start of a line, "tiktoken") in ``text``."""
    urls = URL.findall(text)
    rest = URL.sub(" ", text)
    spelled = _digits(rest)
    found = [
        *urls,
        *QUOTED.findall(rest),
        *NUMBER.findall(rest),
        *(n for n in NUMBER.findall(_digits(rest, _SPELLED)) if n not in rest),
        *_MAGNITUDE.findall(spelled),
        *_NAME.findall(rest),
        *(w for w in re.findall(r"[A-Za-z][A-Za-z-]{2,}", rest) if _rare(w)),
    ]
    return list(dict.fromkeys(f.strip().rstrip(".,;:") for f in found if f.strip()))


def _proper(found: str) -> bool:
    """A name proper: a number, an acronym or a camel-cased name, or a word that is not everyday English (a quoted
    title of several words is what the sentence says, not a name)."""
    if " " in found.strip():
        return False
    return any(c.isdigit() for c in found) or any(c.isupper() for c in found[1:]) or _rare(found, _EVERYDAY)


def _rare(word: str, threshold: float | None = None) -> bool:
    """Not a word of everyday English: a name or a term of art ("Codecademy", "tiktoken", "vLLM")."""
    return zipf_frequency(word.lower(), "en") < (threshold or _RARE)


def negated(text: str) -> bool:
    """A denial: a negating word outside a title ("Leave No Context Behind" names a paper, it denies nothing, and
    so does a quoted one), outside an answer's opening "No." (it answers the learner, the clause after it says
    what it says), and not in "not only ... but also" (which asserts both)."""
    text = _ANSWER_WORD.sub(" ", _QUOTED_TITLE.sub(" ", _TITLE_CASE.sub(" ", text)))
    return bool(_NEGATION.search(_NOT_ONLY.sub(" ", text)))


# A title in quotation marks (a clause may end inside it); an answer's first word; "not only" (of "not only A but
# also B").
_QUOTED_TITLE = re.compile(r"[\"“][^\"“”]{3,150}(?:[\"”]|$)")
_ANSWER_WORD = re.compile(r"^\W*(?:no|nope|yes|yeah|yep)\b\s*[.,!:;—–-]+", re.IGNORECASE)
_NOT_ONLY = re.compile(r"\bnot\s+only\b", re.IGNORECASE)


def qualifiers(text: str) -> dict[str, set[str]]:
    """group -> members for the qualifiers in ``text`` ("full time" -> {"time": {"full-time"}})."""
    found: dict[str, set[str]] = {}
    for match in _QUALIFIER.finditer(text):
        spelling = re.sub(r"[\s-]+", " ", match.group(0).lower())
        group, member = _QUALIFIERS.get(spelling) or _QUALIFIERS[spelling.replace(" ", "-")]
        found.setdefault(group, set()).add(member)
    return found


def is_caveat(text: str) -> bool:
    """A sentence that says the sources do not hold something ("The sources don't give a timeline.")."""
    return bool(_SOURCES_LACK.search(text)) or (bool(_CAVEAT.search(text)) and bool(_SUBJECT.search(text)))


def _bound(found: str, other: str, clause: str) -> bool:
    """The clause attaches ``found`` to ``other`` ("the BERT paper as the resource for Autoregressive Modeling")
    rather than listing them side by side ("Python, together with PyTorch basics")."""
    a, b = clause.find(found), clause.find(other)
    between = clause[min(a, b) : max(a, b)] if a >= 0 and b >= 0 else ""
    return bool(_BINDS.search(between))


def _parts(text: str, context: str) -> tuple[tuple[str, frozenset[str], bool], ...]:
    """A unit's clauses; a clause without content words ("not what it is") is part of the one before it."""
    parts: list[tuple[str, frozenset[str], bool]] = []
    for clause in (c for c in _SUBCLAUSES.split(text) if c.strip()):
        found = frozenset(words(clause))
        if parts and not found:
            last = parts[-1]
            parts[-1] = (last[0], last[1], last[2] or negated(clause))
        else:
            parts.append((_digits(f"{clause}\n{context}"), found, negated(clause)))
    return tuple(parts)


def _quoted(text: str) -> str:
    return re.sub(r"[\s.!?:;]+$", "", re.sub(r"\s+", " ", fold(text)))


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSES.split(text) if c.strip()]
