"""Reading a question: its shape (list, about, compare, path, paper, fact), its words and its topic.

A question's words are stemmed lightly ("studied", "studies" and "study" meet), weighed by how rare they are in
the corpus ("LLMs" is in most lines, "LoRA" in eight), and split into its topic and the words that only say what
kind of answer is wanted ("which resources", "recommend", "before").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from wordfreq import zipf_frequency

from roadmap_rag.retrieve.question_words import ASKING, CHAT_WORDS, GENERIC, PATH_WORDS, STOP
from roadmap_rag.types import Source

if TYPE_CHECKING:
    from roadmap_rag.retrieve.library import Library

Shape = Literal["list", "about", "compare", "path", "paper", "fact"]

_WORD = re.compile(r"[a-z0-9]+(?:[.\-+][a-z0-9]+)*")
BEFORE = re.compile(r"\b(before|prerequisites?|first|prior|start(?:ing)? with|foundations? for)\b", re.I)
AFTER = re.compile(r"\b(after|next|comes? after|what follows)\b", re.I)
ORDER = re.compile(
    r"\b(in what order|what order|which order|order of|sequence|which comes first|comes? first|the order"
    r"|order (?:should|do|to|i should)"
    r"|(?:which|wich|what)(?: one| should i (?:learn|study|do)| to (?:learn|study))? first)\b",
    re.I,
)
NTH = re.compile(r"\b(month|week|day|step)\s+(\d+)\b", re.I)
# A question that asks what something is: its section's own description answers it first.
DEFINE = re.compile(
    r"^\W*(?:can (?:you|u) )?explain\b|\bwhat (?:even )?(?:is|are)\b|\bwhat does .{2,40} mean\b|\btell me about\b", re.I
)
SECTION = re.compile(
    r"\b(cover|covers|list|lists|include|includes|under|module|section|level|stage|contain)\b"
    r"|^what (?:is|are)\b",
    re.I,
)
_LOCATE = re.compile(
    r"\b(when should|month \d+|week \d+|day \d+|in month|which month|at what stage"
    r"|(?:comes?|sits?|is|are|lies|goes|go)\s+(?:in\s+)?between)\b",
    re.I,
)
_PAPER = re.compile(
    r"\b(which|what|where)\b.{0,40}\bpapers?\b|\bwhere can i read\b|\bwho (?:wrote|introduced)\b"
    r"|\bpaper (?:introduced|describes|proposed)\b|\barxiv\b",
    re.I,
)
_ABOUT = re.compile(
    r"\b(?:say|says|said|tell me|talk|cover|covers)\b.{0,20}\babout\b|\bwhat about\b"
    r"|\bhow (?:should|do|can|would) i (?:learn|study|start|get started|approach)\b",
    re.I,
)
_COMPARE = re.compile(r"\b(compare|comparison|differ|difference|versus|both|which roadmaps|each roadmap)\b", re.I)
_LIST = re.compile(
    r"^(?:which|name|list)\b|^what (?:are|were)\b|\bwhat\s+[\w-]+(?:\s+[\w-]+)?\s+(?:does|do|did)\b"
    r"|\b(?:what|which) (?:\w+ )?(?:resources|papers|books|tools|projects|topics|frameworks|metrics)\b",
    re.I,
)


_SURROGATES = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """``text`` without lone surrogates ("\\ud800" from a JSON escape or a broken client): no encoder takes them,
    so a reply or a log line that echoed one would fail."""
    return _SURROGATES.sub("", text)


def plain(text: str) -> str:
    """What a person typed, as the Assistant reads it (questions, topics, earlier turns): separators (no-break
    space, U+2028) as a space; control and format characters (NUL, ANSI escapes, RTL marks, zero-width
    spaces) and lone surrogates dropped; newlines and tabs kept."""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else " " if ch.isspace() else "" for ch in text)


# A learner saying who they are before the question ("im new to ml, ...", "complete beginner: ...", "im a noob do
# i need ...", "just starting out, ...", "i know nothing about ml what ..."): who asks, not what is asked. Read
# as part of the question, "new", "beginner" and "start" drew the roadmaps' beginner and prerequisites sections
# whatever was asked after them.
_SELF = re.compile(
    r"^\s*(?:(?:i\s*'?\s*m|i am|me)\s+(?:(?:a|an|totally|completely|very|pretty|super|really|just|still|quite|"
    r"kinda|complete|total|absolute)\s+)*(?:new|beginner|noob|newbie|novice|starting|fresh|learning)\b[^,.;:?!]*?"
    r"|(?:(?:a|as a|complete|completely|total|totally|absolute|real)\s+)*(?:beginner|noob|newbie|novice)"
    r"(?:\s+(?:here|question|q))?"
    r"|(?:(?:completely|totally|very|pretty|super|brand)\s+)*new (?:to (?:this|ml|ai|llms?|coding|programming|all "
    r"this|this stuff|the field)|here)"
    r"|just (?:starting|started|getting started|getting into (?:ai|ml|llms?|this))(?: out)?"
    r"|i know (?:nothing|little|very little) about [\w\s]+?"
    r")(?:\s*[,.;:!?-]+\s*|\s+but\s+|\s+(?=(?:what|where|which|how|do|does|should|can|could|is|are|any|when|why)\b))",
    re.IGNORECASE,
)


# An instruction to the assistant, not a subject: "explain self attention pls" drew the curriculum's
# "Interpretability & Explainability" module first ("explain" and "explainability" share a stem and a meaning).
_INSTRUCTION = re.compile(
    r"^\W*(?:(?:can|could|would) (?:you|u) )?(?:(?:please|pls|plz) )?(?:explain|describe|define|summari[sz]e|"
    r"tell me about|give me an? (?:overview|summary|explanation) of)\b(?:\s+(?:to me|me))?\s*"
    r"|\s*\b(?:(?:to me )?(?:like i'?m \d+|simply|in simple (?:words|terms)))?\W*\b(?:pls|plz|please)\W*$",
    re.IGNORECASE,
)


def search_text(question: str) -> str:
    """What retrieval searches for: ``question`` without an instruction to the assistant around it ("explain
    X pls" searches for "X"); the question as it stands when nothing of its own would be left."""
    return _without(_INSTRUCTION, question, " ")


def what_is_asked(question: str) -> str:
    """``question`` without a learner's description of themselves before it ("im new to ml, where do i start"
    -> "where do i start"); the question as it stands when it has none, or nothing else. A learner who says what
    they have done and asks what is next asks what comes after it ("done with the applications part of the
    complete roadmap, whats next" -> "what comes after the applications part of the complete roadmap")."""
    progress = _PROGRESS.match(question)
    if progress and terms(progress.group("done")):
        return f"what comes after {progress.group('done').strip()}{progress.group('rest').rstrip()}"
    return _without(_SELF, question, "", count=1)


# "ok i get transformers now. whats next", "done with X, what should i learn next", "after i finish X what next",
# "finished X. now what?": what is done, then the ask.
_PROGRESS = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|alright|right|cool|great)\b[\s,.!]*)*"
    r"(?:(?:after|once|when)\s+)?(?:i\s*'?\s*m\s+|i am\s+|i\s*'?\s*ve\s+|i have\s+|i\s+)?"
    r"(?:(?:just|now|finally|already|mostly)\s+)?"
    r"(?:done with|finish(?:ed)?(?: with)?|through with|complete(?:d)?|covered|learned|learnt|understand|get|got"
    r"|know|wrapped up|wrapped|got through|went through|worked through|made it through)\s+"
    r"(?P<done>[^,.;:!?]+?)(?:\s+now)?(?:\s*[,.;:!?-]+\s*|\s+)(?:so\s+|and\s+)?"
    r"(?:what\s*'?\s*s\s+next|whats\s+next|what\s+is\s+next|what\s+(?:comes\s+)?next|what\s+now|now\s+what"
    r"|what\s+(?:do|should|can)\s+i\s+(?:do|learn|study|read)\s+(?:next|after(?:\s+that)?)"
    r"|(?:what|which)\s+(?:\w+\s+){1,4}?next"
    r"|where\s+(?:do|should)\s+i\s+go(?:\s+(?:next|from here))?|where\s+to(?:\s+(?:now|next))?|where\s+now)\b"
    r"(?P<rest>[^?]*)",
    re.IGNORECASE,
)


# A question after what the learner tells of themselves in sentences of its own ("java dev, 10 yrs, skimming the
# complete roadmap. which section sits right before the prompt engineering one"): where one sentence ends.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)|\s*\n+\s*")
# A sentence that asks: a question mark, or a question's or a request's first word.
_ASKING = re.compile(
    rf"^\W*(?:(?:so|ok(?:ay)?|and|but|then|now|also|anyway|basically|honestly|q)\W+)*(?:{ASKING}|in|according)\b",
    re.IGNORECASE,
)


# A word that points back at what was told ("albert is a lighter bert. how did they make it smaller"), unless the
# sentence that asks names something before it ("where do i learn pytorch and when do i pick it up").
_BACK = re.compile(r"\b(?:it|its|they|them|their|this|these|those|he|she|his|her|him)\b", re.IGNORECASE)


def split_ask(question: str) -> tuple[str, str]:
    """What a question tells before it asks, and what it asks: the sentences before the first one that asks,
    and that one with what follows it; ("", question) when the question asks in its first sentence, or points
    back at what it told."""
    parts = [p for p in _SENTENCE_END.split(question.strip()) if p.strip()]
    asks = [p.rstrip().endswith("?") or bool(_ASKING.match(p)) for p in parts]
    first = asks.index(True) if True in asks else 0
    ask = " ".join(parts[first:])
    back = _BACK.search(ask)
    if first == 0 or (back and not topic_terms(ask[: back.start()])):
        return "", question  # it asks from its first sentence, or about what it told ("how did they make it ...")
    return " ".join(parts[:first]), ask


def _without(pattern: re.Pattern[str], question: str, by: str, count: int = 0) -> str:
    """``question`` with ``pattern`` replaced by ``by``, unless no word of its own would be left."""
    rest = pattern.sub(by, question, count=count).strip()
    return rest if terms(rest) else question


_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("ly", ""), ("s", ""))


def stem(word: str) -> str:
    """A light stem: 'studied', 'studies' and 'study' meet, as do 'locally' and 'local', and 'bias' and 'biases'
    (no plural s to drop from 'bias'); then 6 letters."""
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith(("ss", "ias")):
            word = word[: len(word) - len(suffix)] + replacement
            if suffix in ("ing", "ed") and len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "lsfz":
                word = word[:-1]  # 'stopping' and 'stop', 'embedded' and 'embed'
            break
    return word[:6]


def terms(text: str) -> list[str]:
    """Lower-case word stems, stopwords removed (also a stop word's other forms: "saying", "tells"); a hyphenated
    word as one, joined ("fine-tuning" and "finetuning" meet)."""
    return [
        stemmed
        for word in _WORD.findall(text.lower())
        if word not in STOP and (len(word) >= 2 or word.isdigit())
        for form in _forms(word)
        if (stemmed := stem(form)) not in STOP or stemmed == form or form != word
    ]


def _forms(word: str) -> list[str]:
    """A compound of letters joined across its hyphens, then its parts ("fine-tuning": "finetuning", "fine",
    "tuning"), so that "finetuning" and "fine tuning" both meet it; one with a digit as it is ("gpt-4", "1-2")."""
    if "-" not in word or any(c.isdigit() for c in word):
        return [word]
    parts = [part for part in word.split("-") if len(part) >= 2 and part not in STOP]
    return [word.replace("-", ""), *parts]


# After "first", a word that ends the adverb's clause ("learn first, math or python?", "study first in ..."); any
# other word makes "first" an adjective ("easy first projects", "my first book"), which asks no order.
_AFTER_FIRST = re.compile(
    r"\s*(?:$|[,.;:?!)]|(?:in|at|of|for|before|when|if|or|and|then|to|with|from|on|so|i|you|we|me)\b)", re.I
)


def _turn(question: str) -> re.Match[str] | None:
    """Where the question turns to what comes before or after something: "before X", "after X", "X first". The
    first turn counts: in "what comes after the prerequisites" the prerequisites are what it comes after."""
    after = AFTER.search(question)
    for match in BEFORE.finditer(question):
        if after is not None and after.start() < match.start():
            break
        if match.group(1).lower() != "first" or _AFTER_FIRST.match(question, match.end()):
            return match
    return after


def _turns_after(turn: re.Match[str]) -> bool:
    return AFTER.fullmatch(turn.group(0)) is not None


def turn_of(question: str) -> str:
    """Which way the question turns: "before" (or "X first"), "after", or "" (``_turn``)."""
    match = _turn(question)
    if match is None:
        return ""
    return "after" if _turns_after(match) else "before"


# "where do i even start", "how do i get started", "what should i learn first": where a roadmap begins.
_START = re.compile(
    r"\bwhere (?:do|should|can|would) (?:i|u|you|one|a beginner) (?:even |actually |actualy |really )?"
    r"(?:start|begin|get started)\b|\bwhere to (?:start|begin)\b"
    r"|\bhow (?:do|should|can) (?:i|u) (?:even )?(?:start|begin|get started)\b|\bhow to (?:start|begin|get started)\b"
    r"|\bwhat (?:should|do) i (?:learn|study|do|read) first\b",
    re.IGNORECASE,
)


def asks_where_to_start(question: str) -> bool:
    """Where to begin, with no topic of its own ("im new, where do i even start with llms"): each roadmap's start."""
    match = _START.search(question)
    return match is not None and not _has_topic(question[: match.start()] + " " + question[match.end() :])


# "as a beginner", "as a total noob": who the learner is, not what comes before or after what.
_AS_LEARNER = re.compile(
    r"\bas an?\s+(?:(?:complete|total|absolute|real)\s+)?(?:begin+er|noob|newbie|novice|starter)\b", re.I
)


def question_shape(question: str, named: Sequence[str] = ()) -> Shape:
    q = question.strip()
    if asks_where_to_start(q):
        return "path"
    if _LOCATE.search(q) or NTH.search(q) or ORDER.search(q):
        return "path"
    turn = _turn(q)
    turned = _AS_LEARNER.sub(" ", q[turn.end() :]) if turn else ""  # "projects to start with as a beginner"
    if turn and not _PAPER.search(q) and _has_topic(turned, after=_turns_after(turn)):
        return "path"
    if re.search(r"\bin what order\b|\bwhat order\b|\bwhich comes first\b|\bcomes? first\b", q, re.I):
        return "path"
    if _PAPER.search(q):
        return "paper"
    if _COMPARE.search(q) or len(named) > 1:
        return "compare"
    if _ABOUT.search(q):
        return "about"
    if _LIST.search(q):
        return "list"
    return "fact"


CORPUS_WORDS = frozenset(stem(w) for w in ["llm", "llms", "large", "language", "model", "models", "ai"])
# Zipf frequency (wordfreq: 3 is once per million words of English) from which a word is everyday English.
EVERYDAY = 3.3


def is_everyday(word: str, threshold: float = EVERYDAY) -> bool:
    """An ordinary English word ("jobs", "happen", "giant"), not a name or a term of art ("QLoRA", "H100",
    "RLHF", "tokenizer"); a word with a digit is never everyday."""
    if any(c.isdigit() for c in word):
        return False
    lower = word.lower()
    forms = {lower, lower[:-1] if lower.endswith("s") and len(lower) > 4 else lower}  # "reusing": "reuse"
    for suffix in ("ing", "ed"):
        if lower.endswith(suffix) and len(lower) > len(suffix) + 2:
            root = lower[: -len(suffix)]
            forms |= {root, root + "e", root[:-1] if root[-1:] == root[-2:-1] else root}
    return max(zipf_frequency(form, "en") for form in forms) >= threshold


# How much more common (Zipf scale: 2.5 is ~300x) the everyday word must be than the word read as its typo.
_TYPO_GAP = 2.5
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@lru_cache(maxsize=4096)
def everyday_spelling(word: str) -> str:
    """The everyday word a misspelt one stands for ("actualy": "actually", "lern": "learn", "wich": "which"), or
    "": one letter dropped or added or two swapped after the first, in a word of at least four letters (a letter
    changed reads names as words: "faiss" as "fails", "bilm" as "bill"; learners' typos drop letters). A
    name stays a name: "QLoRA" is not "flora", the first letter differs; "DSPy" is too short to be read as "spy";
    and a word of its own, however rare ("mamba"), is no typo of a neighbour ("mambo"): the neighbour a typo
    stands for is far more common than the typo itself ("actualy" 2.2 against "actually" 5.7 on the Zipf scale)."""
    lower = word.lower()
    if len(lower) < 4 or not lower.isalpha():
        return ""
    head, tail = lower[0], lower[1:]
    variants = {tail[:i] + tail[i + 1 :] for i in range(len(tail))}
    variants |= {tail[:i] + c + tail[i:] for i in range(len(tail) + 1) for c in _LETTERS}
    variants |= {tail[:i] + tail[i + 1] + tail[i] + tail[i + 2 :] for i in range(len(tail) - 1)}
    floor = zipf_frequency(lower, "en") + _TYPO_GAP
    scored = [(zipf_frequency(head + v, "en"), head + v) for v in sorted(variants) if v and head + v != lower]
    found = [(f, w) for f, w in scored if f >= floor and is_everyday(w)]
    return max(found)[1] if found else ""


def topic_terms(text: str) -> list[str]:
    """The stems of ``text`` that can name a topic: not generic, path or corpus-wide words."""
    return [t for t in terms(text) if t not in GENERIC_STEMS and t not in PATH_STEMS and t not in CORPUS_WORDS]


def _has_topic(text: str, after: bool = False) -> bool:
    """Words after "before"/"after" that name something ("transformers"), not "starting" or "LLMs"; a part of a
    roadmap named by its generic words ("the projects module") does; after "after", so do the prerequisites
    ("what comes after the prerequisites")."""
    return bool(topic_terms(text) or _part_names(text)) or (after and bool(_PREREQUISITES.search(text)))


_PREREQUISITES = re.compile(r"\bprerequisites?\b", re.IGNORECASE)
# "the projects module", "the resources section": a part of a roadmap, named by words that are generic elsewhere.
_NAMED_PART = re.compile(
    r"\bthe\s+(?P<name>[a-z][\w&-]*(?:\s+[a-z][\w&-]*)?)\s+(?:module|section|part|level|stage|phase|chapter)\b",
    re.IGNORECASE,
)
_NOT_A_NAME = frozenset(
    ["next", "first", "last", "final", "previous", "this", "that", "same", "other", "whole", "entire", "second"]
)


def _part_names(text: str) -> set[str]:
    """The stems of the parts ``text`` names by their generic words ("the projects module": "project")."""
    return {
        s
        for m in _NAMED_PART.finditer(text)
        for w in m.group("name").split()
        if w.lower() not in _NOT_A_NAME
        for s in terms(w)
    }


def _parts_after(question: str) -> set[str]:
    """The stems of a roadmap's part that a question asks what comes before or after ("the prerequisites", "the
    projects module"): its topic, though generic elsewhere."""
    turn = _turn(question)
    if turn is None:
        return set()
    named = _part_names(question[turn.end() :])
    if not _turns_after(turn):
        return named
    return named | {s for m in _PREREQUISITES.finditer(question, turn.end()) for s in terms(m.group(0))}


# An everyday English word ("still", "worth", "dead", "guy") counts this much of a term of art ("RNNs") towards
# what a question is about: "are rnns still worth learning or are they dead" is about RNNs.
_EVERYDAY_WEIGHT = 0.25


def spelt(text: str, known: Collection[str]) -> list[str]:
    """The words of ``text``, lower case; a misspelt everyday word the sources do not use (its stem not in
    ``known``) as the word it stands for ("lern": "learn"; "LoRA", in the sources, stays "lora")."""
    words = re.findall(r"[A-Za-z0-9]+", text.lower())
    return [w if is_everyday(w) or set(terms(w)).issubset(known) else everyday_spelling(w) or w for w in words]


def respelt(text: str, known: Collection[str]) -> str:
    """``text`` with each misspelt everyday word that ``known`` (the corpus's stems) lacks written as the word it
    stands for ("the projcts module": "the projects module"); every other word as typed."""

    def word(match: re.Match[str]) -> str:
        typed = match.group(0)
        if len(typed) < 4 or is_everyday(typed) or set(terms(typed)).issubset(known):
            return typed
        return everyday_spelling(typed) or typed

    return re.sub(r"(?<![\w-])[A-Za-z]+(?![\w-])", word, text)


def topic_support(question: str, sources: Sequence[Source]) -> float:
    """Weighted share of the question's topic words (not its generic, path or corpus-wide words) that one source
    holds, best source first: "what does the curriculum's RLHF module cover?" rests on "RLHF" alone, and an
    everyday word weighs a quarter of a term of art."""
    held = [set(terms(f"{s.section} {s.text}")) for s in sources]
    words = {w: t for w in spelt(question, set().union(*held)) for t in terms(w)}
    topic = {
        t: _EVERYDAY_WEIGHT if is_everyday(w) else 1.0
        for w, t in words.items()
        if t not in GENERIC_STEMS and t not in PATH_STEMS and t not in CORPUS_WORDS
    }
    if not topic:
        return 0.0
    total = sum(topic.values())
    return max((sum(weight for t, weight in topic.items() if t in one) / total for one in held), default=0.0)


@dataclass
class Query:
    words: dict[str, float]  # stem -> weight
    topic: set[str]  # stems that are neither generic nor path words
    text: str = ""
    # the corpus's whole form of a clipped word, for the word as asked ("mathem" of "mathematics": "math")
    clipped: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, question: str, library: Library, extra_stop: Iterable[str] = (), within: tuple[str, ...] = ()) -> Query:
        stop = set(extra_stop) | CHAT_STEMS  # "explain rag to me pls", "whats lora tho": chat is no topic
        words: dict[str, float] = {}
        vocabulary = library.vocabulary(terms)
        question = respelt(question, vocabulary.keys())  # "the projcts module": the projects module
        expanded = question + (" capabilities" if re.search(r"\bcan\b.*\bdo\b", question, re.I) else "")
        parts = _parts_after(question)
        for stem in terms(expanded):
            if stem in stop:
                continue
            weight = 1.0 if stem in parts else 0.3 if stem in GENERIC_STEMS else 0.5 if stem in PATH_STEMS else 1.0
            words[stem] = weight * library.rarity(stem, terms, within)
        topic = {w for w, weight in words.items() if weight >= 0.6}
        clipped = {whole: stem for stem in words for whole in completed(stem, vocabulary)}
        return cls(words, topic, question, clipped)

    def _found(self, text: str) -> set[str]:
        """The question's stems that ``text`` holds, a clipped word's whole form counting as the word."""
        found = set(terms(text))
        return found | {self.clipped[f] for f in found if f in self.clipped}

    def score(self, own: str, context: str = "") -> float:
        """Share of the question's weight found in ``own`` (full) or only in ``context`` (half)."""
        total = sum(self.words.values())
        if not total:
            return 0.0
        own_terms, ctx_terms = self._found(own), self._found(context)
        got = sum(w if s in own_terms else (w / 2 if s in ctx_terms else 0.0) for s, w in self.words.items())
        return got / total

    def covers_topic(self, text: str) -> float:
        if not self.topic:
            return 0.0
        return len(self.topic & self._found(text)) / len(self.topic)


def completed(stem: str, vocabulary: Mapping[str, int]) -> list[str]:
    """A clipped word's whole form in the corpus ("math": "mathematics", "eval": "evaluation", "libs":
    "libraries"): the one stem of the corpus that starts with it and is longer by more than a letter, where the
    corpus writes the whole form at least as often; none where the clipping could be of several ("stats")."""
    if len(stem) < 3:
        return []
    longer = [v for v in vocabulary if v.startswith(stem) and len(v) > len(stem) + 1]
    if len(longer) != 1 or vocabulary[longer[0]] < vocabulary.get(stem, 0):
        return []
    return longer


GENERIC_STEMS = frozenset(s for w in GENERIC for s in terms(w))
PATH_STEMS = frozenset(s for w in PATH_WORDS for s in terms(w))
CHAT_STEMS = frozenset(stem(w) for w in CHAT_WORDS) - GENERIC_STEMS - PATH_STEMS
