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

import re
from collections.abc import Iterable, Mapping, Sequence

from roadmap_rag.answer.claim_parts import (
    _BINDS,
    _CAVEAT,
    _SUBCLAUSES,
    _bound,
    _clauses,
    _digits,
    _proper,
    _quoted,
    negated,
    qualifiers,
    specifics,
    words,
)
from roadmap_rag.answer.evidence import Evidence, Passage, Verdict, _anchor, _swapped
from roadmap_rag.text.sentences import URL, split_sentences
from roadmap_rag.text.words import fold
from roadmap_rag.types import Kind, Source

_CONTRAST = re.compile(r"\b(?:rather than|instead of|as opposed to|not)\b", re.IGNORECASE)
_STATED = frozenset(["time", "need", "cost"])  # groups whose member a passage must state, not only not contradict
# Words that make a claim absolute: the passage must say them too.
_ABSOLUTE = re.compile(r"\b(?:always|never|exclusively|solely)\b", re.IGNORECASE)
_ENUMERATION = re.compile(r",\s+|\s(?:and|or|plus|alongside)\s")
_BRACKETED = re.compile(r"([^()]*?)\(([^()]*)\)")
# A markdown table's header line, over the line that rules it off: "| S.No | Best Book | Level |" / "|---|---|".
_TABLE_HEADER = re.compile(r"(?m)^(\|.+\|)[ \t]*\n\|[ \t:|-]+\|[ \t]*$")
_PIECES = re.compile(r";\s*|(?<=\)),\s*")
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
_KIND_OF = re.compile(r"\b(?:roadmap|curriculum|guide)\b")
_GENERIC_NAME = re.compile(
    r"\b(?:the|this|that|each|both|all|every|other|another|either)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:roadmaps?|curricul(?:um|a)|guides?|plans?|sources?)(?:'s|’s)?",
    re.IGNORECASE,
)
_OK = Verdict(True)
_COMMON = 3  # a specific in this many passages is the sources' everyday word, not one fact's


def _labels(cited: Sequence[Evidence]) -> set[str]:
    """The words of the table headers in ``cited``: the labels a table's record is quoted with."""
    return {w for e in cited for header in _TABLE_HEADER.findall(e.source.text) for w in words(header)}


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
        labels = "\n".join(e.where for e in cited)
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
        # A table's record reads its labels from the table's header, which the record cites ("Best Book: ...")
        if colon and head_words and len(body_words) >= 2 and len(head) <= 60 and not head_words <= _labels(cited):
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
        held_in = [self.evidence[n - 1] for n in {p.number for p in passages}]
        labels = {n for e in held_in for n in re.findall(r"\d+", e.where)}
        # A section's own name ("module 10 (Model Compression & Optimization) covers ...") says where, not what.
        where_words = frozenset().union(*(e.where_words for e in held_in))
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
            said = ((words(piece) & rest) | bound) - where_words
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
