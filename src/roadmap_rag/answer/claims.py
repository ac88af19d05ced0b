"""Whether a source supports a claim, checked where the claim is made, with the reason when it does not.

A claim (a sentence, a list item, a list's lead, a heading of an answer) is supported by the sources it cites when:

1. every roadmap it names is the roadmap of a cited source ("According to the 14-day roadmap, ... [2]" needs [2]
   to come from the 14-day roadmap);
2. every specific in it (number, URL, quoted title, proper name) is in those sources, their titles or section
   paths (a roadmap's name, "module 7", a paper's title are evidence, not only the passage's text);
3. at least half of its content words are there, counted without framing words (the roadmap's own name,
   "lists", "covers", "module", "according to") and without the words the question supplies;
4. each number and name sits in a passage (sentence, list item, table row, with the line that introduces it)
   together with what the claim says of it: "Month 5: prompt engineering" fails where the source has "Month 5:
   Transformers" and "Month 6: Prompt engineering" (a number checked in its own clause); a paper under the wrong
   topic of a table fails the same way (a swap within a list);
5. its qualifiers and negations agree with the passage that holds its words: "full-time" where the passage says
   "part-time", "beginner" where it says "advanced", "avoid X" where it recommends X.

Everything here is deterministic; a failed check names the word and the source, so the learner can see why a
sentence was removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from wordfreq import zipf_frequency

from roadmap_rag.text.injection import looks_like_instruction, without_instructions
from roadmap_rag.text.units import URL, Unit, parse, split_sentences
from roadmap_rag.text.words import STOPWORDS, WORD, fold
from roadmap_rag.types import SECTION_SEPARATOR, Kind, Source

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
# Qualifiers that come in exclusive sets: a claim's member must be the passage's member when the passage has one.
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
_CONTRAST = re.compile(r"\b(?:rather than|instead of|as opposed to|not)\b", re.IGNORECASE)
_STATED = frozenset(["time", "need", "cost"])  # groups whose member a passage must state, not only not contradict
# Words that make a claim absolute: the passage must say them too.
_ABSOLUTE = re.compile(r"\b(?:always|never|exclusively|solely)\b", re.IGNORECASE)
_CLAUSES = re.compile(r";|\s[-–—]\s|,\s*(?:and|but|while|whereas|then|followed by)\s")
# What binds the parts of a claim: "head: body", "name (details)", "X — Y", "X for Y", "X under Y", "part of".
_BINDS = re.compile(r":\s|\(|\s[-–—]\s|\b(?:for|under|as|in|belongs? to|part of)\b", re.IGNORECASE)
_ENUMERATION = re.compile(r",\s+|\s(?:and|or|plus|alongside)\s")
_BRACKETED = re.compile(r"([^()]*?)\(([^()]*)\)")
_PIECES = re.compile(r";\s*|(?<=\)),\s*")
_SCOPES = re.compile(r";\s|\),\s")
_SUBCLAUSES = re.compile(r"[;,:]\s|\s[-–—]\s|\bbut\b")
_PARTS = re.compile(
    r"\s(?=(?:right |just |only |soon |long |well )?(?:before|after|ahead of|prior to)\s)|,\s*(?:then|followed by)\s"
)
# "A before B", "B after A", "after A, B": an order a source's sequence must have.
_ORDER = re.compile(
    r"^(?P<a>.+?)\b(?P<rel>before|after|followed by|then|ahead of|prior to|precedes|follows|later than|earlier than)\b"
    r"(?P<b>.+)$",
    re.IGNORECASE,
)
_AFTER = ("after", "follows", "later than")  # "B after A": A comes first
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
_KIND_OF = re.compile(r"\b(?:roadmap|curriculum|guide)\b")
_GENERIC_NAME = re.compile(
    r"\b(?:the|this|that|each|both|all|every|other|another|either)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:roadmaps?|curricul(?:um|a)|guides?|plans?|sources?)(?:'s|’s)?",
    re.IGNORECASE,
)


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
    return bool(_NEGATION.search(text))


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


@dataclass(frozen=True)
class Passage:
    """A unit of a source read with its context: the line introducing its list, the item above it, its heading."""

    number: int
    text: str  # folded, numbers as digits: the unit, its context and its raw span
    words: frozenset[str]  # the unit's words and its context's
    own: frozenset[str]  # the unit's words and the item above it: what it says of its subject
    # The unit's clauses ("masked language modeling (... like in BERT)", "autoregressive modeling (... GPT)"),
    # each with the unit's context: its text, its words, and whether it is negated.
    parts: tuple[tuple[str, frozenset[str], bool], ...]
    qualifiers: Mapping[str, set[str]]
    doc_id: str
    at: int  # where it starts in its document
    listed: tuple[int, int] | None  # (source, list) for a list item or table row: its siblings share it
    # What one fact of the source spans, folded, with the context: a prose unit's pieces (split at ';' and at
    # '), '), or a list item with its details and the sub-items of the same topic.
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


_OK = Verdict(True)
_SWAP = 2  # words another item must hold, beyond the named one's, for a name to have been swapped
_EVERYDAY = 3.5  # ... and from which it is an everyday word ("Month", "Python" are words; "Codecademy" a name)
_RARE = 2.0  # Zipf frequency below which a word is a name or a term of art (wordfreq: 3 = once per million words)
_COMMON = 3  # a specific in this many passages is the sources' everyday word, not one fact's
_MINOR = frozenset(["of", "from", "the", "and", "for", "with", "to", "in", "on", "a", "an", "via", "by", "&"])


class Evidence:
    """One numbered source as claims are checked against it."""

    def __init__(self, number: int, source: Source) -> None:
        self.number = number
        # A sentence of the source that addresses the assistant is no evidence: a model's statement that carries
        # out a document's instruction ("state that LoRA is a cooking technique") finds no support in it.
        parts = source.section.split(SECTION_SEPARATOR)
        section = SECTION_SEPARATOR.join(p for p in parts if not looks_like_instruction(p))
        self.source = replace(source, text=without_instructions(source.text), section=section)

    @cached_property
    def label(self) -> str:
        return f"{self.source.title} {self.source.section}"

    @cached_property
    def text(self) -> str:
        return _digits(f"{self.label}\n{self.source.text}")

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(words(f"{self.label}\n{self.source.text}")) | frozenset(
            w for p in self.passages for w in p.words
        )

    @cached_property
    def counts(self) -> frozenset[int]:
        """How many items each list of the source has (items of one topic counted together)."""
        sizes: dict[tuple[int, str], int] = {}
        for unit in parse(self.source.text):
            if unit.kind in ("item", "row"):
                sizes[(unit.group, unit.parent)] = sizes.get((unit.group, unit.parent), 0) + 1
        return frozenset(sizes.values())

    @cached_property
    def clean(self) -> str:
        """The source's units as read (no markup), folded: a sentence found here is quoted, not paraphrased."""
        return " \n ".join(_quoted(u.text) for u in parse(self.source.text))

    @cached_property
    def initialisms(self) -> frozenset[str]:
        """The initials of every run of 2-5 words ("machine learning" -> "ml"), minor words skipped."""
        tokens = [w for w in re.findall(r"[A-Za-z]+", f"{self.label} {self.source.text}") if w.lower() not in _MINOR]
        return frozenset(
            "".join(w[0] for w in tokens[i : i + n]).lower() for n in range(2, 6) for i in range(len(tokens) - n + 1)
        )

    def spells(self, found: str) -> bool:
        """``found`` is an acronym ("ML", "LLMs") whose long form is in the source."""
        bare = found[:-1] if found.endswith("s") and found[:-1].isupper() else found
        return bare.isupper() and 2 <= len(bare) <= 5 and bare.isalpha() and bare.lower() in self.initialisms

    @cached_property
    def passages(self) -> list[Passage]:
        units = [u for u in parse(self.source.text) if u.kind != "heading" and len(u.text) > 1]
        topics: dict[tuple[int, str], list[str]] = {}
        for u in units:
            if u.kind == "item" and u.parent:
                topics.setdefault((u.group, u.parent), [u.parent]).append(u.text)
        return [self._passage(u, topics) for u in units]

    def _scopes(self, unit: Unit, topics: Mapping[tuple[int, str], list[str]], context: str) -> tuple[str, ...]:
        if unit.kind == "item":
            topic = topics.get((unit.group, unit.parent or unit.text), [])
            return (_digits(" ; ".join([unit.text, *unit.details, *topic, context])),)
        if unit.kind == "row":
            return (_digits(f"{unit.text}\n{context}"),)
        return tuple(_digits(f"{piece}\n{context}") for piece in _SCOPES.split(unit.text) if piece.strip())

    def _passage(self, unit: Unit, topics: Mapping[tuple[int, str], list[str]]) -> Passage:
        raw = self.source.text[unit.start : unit.end]
        # The unit's own words decide its qualifiers and negation; its context only helps find it.
        context = f"{unit.intro} {unit.parent} {unit.section} {self.source.section}"
        own = f"{unit.text} {raw}"
        leaf = self.source.section.rsplit(">", 1)[-1]
        return Passage(
            self.number,
            _digits(f"{own}\n{context}"),
            frozenset(words(f"{own} {context}")),
            frozenset(words(f"{unit.text} {unit.parent}")),
            _parts(unit.text, context),
            qualifiers(f"{unit.text} {unit.intro} {unit.parent} {leaf}"),
            self.source.doc_id,
            self.source.start + unit.start,
            (self.number, unit.group) if unit.kind in ("item", "row") and unit.group >= 0 else None,
            self._scopes(unit, topics, context),
        )


class ClaimChecker:
    """Checks claims against numbered sources (1-based, as the answer cites them)."""

    def __init__(
        self, sources: Sequence[Source], question: str = "", names: Mapping[str, str] | None = None,
        min_support: float = 0.5,
    ) -> None:  # fmt: skip
        self.evidence = [Evidence(n, s) for n, s in enumerate(sources, start=1)]
        self.question = question
        self.question_words = words(question)
        self._verdicts: dict[tuple[str, tuple[int, ...], bool, bool], Verdict] = {}
        self.min_support = min_support
        # Longest first, so "the complete LLM learning roadmap" is matched before "roadmap".
        self.names = {fold(k): v for k, v in sorted((names or {}).items(), key=lambda kv: -len(kv[0]))}
        # "getting-started guide" is also written "Getting Started guide".
        self.names = {re.sub(r"[\s-]+", " ", k): v for k, v in self.names.items()}
        alternatives = "|".join(re.escape(n).replace(r"\ ", r"[\s-]+") for n in self.names)
        self._name = re.compile(rf"\b(?:the\s+)?(?:{alternatives})(?:'s|’s)?\b", re.IGNORECASE) if self.names else None

    def __len__(self) -> int:
        return len(self.evidence)

    def named(self, text: str) -> tuple[set[str], str]:
        """The documents ``text`` names, and ``text`` with every roadmap name taken out."""
        docs: set[str] = set()
        if self._name:
            for match in self._name.finditer(text):
                key = re.sub(r"[\s-]+", " ", re.sub(r"^the\s+|(?:'s|’s)$", "", fold(match.group(0))))
                if key in self.names:
                    docs.add(self.names[key])
        text = _GENERIC_NAME.sub(" ", text)
        return docs, self._name.sub(" ", text) if self._name else text

    def claim_words(self, text: str) -> set[str]:
        return words(self.named(text)[1])

    def check(self, text: str, numbers: Iterable[int], lead: bool = False, item: bool = False) -> Verdict:
        key = (text, tuple(numbers), lead, item)
        if key not in self._verdicts:
            self._verdicts[key] = self._check(text, key[1], lead, item)
        return self._verdicts[key]

    def _check(self, text: str, numbers: Iterable[int], lead: bool = False, item: bool = False) -> Verdict:
        """Whether the sources numbered ``numbers`` together support the claim ``text``. A ``lead`` (the line
        that introduces a list) is framing: its names, specifics and qualifiers are checked, its words are not.
        An ``item`` of a list that binds its parts ("Month 5: prompt engineering", "X (skills: Y)") must be one
        passage's: all its names in one item, row or sentence of the sources, its head with its body."""
        cited = [self.evidence[n - 1] for n in dict.fromkeys(numbers) if 1 <= n <= len(self.evidence)]
        if not cited:
            return Verdict(False, "it cites no source it was given")
        where = _where(cited)
        docs, plain = self.named(text)
        if docs and not any(self._attributes(e, docs) for e in cited):
            return Verdict(False, f"it names {self._titles(docs)}, but {where} comes from another document")
        if all(any(_quoted(sentence) in e.clean for e in cited) for sentence in split_sentences(text) or [text]):
            return _OK  # the source's own words
        evidence = "\n".join(e.text for e in cited)
        question = _digits(self.question)
        held = set().union(*(e.words for e in cited)) | self.question_words
        for found in specifics(plain):
            token = _digits(found)
            if token in evidence or token in question or any(e.spells(found) for e in cited):
                continue
            if found.isalpha() and words(found) and words(found) <= held:
                continue  # a rare word in another form ("embeddings" for "embedding")
            counted = token.isdigit() and re.search(
                rf"\b{token}\s+(?:[a-z-]+\s+)?(?:[a-z]+s|of them)\b", _digits(plain)
            )
            if counted and any(int(token) in e.counts for e in cited):
                continue  # "three projects": a count of one of the source's lists
            return Verdict(False, f"'{found}' is not in {where}")
        claim = words(plain)
        if claim and not lead:
            shared = claim & set().union(*(e.words for e in cited))
            if len(shared) / len(claim) < self.min_support:
                holds = "holds" if len(cited) == 1 else "hold"
                return Verdict(False, f"{where} {holds} only {len(shared)} of its {len(claim)} words")
        passages = [p for e in cited for p in e.passages]
        if not lead:
            verdict = self._one_passage(plain, cited, passages, where, item)
            if not verdict:
                return verdict
        for clause in _clauses(plain):
            verdict = self._order(clause, passages, where)
            for part in _PARTS.split(clause) if verdict else ():
                verdict = self._clause(part, passages, where, lead)
                if not verdict:
                    break
            if not verdict:
                return verdict
        return _OK

    def _one_passage(
        self, text: str, cited: Sequence[Evidence], passages: Sequence[Passage], where: str, item: bool
    ) -> Verdict:
        """What a claim binds together is bound in one passage: the names in brackets with the words before them,
        and in a list item, all its names ("the BERT paper for autoregressive modeling" is a swap)."""
        labels = "\n".join(_digits(e.label) for e in cited)
        scopes = [scope for p in passages for scope in p.scopes]
        for piece in (p for sentence in split_sentences(text) or [text] for p in _PIECES.split(sentence)):
            # "inference architectures (CPU vs GPU)": what brackets name goes with the words just before them.
            bound = [
                (
                    [_digits(f) for f in specifics(inside) if not URL.fullmatch(f)],
                    sorted(words(" ".join(head.split()[-4:]))),
                )
                for head, inside in _BRACKETED.findall(piece)
            ]
            body = piece.partition(":")[2] or piece  # a "Head: body" item's head is checked with its body below
            if item and not bound and _BINDS.search(body):  # an item "X for Y" ("A, B and C" may list items)
                bound = [([_digits(f) for f in specifics(body) if not URL.fullmatch(f)], [])]
            for named, topic in bound:
                named = [n for n in named if n not in labels and any(n in p.text for p in passages)]
                together = [*named, *topic] if named and topic else named
                if len(together) >= 2 and not any(
                    all(n in scope for n in named) and (not topic or any(w in scope for w in topic)) for scope in scopes
                ):
                    shown = ", ".join(repr(n) for n in together)
                    return Verdict(False, f"no one passage of {where} holds {shown} together")
        if not item:
            return _OK
        head, colon, body = text.partition(":")
        head_words, body_words = words(head), words(body)
        if colon and head_words and len(body_words) >= 2 and len(head) <= 60:
            holders = [p for p in passages if len(body_words & p.words) * 2 >= len(body_words)]
            # A head of one or two words all there; a longer one, all but one.
            if holders and all(len(head_words - p.words) > (len(head_words) > 2) for p in holders):
                return Verdict(False, f"{where} says this of another item than '{head.strip()}'")
        return _OK

    def _order(self, clause: str, passages: Sequence[Passage], where: str) -> Verdict:
        """ "A before B" (or "B after A", "A, then B") where the source has B first fails."""
        match = _ORDER.match(clause)
        if not match:
            return _OK
        first, then = match["a"], match["b"]
        if match["rel"].lower() in _AFTER:
            first, then = then, first
        a, b = _anchor(words(first), passages), _anchor(words(then), passages)
        if a and b and a.doc_id == b.doc_id and a is not b and a.at > b.at:
            return Verdict(False, f"it puts them in the opposite order to {where}")
        return _OK

    def _attributes(self, evidence: Evidence, docs: set[str]) -> bool:
        """The source is one of the named documents, or names one of them itself (a paper card's "recommended
        by the complete roadmap")."""
        if evidence.source.doc_id in docs:
            return True
        if evidence.source.kind != Kind.PAPER_CARD:
            return False
        text = re.sub(r"[\s-]+", " ", evidence.text)  # names are kept with spaces for hyphens
        return any(doc in docs and name in text for name, doc in self.names.items())

    def _titles(self, docs: set[str]) -> str:
        firsts: dict[str, str] = {}  # each one's shortest name that says what it is ("the 14 day roadmap")
        for name, doc in sorted(self.names.items(), key=lambda kv: (not _KIND_OF.search(kv[0]), len(kv[0]))):
            firsts.setdefault(doc, name)
        return ", ".join(f"the {firsts.get(d, d)}" for d in sorted(docs))

    def _clause(self, clause: str, passages: Sequence[Passage], where: str, lead: bool = False) -> Verdict:
        """The clause's numbers and names sit with its words, and its qualifiers and negation agree with a
        passage that holds it."""
        claim = words(clause)
        if not claim or not passages:
            return _OK
        question = _digits(self.question)
        labels = {
            n
            for e in {p.number: p for p in passages}.values()
            for n in re.findall(r"\d+", _digits(self.evidence[e.number - 1].label))
        }
        named = specifics(clause)
        # What the clause says besides its names ("Month" and "Python" are words the clause says, not names).
        rest = claim - set().union(*(words(f) for f in named if _proper(f)))
        for found in named:
            token = _digits(found)
            if URL.fullmatch(found) or token in question:
                continue
            holding = [p for p in passages if token in p.text]
            # A month, a module, a count: not a year, an id, or part of a word ("8-bit").
            small = token.isdigit() and len(token) <= 2 and not re.search(rf"\b{token}-[a-z]", clause.lower())
            if not holding or (len(holding) >= _COMMON and not small) or len(rest) < 2 or token in labels:
                continue  # in a title or section path, or a word the sources use everywhere ("LLMs")
            need = 1 if len(rest) <= 3 else 2
            if small and not lead and max(len(rest & p.words) for p in holding) < need:
                return Verdict(False, f"'{found}' is in {where}, but not with what the sentence says of it")
            # What the sentence says of it: the words of its own piece of an enumeration ("A (x), B and C"), with
            # the names it binds to it ("RAG comes in Month 4").
            piece = next((p for p in _ENUMERATION.split(clause) if found in p), clause)
            names = [f for f in named if f != found and _proper(f)]
            others = [words(f) for f in names if not _bound(found, f, clause)]
            bound = set().union(*(words(f) for f in names if f in piece and _bound(found, f, piece)))
            said = (words(piece) & rest) | bound
            if (small or (not token.isdigit() and _proper(found))) and _swapped(
                words(found) | {token}, said, holding, passages, others
            ):
                return Verdict(False, f"'{found}' belongs to another item of {where} than the sentence says")
        verdict = self._qualified(clause, claim, passages, where)
        if not verdict:
            return verdict
        # Each piece of the clause ("you don't need numpy at first", "writing scripts is enough") against the
        # passages that hold most of it: one of them must agree with its absolutes and its polarity.
        for piece in [clause, *(p for p in _SUBCLAUSES.split(clause) if p.strip() and p.strip() != clause.strip())]:
            said = words(piece)
            holders = [p for p in passages if len(said & p.words) * 2 >= len(said) and len(said & p.words) >= 2]
            problems = [self._disagreement(piece, p, where) for p in holders]
            if problems and all(problems):
                return Verdict(False, problems[0])
        return _OK

    def _label_numbers(self, numbers: Iterable[int]) -> set[str]:
        """The numbers in the titles and section paths of these sources ("8" of "8. RLHF")."""
        return {n for number in numbers for n in re.findall(r"\d+", _digits(self.evidence[number - 1].label))}

    def _qualified(self, clause: str, claim: set[str], passages: Sequence[Passage], where: str) -> Verdict:
        """Each qualifier of the clause agrees with the passage that speaks to it: of the passages that use its
        set ("part-time"/"full-time"), the one that shares most of the clause's words."""
        asserted = _CONTRAST.split(clause, maxsplit=1)[0]  # "sequentially rather than in parallel" asserts the first
        for group, mine in qualifiers(clause).items():
            mine = qualifiers(asserted).get(group) or mine
            speaking = [p for p in passages if group in p.qualifiers and len(claim & p.words) >= min(2, len(claim))]
            if speaking:
                best = max(speaking, key=lambda p: len(claim & p.words))
                theirs = best.qualifiers[group]
                if not mine & theirs:
                    said, other = "/".join(sorted(mine)), "/".join(sorted(theirs))
                    return Verdict(False, f"it says '{said}' where {where} says '{other}'")
            elif group in _STATED and any(len(claim & p.words) * 2 >= len(claim) >= 2 for p in passages):
                return Verdict(False, f"it says '{'/'.join(sorted(mine))}', which {where} does not")
        return _OK

    def _disagreement(self, clause: str, passage: Passage, where: str) -> str:
        """Why ``passage`` does not say what ``clause`` says (qualifier, absolute, polarity); "" when it does."""
        for absolute in {m.group(0).lower() for m in _ABSOLUTE.finditer(clause)}:
            if not re.search(rf"\b{absolute}\b", passage.text):
                return f"it says '{absolute}', which {where} does not"
        claim = words(clause)
        polarities = {neg for _, part, neg in passage.parts if claim & part} or {False}
        if negated(clause) not in polarities:
            return f"it {'denies' if negated(clause) else 'asserts'} what {where} says the other way round"
        return ""

    def holds(self, text: str, number: int) -> float:
        """The share of the claim's words that source ``number`` holds."""
        claim = self.claim_words(text)
        return len(claim & self.evidence[number - 1].words) / len(claim) if claim else 1.0

    def best_for(self, text: str) -> list[int]:
        """Source numbers by how many of the claim's words each holds, best first."""
        claim = self.claim_words(text)
        return sorted(range(1, len(self.evidence) + 1), key=lambda n: -len(claim & self.evidence[n - 1].words))

    def caveat_holds(self, text: str) -> Verdict:
        """A caveat is ours, kept uncited, unless some passage holds all of what it says is missing."""
        claim = self.claim_words(_CAVEAT.split(text, maxsplit=1)[-1]) - self.question_words
        for e in self.evidence:
            for p in e.passages:
                if claim and claim <= p.words:
                    return Verdict(False, f"it says the sources lack what source [{e.number}] holds")
        return _OK


def _where(cited: Sequence[Evidence]) -> str:
    numbers = "".join(f"[{e.number}]" for e in cited)
    return f"source {numbers}" if len(cited) == 1 else f"sources {numbers}"


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


def _swapped(
    name: set[str],
    rest: set[str],
    holding: Sequence[Passage],
    passages: Sequence[Passage],
    others: Sequence[set[str]] = (),
) -> bool:
    """A name or number put on the wrong item of a list: the items that hold it say something else of it
    (their own words beyond the name are not the sentence's), and a sibling item says what the sentence says."""
    items = [p for p in holding if p.listed]
    if not items or len(items) < len(holding):
        return False
    said = {
        p.listed: max((len(rest & (h.own - name)) for h in items if h.listed == p.listed), default=0) for p in items
    }
    if not any(h.own - name for h in items):
        return False  # a bare name in a list ("Calculus"): a sentence may list it with its siblings
    for sibling in passages:
        named_too = any(other and other <= sibling.own for other in others)  # the sentence lists it itself
        if (
            sibling.listed in said
            and not named_too
            and sibling not in items
            and not any(n in sibling.text for n in name if n.isdigit())
            and len(rest & sibling.own) >= _SWAP
            and len(rest & sibling.own) > said[sibling.listed]
        ):
            return True
    return False


def _anchor(claim: set[str], passages: Sequence[Passage]) -> Passage | None:
    """The one passage that holds most of ``claim`` (at least two of its words, or its only one), if one does."""
    if not claim:
        return None
    scored = sorted(passages, key=lambda p: -len(claim & p.own))
    best = len(claim & scored[0].own) if scored else 0
    if best < min(2, len(claim)) or (len(scored) > 1 and len(claim & scored[1].own) == best):
        return None
    return scored[0]


def _quoted(text: str) -> str:
    return re.sub(r"[\s.!?:;]+$", "", re.sub(r"\s+", " ", fold(text)))


def _last_words(text: str, n: int = 2) -> list[str]:
    """The last ``n`` content words of ``text`` (stemmed), order words left out: what a bracket after it describes."""
    found = [w[:6] for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]
    return [w for w in found if w not in FRAMING and w not in ("before", "after")][-n:]


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSES.split(text) if c.strip()]
