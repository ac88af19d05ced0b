"""Self-check quizzes built only from the corpus's structure, and the grading of a learner's answer.

Four kinds of question, none written by a model:
- ``list``: recall of a listed set ("The curriculum lists ... Name three of them.");
- ``definition``: a "term - explanation" line ("What does the complete roadmap say Education is about?");
- ``order``: two of a roadmap's main sections ("Which comes first in the curriculum: A or B?");
- ``paper``: the catalog ("Which paper introduced Low-Rank Adaptation?").

Every expected answer is a span of the passage the item cites. A learner's answer is graded by its key
facts, in any order: a fact is stated when the answer holds it word for word, or when one clause of the
answer holds most of its content words, lightly stemmed ("reward models" states "Reward model training"),
with the acronyms the roadmaps define read both ways ("PPO" states "Proximal Policy Optimization").
Lists give partial credit; an empty answer is a skip, not a wrong answer. A seed draws other items
(a retry), the same items for the same seed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from roadmap_rag.learn.curriculum import TIMELINE, Curriculum, TopicPath
from roadmap_rag.retrieve.library import DocumentView, to_source
from roadmap_rag.retrieve.questions import terms
from roadmap_rag.text.units import Unit
from roadmap_rag.text.words import STOPWORDS, fact_recall
from roadmap_rag.text.words import words as text_words
from roadmap_rag.types import SECTION_SEPARATOR, Kind, Source, unnumbered

# A "Term - explanation" (or "Term: explanation") line: the quiz asks what it covers, the glossary quotes it.
DEFINITION_LINE = re.compile(r"^(?P<term>[A-Z][^:–—]{1,40}?)\s+[-–—:]\s+(?P<meaning>\S.{14,})$")
_INTRODUCED = re.compile(r"^This paper introduced (?P<what>.{3,240})\.$")
_PARENTHESES = re.compile(r"\s*\(([^)]*)\)\s*")


@dataclass(frozen=True)
class QuizItem:
    question: str
    answer: str  # the expected answer, as the cited passage states it
    accepted: tuple[tuple[str, ...], ...]  # key facts, each a group of accepted alternatives
    citation: Source  # the passage the answer comes from
    kind: str  # "list", "definition", "order" or "paper"
    needed: int = 0  # how many key facts make a full answer (list recall: 3 of the list); 0: all of them
    acronyms: tuple[tuple[str, str], ...] = ()  # (short, long) forms the roadmaps define, read both ways


@dataclass(frozen=True)
class Grade:
    score: float  # 0 to 1
    stated: tuple[str, ...]  # the key facts the learner's answer states
    missed: tuple[str, ...]  # those it does not
    feedback: str  # what was expected, and where the corpus says it
    skipped: bool = False  # an empty answer: not counted in a quiz's score


def grade(item: QuizItem, answer: str) -> Grade:
    """Score a learner's answer by the key facts it states, in any order, paraphrased within reason (see the
    module's note); a list question gives credit per item named; an empty answer is a skip."""
    where = f"{item.citation.title} — {item.citation.section}" if item.citation.section else item.citation.title
    if not answer.strip():
        expected = tuple(g[0] for g in item.accepted)
        return Grade(0.0, (), expected, f"Skipped. Expected: {item.answer} (source: {where})", skipped=True)
    clauses = _clauses(answer, item.acronyms)
    stated = [group for group in item.accepted if _states(answer, clauses, group)]
    missed = [group for group in item.accepted if group not in stated]
    if item.kind == "order":  # the earlier section must be named, and not after the later one
        right = _first_named(answer, item)
        score = 1.0 if right else 0.0
        stated, missed = ([item.accepted[0]], []) if right else ([], [item.accepted[0]])
    else:
        needed = item.needed or len(item.accepted)
        score = min(len(stated), needed) / needed
    verdict = "Correct." if score == 1 else ("Partly right." if score > 0 else "Not quite.")
    feedback = f"{verdict} Expected: {item.answer} (source: {where})"
    return Grade(round(score, 3), tuple(g[0] for g in stated), tuple(g[0] for g in missed), feedback)


def quiz_score(grades: Sequence[Grade]) -> tuple[float, int]:
    """(points, questions answered): a skipped question counts in neither."""
    answered = [g for g in grades if not g.skipped]
    return round(sum(g.score for g in answered), 3), len(answered)


_SUFFIXES = (
    *("izations", "ization", "isations", "isation", "izers", "izer", "izing", "ising", "ized", "ised"),
    *("izes", "ises", "ize", "ise", "ations", "ation", "ions", "ion", "ments", "ment", "ings", "ing"),
    *("ies", "ied", "ers", "er", "ed", "es", "s", "e"),
)
_FILLER = frozenset(["et", "al"])
_CLAUSE = re.compile(r"[,;.!?\n]+|\s+(?:and|then|plus|or|&)\s+", re.IGNORECASE)


def stem(word: str) -> str:
    """A light stem: "optimization", "optimize" and "optimizing" -> "optim"; "policies" -> "policy"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def _stems(text: str) -> set[str]:
    return {stem(w) for w in text_words(text) if w not in STOPWORDS and w not in _FILLER}


def _clauses(answer: str, acronyms: Sequence[tuple[str, str]]) -> list[set[str]]:
    """The answer's clauses as stem sets, each with the other form of an acronym it uses ("PPO" adds the
    stems of "Proximal Policy Optimization", and the long form adds "ppo")."""
    found = []
    for clause in _CLAUSE.split(answer):
        have = _stems(clause)
        for short, long in acronyms:
            if stem(short.lower()) in have:
                have |= _stems(long)
            elif _stems(long) <= have:
                have.add(stem(short.lower()))
        if have:
            found.append(have)
    return found


def _states(answer: str, clauses: list[set[str]], group: Sequence[str]) -> bool:
    """Whether the answer states a key fact: an alternative word for word, or most of an alternative's content
    words (at least two of them, or its one word) in a single clause."""
    if fact_recall(answer, [group])[0]:
        return True
    for alternative in group:
        need = _stems(alternative)
        enough = max(min(2, len(need)), math.ceil(len(need) / 2))
        if need and any(len(need & have) >= enough for have in clauses):
            return True
    return False


def _first_named(answer: str, item: QuizItem) -> bool:
    """For an order question: the earlier section is named, and the later one is not named before it."""
    text = answer.lower()
    first = min((text.find(alt.lower()) for alt in item.accepted[0] if alt.lower() in text), default=-1)
    later = min((text.find(alt.lower()) for alt in item.accepted[1] if alt.lower() in text), default=-1)
    return first >= 0 and (later < 0 or first < later)


def build_quiz(curriculum: Curriculum, topic: str, n: int = 5, seed: int | None = None) -> list[QuizItem]:
    """Up to ``n`` questions on ``topic`` from every roadmap, mixed by kind: lists, definitions, order, papers.
    Seed 0 (or none): the first of each kind; seed ``s``: the ``s``-th next window of each kind, so a retry
    with the next seed gets other items wherever the roadmaps have more, and a seed always draws the same."""
    path = curriculum.path(topic)
    wanted = topic_words(topic)
    kinds = [
        list_items(curriculum, wanted),
        _definitions(curriculum, wanted),
        _orders(curriculum, path),
        paper_items(curriculum, wanted),
    ]
    if seed:
        step = seed * math.ceil(n / max(1, sum(1 for found in kinds if found)))
        kinds = [found[step % len(found) :] + found[: step % len(found)] if found else found for found in kinds]
    items: list[QuizItem] = []
    while len(items) < n and any(kinds):
        for found in kinds:
            if found and len(items) < n:
                items.append(found.pop(0))
    defined = {short: long for doc_id in curriculum.roadmaps() for short, long in _acronyms(curriculum, doc_id)}
    return [_with_acronyms(item, defined) for item in items]


def _acronyms(curriculum: Curriculum, doc_id: str) -> list[tuple[str, str]]:
    return list(curriculum.library.view(doc_id).acronyms.items())


def _with_acronyms(item: QuizItem, defined: dict[str, str]) -> QuizItem:
    """The item with the acronyms its key facts use, in either form."""
    keys = " ".join(alt for group in item.accepted for alt in group)
    used = tuple(
        (short, long)
        for short, long in defined.items()
        if re.search(rf"\b{re.escape(short)}\b", keys) or (_stems(long) and _stems(long) <= _stems(keys))
    )
    return QuizItem(item.question, item.answer, item.accepted, item.citation, item.kind, item.needed, used)


def topic_words(topic: str) -> list[str]:
    """The words of a topic that name it: "RLHF", "tokenization"; not "LLM" or "the"."""
    words = [w for w in text_words(topic) if w not in STOPWORDS and w not in ("llm", "llms")]
    return [w[:-1] if len(w) > 4 and w.endswith("s") else w for w in words]


def names_topic(text: str, topic_words: list[str] | None) -> bool:
    """Every topic word is in ``text`` as a word or its plural ("transformer" in "Transformers"), never a
    longer word that merely shares its stem ("transforming"). ``None`` is every topic: always true."""
    if topic_words is None:
        return True
    have = text_words(text)
    return bool(topic_words) and all(any(w == t or w == t + "s" or w == t + "es" for w in have) for t in topic_words)


def _citation(view: DocumentView, unit: Unit) -> Source:
    return to_source(view.chunk_at(unit.start), 1.0)


def _name(unit: Unit) -> str:
    """What a learner would type for a list item: "Content creation", not its description."""
    match = DEFINITION_LINE.match(unit.text)
    return (match.group("term") if match else unit.text).strip()


def _alternatives(name: str) -> tuple[str, ...]:
    """A name and its short forms: "Retrieval-Augmented Generation (RAG)" -> itself, "Retrieval-Augmented
    Generation", "RAG"."""
    bare = _PARENTHESES.sub(" ", name).strip()
    inside = [p.strip() for p in _PARENTHESES.findall(name) if 2 <= len(p.strip()) <= 12 and "," not in p]
    parts = [p.strip() for p in re.split(r",\s+|\s+(?:vs\.?|&|and)\s+", bare) if len(p.strip()) >= 3]
    return tuple(dict.fromkeys(a for a in (name, bare, *inside, *(parts if len(parts) > 1 else [])) if a))


def list_items(curriculum: Curriculum, topic_words: list[str] | None) -> list[QuizItem]:
    """A list of four to twelve short items that is about the topic (its intro or section names it) or that
    names it among its items: name three."""
    found = []
    for doc_id in curriculum.roadmaps():
        view = curriculum.library.view(doc_id)
        groups = dict.fromkeys(u.group for u in view.units if u.kind == "item" and u.group >= 0)
        for group in groups:
            units = view.group(group)
            items = [u for u in units if u.kind == "item" and not u.level]
            names = [_name(u) for u in items]
            if not 4 <= len(items) <= 12 or any(len(name) > 60 or TIMELINE.match(name) for name in names):
                continue
            intro = next((u for u in units if u.kind == "intro"), None)
            leaf = unnumbered(SECTION_SEPARATOR.join(items[0].section.split(SECTION_SEPARATOR)[-2:]))
            if intro is not None and names_topic(f"{intro.text} {leaf}", topic_words):
                question = f"{view.short_title.capitalize()} says: “{intro.text.rstrip(':').strip()}:”. Name three."
            elif any(names_topic(name, topic_words) for name in names):
                question = f"Name three of the topics {view.short_title} lists under “{leaf}”."
            else:
                continue
            accepted = tuple(_alternatives(name) for name in names)
            item = QuizItem(question, "; ".join(names), accepted, _citation(view, items[0]), "list", min(3, len(names)))
            if all(name in item.citation.text for name in names):  # the whole list is in the cited passage
                found.append(item)
    return found


def _definitions(curriculum: Curriculum, topic_words: list[str] | None) -> list[QuizItem]:
    """A "term - explanation" line on the topic: what does the term cover? The explanation's rarest words."""
    found = []
    for doc_id in curriculum.roadmaps():
        view = curriculum.library.view(doc_id)
        for unit in view.units:
            match = DEFINITION_LINE.match(unit.text) if unit.kind == "item" else None
            if match is None or not names_topic(unit.text, topic_words):
                continue
            term, meaning = match.group("term").strip(), match.group("meaning").strip()
            keys = _key_words(curriculum, meaning, exclude=term)
            if len(keys) < 2:
                continue
            question = f"In {view.short_title}, what does “{term}” cover?"
            found.append(QuizItem(question, meaning, tuple((k,) for k in keys), _citation(view, unit), "definition", 2))
    return found


def _key_words(curriculum: Curriculum, text: str, exclude: str, n: int = 3) -> list[str]:
    """The rarest content words of ``text`` (as written), not already in ``exclude``."""
    skip = set(terms(exclude))
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", text) if terms(w) and terms(w)[0] not in skip]
    ranked = sorted(dict.fromkeys(words), key=lambda w: -curriculum.library.rarity(terms(w)[0], terms))
    return ranked[:n]


def _orders(curriculum: Curriculum, path: TopicPath) -> list[QuizItem]:
    """The main section where a roadmap teaches the topic and one two places away: which comes first?"""
    found = []
    for lane in path.lanes:
        primary = lane.primary
        if primary is None or not primary.place.position:
            continue
        spine = curriculum.spine(lane.doc_id)
        i = primary.place.position - 1
        j = i + 2 if i + 2 < len(spine) else i - 2
        if j < 0:
            continue
        first, later = sorted((spine[i], spine[j]), key=lambda h: h.start)
        a, b = unnumbered(first.text), unnumbered(later.text)
        question = f"In {lane.roadmap}, which section comes first: {b} or {a}?"
        answer = f"{a} comes before {b}"
        view = curriculum.library.view(lane.doc_id)
        found.append(
            QuizItem(question, answer, (_alternatives(a), _alternatives(b)), _citation(view, first), "order", 1)
        )
    return found


def paper_items(curriculum: Curriculum, topic_words: list[str] | None) -> list[QuizItem]:
    """A catalog card on the topic: which paper introduced what it introduced?"""
    found = []
    for card_id in curriculum.library.doc_ids(Kind.PAPER_CARD):
        view = curriculum.library.view(card_id)
        heading = next((u for u in view.units if u.kind == "heading"), None)
        what = introduced(view)
        if heading is None or what is None or not names_topic(f"{view.title} {what[1]}", topic_words):
            continue
        short = view.title.split(" (")[0]
        authors = view.title[len(short) :].strip(" ()").split(",")[0]
        question = f"Which paper introduced {what[0]}?"
        names = (heading.text, authors) + ((short,) if short.lower() not in question.lower() else ())
        answer = f"{heading.text} ({view.title[len(short) :].strip(' ()')})"
        found.append(QuizItem(question, answer, (tuple(dict.fromkeys(names)),), _citation(view, heading), "paper", 1))
    return found


def introduced(view: DocumentView) -> tuple[str, str] | None:
    """What a paper's card says it introduced: its name (up to the first comma outside parentheses) and the whole
    line ("LoRA", "LoRA, fine-tuning through trainable low-rank update matrices ..."); None for another card."""
    match = next((m for u in view.units if (m := _INTRODUCED.match(u.text))), None)
    if match is None:
        return None
    whole, depth = match.group("what").strip(), 0
    for i, char in enumerate(whole):
        depth += (char == "(") - (char == ")")
        if char in ",;" and depth == 0:
            return whole[:i].strip(), whole
    return whole, whole
