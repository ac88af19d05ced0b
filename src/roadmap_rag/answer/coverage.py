"""What a question asks that the sources do not hold, so the answer can say so before anything else.

A near-miss question ("when was Llama 3 released?", "how much does an H100 cost?", "how does FlashAttention
work?") retrieves related text, and related text read as an answer misleads. Three checks, each about the
question's form rather than its topic:

- a word the question needs that the corpus never uses (not a typo of one it does: "transfomers");
- a named version the sources never name ("Llama 3", "GPT-5", "Claude 3"), though they name its family;
- a price, a date or a number the question asks for, where no sentence that names its subject states one;
- a measurable attribute asked of a named thing ("the context length of Llama 2", "the length of CS224n") that no
  sentence naming the thing speaks of;
- in a question whether the sources cover something ("do the roadmaps cover mamba?"), a word the corpus never uses,
  though it is everyday English.

Each finding is said first ("The sources do not mention FlashAttention; the closest they have:").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from difflib import get_close_matches

from roadmap_rag.retrieve.followups import subject_of
from roadmap_rag.retrieve.library import single_letters
from roadmap_rag.retrieve.question_words import CHAT_WORDS, PLACES
from roadmap_rag.retrieve.questions import (
    CHAT_STEMS,
    CORPUS_WORDS,
    GENERIC_STEMS,
    PATH_STEMS,
    everyday_spelling,
    is_everyday,
    stem,
    terms,
    topic_terms,
)
from roadmap_rag.text.prose import (
    asks_date,
    asks_price,
    asks_quantity,
    states_date,
    states_price,
    states_quantity,
)
from roadmap_rag.text.sentences import split_sentences
from roadmap_rag.types import Source

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.\-+][A-Za-z0-9]+)*|\d+[A-Za-z]*")
# A name with its version: "Llama 3", "GPT-4o", "Claude 3 Opus", "Mistral 7B"
_VERSIONED = re.compile(r"\b([A-Za-z][A-Za-z]+)[\s-]?(\d+(?:\.\d+)?[a-z]?)\b(?!\s*(?:months?|weeks?|days?|hours?|%))")

# Places in a roadmap, which a number follows as "Llama 3" follows its family: "step 3", "module 7", "month 4".
_PLACES = frozenset(stem for place in PLACES for stem in terms(f"{place} {place}s"))
# A year and a list's number, which state no amount ("GPT-4 (OpenAI, 2023).", "1. GPT Series").
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_LIST_NUMBER = re.compile(r"(?m)^\s*\d+[.)]\s")

# A measurable attribute of a named thing: what a sentence that names the thing must speak of to answer.
_ATTRIBUTE = re.compile(
    r"\b(?:the|its|their)\s+(?:(?:max|maximum|exact|total|typical|average|current)\s+)?"
    r"(?P<attr>(?:context\s+)?(?:length|window|size|price|cost|duration|release\s+date|date|year|"
    r"parameter\s+count|number\s+of\s+parameters|speed|latency|accuracy|score|salary|authors?))\s+(?:of|for)\s+"
    r"(?:the\s+)?(?P<subject>[\w.+-]+(?:\s+[\w.+-]+){0,2})",
    re.IGNORECASE,
)
# "do the roadmaps cover X", "is X mentioned": what follows is asked about by name.
_COVERS = re.compile(
    r"\b(?:cover|covers|covered|mention|mentions|mentioned|include|includes|discuss|discusses|talk about|say anything "
    r"about|anything (?:on|about))\b",
    re.IGNORECASE,
)


def uncovered(
    question: str, sources: Sequence[Source], vocabulary: Mapping[str, int], spellings: Collection[str] = ()
) -> list[str]:
    """What ``question`` asks that none of ``sources`` holds, in the question's words ("FlashAttention",
    "Llama 3", "a price"); empty when everything it needs is there. ``vocabulary``: the corpus's stems
    (``Library.vocabulary``), which tells a word the corpus never uses from a typo of one it does;
    ``spellings``: the corpus's words with their repeated letters made one (``Library.spellings``), so that a
    letter doubled or not ("begginer", "acurate") is a typo too."""
    text = " ".join(f"{s.title} {s.section} {s.text}" for s in sources)
    held = set(terms(text))
    flat = _written_names(text)
    found: list[str] = []
    covers = _COVERS.search(question)
    named = set(_WORD.findall(question[covers.end() :])) if covers else set()
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    for word in _WORD.findall(question):
        everyday = word in named and len(word) >= 4  # "mamba", not "non" of "non transformer"
        if _absent(word, held, vocabulary, words, everyday, spellings) and not _written_apart(word, flat):
            found.append(word)
    modified = _unknown_modifier(question, vocabulary, flat)
    if modified and not any(w in found for w in modified.split()):
        found.append(modified)
    for match in _VERSIONED.finditer(question):
        name = match.group(0)
        family = stem(match.group(1).lower())
        # "step 3", "module 7": a place in a roadmap, not a model's version
        if (
            family in vocabulary
            and family not in GENERIC_STEMS | _PLACES
            and _flat(name) not in flat
            and name not in found
        ):
            found.append(name)
    attribute = _attribute_unsaid(question, sources) or _time_unit_unsaid(question, held)
    if attribute:
        found.append(attribute)
    subject = subject_of(question)
    wanted = _joined(terms(subject))
    # The sentences that name the subject: a number elsewhere in the source answers nothing about it
    about = [u for s in sources for u in split_sentences(s.text) if not wanted or wanted & _joined(terms(u))]
    if wanted and not about:
        # The subject as read names nothing in the sources ("the actual title" of "... the chinchilla paper and
        # when did it come out"): the sentences that name the question's topic words speak for it, their years
        # and list numbers aside when a number is asked ("GPT-4 (OpenAI, 2023).").
        wanted = _joined(topic_terms(question)) - CHAT_STEMS
        about = [u for s in sources for u in split_sentences(s.text) if wanted & _joined(terms(u))]
        if not (asks_date(question) or asks_price(question)):
            about = [_LIST_NUMBER.sub(" ", _YEAR.sub(" ", u)) for u in about]
    if asks_price(question) and not any(states_price(t) for t in about):
        found.append("a price")
    if asks_date(question) and not any(states_date(t) for t in about):
        found.append("a date")
    if asks_quantity(question) and not any(states_quantity(t, subject) for t in about):
        found.append("a number")
    return list(dict.fromkeys(found))


# "explain X", "what is X", "how does X work": X is what the question is about.
_DEFINES = re.compile(
    r"^\W*(?:can (?:you|u) )?(?:explain|what(?:'s| is| are)|whats|how (?:does|do|is|are)|tell me about|describe)"
    r"\s+(?:an? |the )?(?P<subject>[a-z0-9][a-z0-9\- ]*)",
    re.IGNORECASE,
)


def _unknown_modifier(question: str, vocabulary: Mapping[str, int], flat: Collection[str]) -> str:
    """ "how does flash attention work?", "explain speculative decoding": the subject of a question that asks
    what something is opens on a word the corpus never uses (not a typo or a clipped form of one it does), so
    the sources speak of its head ("attention", "decoding") but not of it. Everyday words count here: "flash"
    and "speculative" are English, but the corpus has neither; a name the sources write apart ("gpt3" for
    "GPT-3", in ``flat``: the sources' names as _written_names reads them) is theirs. The subject as typed, or ""."""
    match = _DEFINES.match(question.strip())
    if not match:
        return ""
    words = [w for w in match.group("subject").lower().split() if w not in CHAT_WORDS]
    if len(words) < 2 or len(words[0]) < 4 or not terms(words[1]):
        return ""  # "the order of the months": a head noun with a phrase after it, not a modifier and its noun
    if not all(s in vocabulary for s in terms(words[1])):
        return ""  # the sources speak of the head ("attention"), not of "the actual title": no compound of theirs
    stems = terms(words[0])
    if not stems or any(s in vocabulary or _typo(s, vocabulary) or _clipped(s, vocabulary) for s in stems):
        return ""
    if _written_apart(words[0], flat):
        return ""
    return f"{words[0]} {words[1]}"


def note(missing: Sequence[str]) -> str:
    """The sentence an answer opens with when the sources lack part of what was asked."""
    asked = [m for m in missing if m in ("a price", "a date", "a number")]
    of = [m for m in missing if m.startswith("the ")]  # "the context length of Llama 2"
    named = [m for m in missing if m not in asked and m not in of]
    parts = []
    if named:
        parts.append(f"do not mention {_join(named)}")
    if of:
        parts.append(f"do not state {_join(of)}")
    if asked:
        parts.append(f"do not state {_join(asked)} for this")
    return f"The sources {' and '.join(parts)}; the closest they have is below, and it does not answer that part."


def _attribute_unsaid(question: str, sources: Sequence[Source]) -> str:
    """ "the context length of Llama 2" where the sentences that name Llama 2 never speak of a context length:
    the attribute and its subject as asked, or ""."""
    match = _ATTRIBUTE.search(question)
    if not match:
        return ""
    subject: list[str] = []
    for word in match.group("subject").split():
        if not terms(word) or word.lower() in CHAT_WORDS:
            break  # "cs224n in weeks": the name ends at its first small word
        subject.append(word)
    wanted = {t for t in terms(" ".join(subject)) if t not in GENERIC_STEMS}
    attribute = set(terms(match.group("attr")))
    if not wanted or not attribute:
        return ""
    name = _flat(" ".join(subject))
    lines = (line for s in sources for line in f"{s.section}\n{s.text}".splitlines())
    naming = [set(terms(u)) for line in lines for u in split_sentences(line) if name in _flat(u)]
    if any(attribute <= u for u in naming):
        return ""
    return f"the {' '.join(match.group('attr').lower().split())} of {' '.join(subject)}"


# "how many hours per week", "how many weeks is it": the unit of time a duration is asked in.
_COUNTED_TIME = re.compile(
    r"\bhow\s+many\s+(?:more\s+)?(?P<unit>(?:second|minute|hour|day|week|month|year)s?)\b", re.IGNORECASE
)


def _time_unit_unsaid(question: str, held: set[str]) -> str:
    """ "how many hours per week is that", asked of a timeline in months: the sources state a duration, not in
    the unit asked, and no source speaks of that unit at all ("the number of hours"), or "". Any other thing
    counted may be stated without its word ("Llama 2 70B": parameters): a missing number is "a number"."""
    match = _COUNTED_TIME.search(question)
    if not match or set(terms(match.group("unit"))) <= held:
        return ""
    return f"the number of {match.group('unit').lower()}"


def _absent(
    word: str,
    held: set[str],
    vocabulary: Mapping[str, int],
    words: set[str],
    everyday: bool = False,
    spellings: Collection[str] = (),
) -> bool:
    """``words``: the sources' own words, whole: a stem cut short looks like another ("deepse" of "deepseek" like
    "deeper"), so a long word is a typo only of a whole word the sources write ("embedings": "embeddings"), or
    one of the corpus's words with a letter doubled or not ("begginer": "beginner")."""
    lower = word.lower()
    stems = terms(lower)
    if not stems or lower in CHAT_WORDS or (len(lower) < 3 and not any(c.isdigit() for c in lower)):
        return False
    if any(s in GENERIC_STEMS or s in PATH_STEMS or s in CORPUS_WORDS for s in stems):
        return False
    if all(s in held for s in stems) or all(s in vocabulary for s in stems):
        return False
    if lower.isdigit():
        return False  # a bare number is asked about ("in 2 weeks"), not named
    if single_letters(lower) in spellings:
        return False
    # An everyday word the corpus happens not to use ("jobs", "giant", "half") is no subject of its own; a
    # name or a term of art is rare in English at large ("QLoRA", "DSPy", "H100", "AWS").
    if not everyday and (is_everyday(lower) or bool(everyday_spelling(lower))):
        return False
    # A typo of a word the corpus uses ("transfomers", "embedings") is that word; a short name is never a typo
    # ("QLoRA" is not "LoRA"), and a typo keeps its first letter. A clipped word ("eval" for "evaluation") is too.
    plural = lower.endswith("s") and not lower.endswith("ss") and len(lower) > 4  # "faiss" is no plural of "fais"
    if _clipped(lower[:-1] if plural else lower, words):
        return False  # "infra" for "infrastructure", "params" for "parameters", as the sources write them
    cut = any(len(lower) > len(s) + 1 for s in stems)
    if cut and not get_close_matches(lower, [w for w in words if w[:1] == lower[:1]], n=1, cutoff=0.8):
        return not any(_clipped(s, vocabulary) for s in stems if s not in vocabulary)
    return not any(_typo(s, vocabulary) or _clipped(s, vocabulary) for s in stems if s not in vocabulary)


def _clipped(stem: str, vocabulary: Collection[str]) -> bool:
    """ "eval" for "evaluation", "libs" for "libraries" (among stems, or among whole words)."""
    return len(stem) >= 3 and any(v.startswith(stem) and len(v) > len(stem) + 1 for v in vocabulary)


def _typo(stem: str, vocabulary: Mapping[str, int]) -> bool:
    if len(stem) < 6:
        return False
    close = get_close_matches(stem, [v for v in vocabulary if v[:1] == stem[:1]], n=1, cutoff=0.8)
    return bool(close)


def _written_apart(word: str, flat: Collection[str]) -> bool:
    """A name with its number typed as one word that the sources write apart: "gpt3" for "GPT-3", "llama2" for
    "Llama 2" (only names with a digit: a short word could be read across two words of the flattened text)."""
    return any(c.isdigit() for c in word) and any(c.isalpha() for c in word) and _flat(word) in flat


# The longest name, in words, that the sources may write apart ("Claude 3 Opus Vision").
_NAME_WORDS = 4


def _written_names(text: str) -> set[str]:
    """Every run of up to _NAME_WORDS words of ``text``, flattened ("GPT-3" and "Llama 2" as "gpt3", "llama2"):
    a name must be a run of the sources' words, not a stretch across them ("GPT-4 or" is no "GPT-4o")."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {"".join(words[i : i + n]) for n in range(1, _NAME_WORDS + 1) for i in range(len(words) - n + 1)}


def _joined(stems: Sequence[str]) -> set[str]:
    """Stems as a name typed in one word reads them ("gpt3" is the sources' "GPT-3")."""
    return {s.replace("-", "") for s in stems}


def _flat(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
