"""Follow-up questions made standalone, before anything else reads them.

Only a real follow-up borrows from the conversation: one that points back (a pronoun with no subject of its
own: "which papers cover it?"), one that is elliptical ("and after that?", "any papers?", "how long?") or one
that swaps a part of the last question ("what about the curriculum?", "and QLoRA?"). Everything else is
answered as if it were asked first, whatever came before. The standalone question carries the previous
question's subject, the roadmap it named and, when the previous question had no subject of its own ("what
should I study first?"), the section its answer came from; it then drives retrieval, the composer, the
grounding check and the LLM prompt alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from roadmap_rag.retrieve.question_words import ASKING, CHAT_WORDS, PLACES
from roadmap_rag.retrieve.questions import (
    CORPUS_WORDS,
    GENERIC_STEMS,
    PATH_STEMS,
    everyday_spelling,
    is_everyday,
    terms,
    what_is_asked,
)
from roadmap_rag.types import Turn, section_leaf, unnumbered

_POINTER = re.compile(
    r"\b(it|its|this|that|these|those|them|they|their|he|him|his|she|her|there|one|ones"
    r"|the (?:paper|model|book|author|course|method|technique|approach|guy))\b",
    re.IGNORECASE,
)
# "it" that points at nothing: "how long does it take", "is it worth learning Rust", "it's hard to ...".
_DUMMY = re.compile(
    r"\b(?:does|did|will|would|should|can) it take\b(?=\s+\w)|\bis it (?:\w+ )?(?:worth|possible|hard|easy|ok|okay"
    r"|necessary|better|best|enough|true|normal|fine|bad|good|important|required|needed)\b(?=\s+\w)"
    r"|\bit(?:'s| is) (?:\w+ )?(?:worth|possible|hard|easy|ok|okay|necessary|better|best|enough|normal|fine"
    r"|important)\b(?=\s+\w)|\bthat (?:is|means) (?:why|how)\b",
    re.IGNORECASE,
)
_LEADING = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|and|also|then|but|cool|thanks|great|hmm+|right|wait|oh)\b[\s,.!]*)+", re.IGNORECASE
)
_CONTINUES = re.compile(r"^\s*(?:and|also|then|so|what else|anything else|more)\b|\bagain\W*$", re.IGNORECASE)
_SWAP = re.compile(r"^\s*(?:what|how)\s+about\s+(?P<rest>.+)$", re.IGNORECASE)
_ASKS = re.compile(rf"^\s*(?:{ASKING})\b", re.IGNORECASE)
# "and the intermediate ones?", "what about the advanced ones": the last question's things, of another kind.
_ONES = re.compile(r"^\s*(?:the\s+)?(?P<kind>[a-z][\w-]*(?:\s+[a-z][\w-]*)?)\s+ones\W*$", re.IGNORECASE)
# "the first one", "the second", "the last one": an item of the last answer's list, by its place; "the second
# paper", "the first course": the thing of that kind the last answer names in that place.
_ORDINAL = re.compile(
    r"\bthe\s+(?P<nth>first|second|third|fourth|fifth|last|middle)(?:\s+one\b|\s+(?P<kind>paper|book|course|video|"
    r"playlist|project|tool|framework|model|guide|blog|article)\b|\s+(?P<place>step|stage|phase|module|level|part|"
    r"item|section)\b|(?!\s*\w))",
    re.IGNORECASE,
)
# "and for advanced level?", "what about for python": the last question's phrase after that word, swapped.
_PARALLEL = re.compile(r"^\s*(?:and|what about|how about)\s+(?P<prep>for|on|about|with)\s+(?P<rest>[^?.!]+)", re.I)
# "the chatbot one", "the lora one": the item of the last answer's list that the word names.
_NAMED_ONE = re.compile(
    r"\bthe\s+(?P<word>[a-z][\w-]*(?:\s+[a-z][\w-]*)?)\s+(?:one(?P<plural>s)?|bit|part)\b", re.IGNORECASE
)
# "which paper ...", "what book ...": the thing the last question asked for, which "it" then points at.
_ASKED_KIND = re.compile(
    r"\b(?:what|which|an?|any)\s+(?P<kind>paper|book|course|video|playlist|project|tool|framework|guide|blog|article)\b",
    re.IGNORECASE,
)
_PAPERS = re.compile(r"\bpapers?\b", re.IGNORECASE)
# "that bit", "this part", "those steps": a word for a part of what the pointer points at, which it names no more.
_PART_NOUN = re.compile(
    r"\s+(?:bit|part|piece|portion|stretch|stage|step|phase|section|module|one|stuff|thing|topic|chapter)s?\b",
    re.IGNORECASE,
)
_NTH = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1, "middle": None}
_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(?P<item>.+)$")
_CITE = re.compile(r"\s*\[\d+(?:\]\s*\[\d+)*\]")
# "which web frameworks?", "what tools?": a question that is only what it asks for, to be read where the last
# one was asked.
_FRAGMENT = re.compile(r"^\s*(?:and\s+)?(?:which|what)\s+(?:[a-z][\w-]*\s*){1,3}\?*\s*$", re.IGNORECASE)
_VERBISH = re.compile(r"\b(?:is|are|was|were|do|does|did|can|should|would|will|has|have)\b|'s\b", re.IGNORECASE)
# A numbered place a subject can be: "month 1-2", "module 3", "day 5".
_LABEL = re.compile(rf"^(?:{'|'.join(PLACES)})s?$", re.I)
_NUMBERED = re.compile(r"^\d+(?:[-–]\d+)?$")
_NEXT = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|cool|great|alright|right|nice|thanks)\b[\s,.!]*)*(?:and\s+)?"
    r"(?:(?:what(?:'s| is| comes)?\s+)?(?:next|after\s+that)|then(?:\s+what)?|what\s+then)\b\W*$",
    re.IGNORECASE,
)
# "... about Large Language Models?", "... say about evaluation?": what follows "about" is the question's own
# subject, however generic its words ("language", "models" name no subject alone), unless it points back.
_ABOUT = re.compile(r"\babout\s+(?P<subject>[^?.!,;]+)", re.IGNORECASE)
_NOT_A_SUBJECT = frozenset(["the", "a", "an", "some", "more", "next", "else", "first", "then", "now", "here", "so"])
_JOIN = frozenset(["of", "for", "and", "in", "to", "with", "on", "the", "a", "an", "vs", "versus"])
_WORD = re.compile(r"[A-Za-z0-9][\w.+\-']*")
# Below this Zipf frequency a word names a subject of its own ("transformers", "RLHF", "quantization").
_NAMING = 3.5


@dataclass(frozen=True)
class Resolved:
    """A question as it will be answered: ``question`` is standalone; ``followup`` says whether it borrowed."""

    question: str
    followup: bool


# Where a question asks a second thing: "whats prompt engineering and where do i learn it", "what is rope? which
# model uses it": a question word after "and", "also" or a question mark.
_SECOND_ASK = re.compile(
    r"(?:\?+\s*(?:and\s+|also\s+)?|\s*[,;]?\s+(?:and|also|plus)\s+)"
    r"(?=(?:what|whats|which|where|how|why|when|who|is|are|does|do|should|can)\b)",
    re.IGNORECASE,
)
# A first ask that picks one thing out ("which entry ... is marked beginner"): what the second points at is its answer.
_PICKS = re.compile(r"^\W*(?:\w+\W+){0,3}?(?:which|wich)\b", re.IGNORECASE)
# What points back at the first ask's subject in the second ("where do i learn it", "why does it matter").
_IT = re.compile(r"\b(?:it|them|they|this|that one)\b", re.IGNORECASE)


def question_parts(question: str) -> list[str]:
    """The questions ``question`` asks, each standing alone: "whats prompt engineering and where do i learn it"
    -> ["whats prompt engineering", "where do i learn prompt engineering"]. A second ask that names no subject of
    its own and points at none ("... ? and how long for that first part") stays part of the first; so does
    anything whose first part names no subject ("what is it and why")."""
    match = _SECOND_ASK.search(question)
    if match is None or match.start() == 0:
        return [question]
    first, second = question[: match.start()].strip(), question[match.end() :].strip()
    subject = subject_of(first)
    if not subject or not terms(second):
        return [question]
    pointed = _IT.search(second)
    if pointed and _PICKS.match(first):
        return [question]  # "which entry is marked beginner, and whats the video for it": "it" is the one picked
    if pointed and pointed.group(0).lower() in ("they", "them") and not re.search(r"[^s]s\b", subject):
        return [question]  # "they" stands for more than one thing: not for "work keep" of "people at work keep ..."
    if pointed:
        second = f"{second[: pointed.start()]}{subject}{second[pointed.end() :]}"
    elif all(is_everyday(w) or everyday_spelling(w) for w in subject_of(second).split()):
        return [question]  # "... right? whats the actual diference": the second ask is about the first
    return [first, second]


def subject_of(question: str, names: Sequence[str] = ()) -> str:
    """The question's subject as it was written ("prompt engineering", "LoRA", "Llama 2"): its run of topic
    words (a short joining word may sit inside, a number may follow a name) that names the most, with the names
    of roadmaps set aside. A run that holds a term of art drops the everyday words at its ends ("RLHF take")."""
    text = _without_names(question, names)
    runs: list[list[str]] = []
    run: list[str] = []
    pending: list[str] = []
    last = ""
    for word in _WORD.findall(text):
        bare = word.strip(".'-")
        if _numbered_place(last, bare):
            if run and run[-1] == last:
                run.pop()
            if run:
                runs.append(run)
            run, pending, last = [last, bare], [], bare  # "month 1-2": the place is the subject
            continue
        last = bare
        if _is_topic(bare) or (run and not pending and bare.isdigit()):
            run += [*pending, bare]
            pending = []
        elif run and bare.lower() in _JOIN and len(pending) < 1:
            pending.append(bare)
        else:
            if run:
                runs.append(run)
            run, pending = [], []
    if run:
        runs.append(run)
    if not runs:
        return ""
    best = max(runs, key=lambda r: sum(1 + (_NUMBERED.match(w) is not None or not is_everyday(w)) for w in r))
    if any(not is_everyday(w) for w in best):
        while best and is_everyday(best[-1]) and not best[-1].isdigit():
            best = best[:-1]
        while best and is_everyday(best[0]) and not (len(best) > 1 and _numbered_place(best[0], best[1])):
            best = best[1:]
    return " ".join(best)


def _numbered_place(label: str, number: str) -> bool:
    return bool(_LABEL.match(label) and _NUMBERED.match(number))


def is_followup(question: str, names: Sequence[str] = (), vocabulary: Mapping[str, int] | None = None) -> bool:
    """Whether ``question`` leans on the conversation: an ellipsis ("any papers?"), "what about ...", a
    continuation ("and when do I get to RAG?"), or a pointer ("why does it happen?") in a question that names
    no subject of its own. A question with a subject of its own and no pointer stands alone."""
    text = _without_names(question, names)
    stripped = _LEADING.sub("", text)
    if _SWAP.match(stripped) or _NEXT.match(question) or _CONTINUES.search(text) or _ONES.match(stripped):
        return True
    if _ORDINAL.search(stripped) and not _about_a_subject(stripped):
        return True  # "what does the first one measure?"
    if _FRAGMENT.match(stripped) and not _VERBISH.search(stripped):
        return True  # "which web frameworks?"
    own = [w for w in _WORD.findall(stripped) if _is_topic(w.strip(".'-"))]
    if not own and not _about_a_subject(stripped):
        return True  # "any papers?", "how long?", "is it hard?", "what does the curriculum say about it?"
    pointer = _pointer(_DUMMY.sub(" ", stripped))
    if pointer and pointer.group(1).lower() in _PERSON:
        return True  # "what biases did he learn about?": its own subject, in the author's roadmap
    if pointer:
        # "why does it happen?", "is there a paper for that?": a pointer and no word that names a subject
        return not any(_names_subject(w, vocabulary) for w in own)
    return False


def _pointer(text: str) -> re.Match[str] | None:
    """The first word of ``text`` that points back: not "one" ("which one is best") nor the "there" of "is there
    ...", which point at nothing, wherever they stand ("is there a paper for that": "that")."""
    return next((m for m in _POINTER.finditer(text) if m.group(1).lower() not in ("one", "there")), None)


# "it lists", "it says", "does it cover": what a document does, so "it" is the roadmap of the conversation.
_DOCUMENT_VERB = re.compile(
    r"\s+(?:lists?|says?|mentions?|covers?|recommends?|includes?|suggests?|names?|links?|teaches)\b", re.IGNORECASE
)
# A person the conversation is about: the author of the roadmap it is about.
_PERSON = frozenset({"he", "him", "his", "she", "her"})


def _about_a_subject(text: str) -> bool:
    """Whether ``text`` asks about something it names: "what does the roadmap say about Large Language Models?",
    not "... about it?" nor "what should I learn about next?"."""
    about = _ABOUT.search(text)
    if not about or _POINTER.search(about.group("subject")):
        return False
    words = [w.lower().strip(".'-") for w in _WORD.findall(about.group("subject"))]
    return any(w.isalpha() and w not in CHAT_WORDS and w not in _NOT_A_SUBJECT for w in words)


def _names_subject(word: str, vocabulary: Mapping[str, int] | None) -> bool:
    """A word that names a subject: a term of art, or a word the corpus uses that is uncommon in English at
    large ("Python", "deployment", "transformers"); not "happen", "practise" or "math"."""
    if not is_everyday(word):
        return True
    in_corpus = vocabulary is None or all(s in vocabulary for s in terms(word))
    return in_corpus and not is_everyday(word, _NAMING)


def resolve(
    question: str, history: Sequence[Turn], names: Sequence[str] = (), vocabulary: Mapping[str, int] | None = None
) -> Resolved:
    """The standalone question to answer. ``names``: the roadmaps' names ("the curriculum", "14-day roadmap"),
    which are never a subject; ``vocabulary``: the corpus's stems (``Library.vocabulary``). Every earlier turn is
    resolved in order, so a chain of follow-ups keeps its subject."""
    if not history:
        return Resolved(question, False)
    previous = ""
    place = ("", "")
    answer = ""
    for turn in history:
        if previous and (one := _one_named(turn.question, answer)):
            previous = one
        elif previous and is_followup(turn.question, names, vocabulary):
            previous = _resolve_one(turn.question, previous, place, names, answer)
        else:
            previous = turn.question
        place = (turn.section, turn.roadmap)
        answer = turn.answer
    if one := _one_named(question, answer):
        return Resolved(one, True)
    if chosen := _which_of_them(question, answer):
        return Resolved(chosen, True)
    if not is_followup(question, names, vocabulary):
        return Resolved(question, False)
    return Resolved(_resolve_one(question, previous, place, names, answer), True)


def _things(previous: str, subject: str) -> str:
    """What "ones" stands for in the last question: its subject's words up to the plural noun after them ("beginner
    projects"), or its first plural noun ("projects")."""
    words = _WORD.findall(previous)
    lowered = [w.lower() for w in words]
    start = lowered.index(subject.split()[0].lower()) if subject and subject.split()[0].lower() in lowered else -1
    for i, word in enumerate(lowered[max(start, 1) :], start=max(start, 1)):
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and word not in ("does", "this"):
            return " ".join(words[start if start >= 0 else i : i + 1])
    return ""


def _nth_named(answer: str, nth: str, kind: str) -> str:
    """The ``nth`` name in ``answer`` that says it is a ``kind`` ("Self-Consistency Paper", the second paper of
    "Chain of Thought Prompting: Chain-of-Thought Prompting Paper; Self-Consistency Paper"), or ""."""
    names = [
        part.strip(" .*-")
        for line in answer.splitlines()
        for part in re.split(r"[;:,]\s|\s[-–—]\s", _CITE.sub("", line))
        if re.search(rf"\b{kind}s?\b", part, re.IGNORECASE) and len(part.split()) <= 8
    ]
    return _at(names, nth)


def _items(answer: str, every: bool = False) -> list[str]:
    """The items of the first list in ``answer`` (``every``: of all its lists), each by its name: without
    citations or details ("HELM")."""
    return [_item_name(item) for item in _item_lines(answer, every)]


def _item_name(item: str) -> str:
    """An item by its name, its details aside ("HELM" of "HELM: ...", "BLOOM" of "BLOOM (BigScience) ...")."""
    return re.split(r":\s|\s[-–—]\s|\s\(|;\s", item, maxsplit=1)[0].strip(" .*")


def _item_lines(answer: str, every: bool) -> list[str]:
    """The items of ``answer``'s lists as written, without citations: of its first list, or of all of them."""
    items: list[str] = []
    for line in answer.splitlines():
        match = _ITEM.match(line)
        if match:
            items.append(_CITE.sub("", match.group("item")).strip())
        elif items and line.strip() and not every:
            break
    return items


def _nth_item(answer: str, nth: str) -> str:
    """The ``nth`` item of the first list in ``answer`` ("HELM"), or ""."""
    return _at(_items(answer), nth)


# "word2vec, glove and fasttext", "lora, qlora or prefix tuning": three or more things a question lists itself.
_LISTED = re.compile(
    r"(?P<items>[\w.+-]+(?:\s+[\w.+-]+)?(?:\s*,\s*[\w.+-]+(?:\s+[\w.+-]+)?)+,?\s+(?:and|or)\s+[\w.+-]+(?:\s+[\w.+-]+)?)",
    re.IGNORECASE,
)


def _listed(question: str) -> list[str]:
    """The things ``question`` lists itself, in its order (at least three), or []: the last words before each
    comma and the word after "and"/"or" ("lists word2vec, glove and fasttext for embeddings": three)."""
    match = _LISTED.search(question)
    if match is None:
        return []
    parts = re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", match.group("items"))
    things = [parts[0].split()[-1], *(p.split()[0] for p in parts[1:] if p.split())]
    return things if len(things) >= 3 else []


def _at(things: list[str], nth: str) -> str:
    """The thing at the place ``nth`` names ("second", "last", "middle": of an odd number), or ""."""
    index = _NTH[nth.lower()]
    if index is None:  # "the middle one": of three, the second
        return things[len(things) // 2] if len(things) % 2 else ""
    return things[index] if -len(things) <= index < len(things) else ""


# "which of them involves quantization", "which one of those is free": a choice among the last answer's items.
_WHICH_OF = re.compile(r"\b(?:which|what)\s+(?:one\s+|ones\s+)?of\s+(?:them|those|these)\b", re.IGNORECASE)


def _which_of_them(question: str, answer: str) -> str:
    """ "ok which of them involves quantization" after the advanced projects: the items of the last answer whose
    text holds the question's own topic words ("Inference-Optimized LLM Deployment — Skills: Quantization,
    Serving"), asked about by name, or "" (no such choice, or no item holds them)."""
    match = _WHICH_OF.search(question)
    if match is None:
        return ""
    rest = question[match.end() :]
    wanted = {t for w in _WORD.findall(rest) if _is_topic(w.strip(".'-")) for t in terms(w)}
    if not wanted:
        return ""
    chosen = [_item_name(line) for line in _item_lines(answer, every=True) if wanted & set(terms(line))]
    if not chosen:
        return ""
    return f"{' and '.join(dict.fromkeys(chosen))}:{rest}"


def _one_named(question: str, answer: str) -> str:
    """ "what skills does the chatbot one teach" after a list of projects: the question about the one item of
    the last answer's list that the word names ("Chatbot with Memory"), or ""."""
    match = _NAMED_ONE.search(question)
    if not match or match.group("word").split()[0].lower() in _NTH:
        return ""
    word = re.compile(rf"\b{_loose(match.group('word'))}\b", re.IGNORECASE)  # "compute optimal": "Compute-Optimal"
    named = [item for item in _items(answer, every=True) if word.search(item)]
    # "the llama one" of "Fine-tune a LLaMA or Mistral model for domain-specific Q&A": a name inside a longer
    # item is the thing meant, as the item writes it; an item the word opens ("Chatbot with Memory") is itself
    named = [item if _opens(word, item) else word.findall(item)[0] for item in named]
    if not named:
        # "the bloom one" where the answer names BLOOM inside an item ("open-source models (LLaMA, BLOOM, ...)"):
        # the name itself, as the answer writes it
        written = [m.group(0) for line in _item_lines(answer, every=True) for m in word.finditer(line)]
        named = written[:1]
    if not named or (len(named) > 1 and not match.group("plural")):
        return ""
    # "which ones are the extrinsic ones": the items that say so ("Extrinsic metrics"), all of them
    return question[: match.start()] + " and ".join(named) + question[match.end() :]


def _opens(word: re.Pattern[str], item: str) -> bool:
    """Whether ``word`` opens ``item`` or names most of it (an item of at most _SHORT_ITEM words)."""
    found = word.search(item)
    return found is not None and (found.start() == 0 or len(item.split()) <= _SHORT_ITEM)


_SHORT_ITEM = 4


def _resolve_one(question: str, previous: str, place: tuple[str, str], names: Sequence[str], answer: str = "") -> str:
    previous = what_is_asked(previous)  # "im new to ml, whats lora": the question is the rest
    # "im doing the comprehensive curriculum, whats in the tokenization module": the subject is the question's
    asked = re.split(r",\s+", previous)[-1]
    subject = (_ASKS.match(asked) and subject_of(asked, names)) or subject_of(previous, names)
    subject = _as_answered(subject, previous, answer)
    section, roadmap = place
    named_before = _names_in(previous, names)
    named_now = _names_in(question, names)
    # carried over as the roadmap's own name ("the 14-day roadmap"), however it was typed ("the 14 day one")
    roadmap_words = _names_in(previous, names, canonical=True) or ([roadmap] if roadmap else [])
    text = _LEADING.sub("", question).strip() or question.strip()
    ordinal = _ORDINAL.search(text)
    item = ""
    listed = _listed(previous)  # "the curriculum lists word2vec, glove and fasttext": "the last one" is fasttext
    if ordinal and listed and not ordinal.group("kind") and not ordinal.group("place"):
        item = _at(listed, ordinal.group("nth"))
    elif ordinal and ordinal.group("kind"):
        item = _nth_named(answer, ordinal.group("nth"), ordinal.group("kind"))
    elif ordinal:
        item = _nth_item(answer, ordinal.group("nth"))
    if ordinal and item:
        # "what does the first one measure?": the first item of the last answer's list
        return text[: ordinal.start()] + item + text[ordinal.end() :]  # a thing of its own, wherever it is
    parallel = _PARALLEL.match(question)
    if parallel and not _names_in(parallel.group("rest"), names):
        # "and for advanced level?" after "... course for beginners in the core roadmap": the same question, its
        # phrase after that word swapped
        prep = parallel.group("prep")
        was = re.search(
            rf"\b{prep}\s+(?P<what>.+?)(?=\s+(?:in|on|for|from|of|about|with|according)\b|\s*[?.!]|$)", previous, re.I
        )
        if was:
            rest = parallel.group("rest").strip(" ?.!")
            return previous[: was.start("what")] + rest + previous[was.end("what") :]
    swap = _SWAP.match(text)
    ones = _ONES.match(swap.group("rest") if swap else text)
    things = _things(previous, subject) if ones else ""
    if ones and things:
        # "and the intermediate ones?" after "what are the beginner projects ...": the intermediate projects
        return _replace(previous, things, f"{ones.group('kind')} {things.split()[-1]}")
    if swap:
        rest = re.split(r"[,;?]", swap.group("rest"))[0].strip(" .!")  # "the curriculum, what does it list?"
        if one := _roadmap_one(swap.group("rest"), names):
            rest = one  # "what about the other roadmap, the core one?": the core roadmap, by its name
        if _names_in(rest, names) and not subject_of(rest, names):
            # "what about the curriculum?": the last question, asked of that roadmap
            if named_before:
                return _replace_names(previous, named_before, rest)
            return f"{previous.rstrip(' ?.!')} in {rest}?"
        if subject and subject.lower() in previous.lower():
            return _replace(previous, subject, rest)  # "what about QLoRA?": the last question, on QLoRA
        return f"{previous.rstrip(' ?')}, and {rest}?"
    if _NEXT.match(question):
        target = subject or _leaf(section)
        where = "" if named_now else _in(roadmap_words)
        return f"what comes after {target}{where}?" if target else f"what comes next{where}?"
    if not _ASKS.match(text) and subject_of(text, names) and not _POINTER.search(text):
        # "and qlora?": the last question, on this subject
        new = text.strip(" ?.!")
        return _replace(previous, subject, new) if subject and subject.lower() in previous.lower() else text
    fragment = _FRAGMENT.match(text) and not _VERBISH.search(text) and not _pointer(text)
    if fragment and subject and subject.lower() not in text.lower():
        # "which web frameworks?" after "what deployment stuff does the guide cover": those of deployment, there
        where = "" if named_now else _in(roadmap_words)
        return _with_place(f"{text.rstrip(' ?.!')} for {subject}", where)
    if subject_of(text, names) and not _POINTER.search(_DUMMY.sub(" ", text)):
        # "and when do I get to RAG?": its own subject, in the roadmap the conversation is about
        return text if named_now else _with_place(text, _in(roadmap_words))
    target = subject or _leaf(section)
    if not target:
        return text if named_now else _with_place(text, _in(roadmap_words))
    where = "" if named_now else _in(roadmap_words if named_before else [])
    pointer = _pointer(_DUMMY.sub(lambda m: "_" * len(m.group(0)), text))
    if pointer:
        word = pointer.group(1).lower()
        document_verb = word == "it" and _DOCUMENT_VERB.match(text, pointer.end()) is not None
        if (word in _PERSON or document_verb) and roadmap_words:
            # the author, or "it lists a paper for ...": the roadmap the conversation is about
            target = _in(roadmap_words).removeprefix(" in ")
            where = ""
        filled = f"{target}'s" if word in ("its", "his", "her", "their") else target
        asked = _ASKED_KIND.search(previous)
        if word.startswith("the "):  # "who wrote the paper?": the LoRA paper
            filled = f"the {target} {word.removeprefix('the ')}"
        elif asked and word in ("it", "that", "this") and target.lower() != asked.group("kind").lower():
            # "who wrote it?" after "which paper covers RAG?": the answer, the RAG paper, not RAG
            filled = f"the {target} {asked.group('kind').lower()}"
            if asked.group("kind").lower() == "paper":
                where = ""  # the paper's own card answers, not the roadmap that links it
        if word == "that" and re.search(r"\b(after|before)\s+that\b", text, re.IGNORECASE):
            filled = target
        end = pointer.end()
        demonstrative = word in ("that", "this", "those", "these")
        noun = _NOUN_AFTER.match(text, end) if demonstrative else None
        mention = _mention(previous, noun.group("noun"), names) if noun else ""
        part = _PART_NOUN.match(text, end) if demonstrative else None
        if mention and noun:
            filled, end = mention, noun.end()  # "books for that level" after "... the advanced level": that one
        elif part:
            end = part.end()  # "how many months is that bit": the bit is what "that" points at
        resolved = text[: pointer.start()] + filled + text[end:]
        if not subject and roadmap_words and not named_now:
            where = _in(roadmap_words)
        if _PAPERS.search(text) and not named_now:
            where = ""  # "is there a paper for that?": any paper on it, not only one the last roadmap links
        return _with_place(resolved, where)
    return _with_place(f"{text.rstrip(' ?.!')} about {target}?", where)


def _mention(previous: str, noun: str, names: Sequence[str]) -> str:
    """ "that level" after "what concepts are in the core roadmap's advanced level": the last question's own
    mention of a ``noun`` with the words that tell which one ("advanced level"), or "" (no such mention, or one
    with no word of its own: "the level")."""
    if not noun.isalpha() or noun.lower() in _NOT_A_SUBJECT:
        return ""
    found = re.search(rf"((?:[\w'-]+\s+){{1,2}}){re.escape(noun)}s?\b", _without_names(previous, names), re.I)
    if found is None:
        return ""
    words = [w for w in found.group(1).split() if w.lower() not in _DETERMINERS and not w.endswith("'s")]
    return " ".join([*words[-2:], found.group(0).split()[-1]]) if words else ""


# "the", "its": words before a noun that say no more of which one it is.
_DETERMINERS = frozenset(
    ["the", "a", "an", "its", "their", "his", "her", "my", "your", "this", "that", "of", "in", "on"]
)
# The word after "that" ("that level", "that playlist").
_NOUN_AFTER = re.compile(r"\s+(?P<noun>[a-z][a-z-]*)\b", re.IGNORECASE)


def _roadmap_one(text: str, names: Sequence[str]) -> str:
    """ "the core one", "the 14 day one": the roadmap whose name starts with those words, by its shortest name, or
    "" (none, or the names of more than one roadmap: "the complete one" when two names start so)."""
    match = _ROADMAP_ONE.search(text)
    if not match:
        return ""
    words = _loose(match.group("words"))
    found = [n for n in names if re.match(rf"{words}\b", n, re.IGNORECASE)]
    if not found:
        return ""
    shortest = min(found, key=len)
    return f"the {shortest}" if all(shortest.split()[0] == n.split()[0] for n in found) else ""


_ROADMAP_ONE = re.compile(r"\bthe\s+(?P<words>[\w-]+(?:\s+[\w-]+)?)\s+one\b", re.IGNORECASE)


def _as_answered(subject: str, previous: str, answer: str) -> str:
    """The subject with the everyday word the last question wrote before it, where the last answer names the two
    together ("word embeddings", not "embeddings"; "neural networks"): the name its sources use."""
    if not subject or not answer:
        return subject
    before = re.search(rf"([A-Za-z][\w-]*)\s+{re.escape(subject)}\b", previous, re.IGNORECASE)
    if before is None or before.group(1).lower() in _JOIN or before.group(1).lower() in CHAT_WORDS:
        return subject
    longer = f"{before.group(1)} {subject}"
    return longer if re.search(rf"\b{re.escape(longer)}\b", answer, re.IGNORECASE) else subject


def _with_place(question: str, where: str) -> str:
    if not where:
        return question
    return f"{question.rstrip(' ?.!')}{where}?"


def _in(names: Sequence[str]) -> str:
    if not names:
        return ""
    name = names[0]
    return f" in {name}" if name.lower().startswith("the ") else f" in the {name}"


def _leaf(section: str) -> str:
    return unnumbered(section_leaf(section)).strip() if section else ""


def _topical(stem: str) -> bool:
    return stem not in GENERIC_STEMS and stem not in PATH_STEMS and stem not in CORPUS_WORDS


def _is_topic(word: str) -> bool:
    if word.lower() in CHAT_WORDS or word.isdigit() or _POINTER.fullmatch(word):
        return False
    stems = terms(word)
    return bool(stems) and all(_topical(s) for s in stems)


def _names_in(text: str, names: Sequence[str], canonical: bool = False) -> list[str]:
    """The roadmap names in ``text``, as typed (or, ``canonical``, as the roadmap's own name)."""
    found: list[str] = []
    typed: list[str] = []
    for name in sorted(names, key=len, reverse=True):
        match = re.search(rf"\b(?:the\s+)?{_loose(name)}\b", text, re.IGNORECASE)
        if match and not any(match.group(0).lower() in t.lower() for t in typed):
            typed.append(match.group(0))
            found.append(name if canonical else match.group(0))
    return found


def _without_names(text: str, names: Sequence[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"\b(?:the\s+)?{_loose(name)}(?:'s)?\b", " ", text, flags=re.IGNORECASE)
    return text


def _loose(name: str) -> str:
    """A roadmap's name as people type it: "14-day roadmap", "14 day roadmap" and "14day roadmap" alike."""
    return r"[\s-]?".join(re.escape(part) for part in re.split(r"[\s-]+", name))


def _replace_names(text: str, old: Sequence[str], new: str) -> str:
    for name in old:
        text = re.sub(re.escape(name), new, text, count=1, flags=re.IGNORECASE)
    return text


def _replace(text: str, old: str, new: str) -> str:
    return re.sub(re.escape(old), new, text, count=1, flags=re.IGNORECASE)
