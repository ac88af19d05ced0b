"""Which unit of the retrieved roadmap text to quote: a small learned model, not a rule per phrasing.

Every candidate unit (a sentence, a list item with its details, a list's introducing line, a table record)
gets the features below; a logistic model, fitted by ``roadmap-rag eval train-ranker`` on the golden sets'
key facts (a unit is a positive when it states one) and checked with folds grouped by question, weighs them.
The weights ship as ``unit_ranker.json`` beside this module: deterministic, a few hundred bytes, no
scikit-learn at run time. The composer still decides the answer's shape (a whole list with its lead, the
path in order, per-roadmap sections); the model decides what is worth quoting.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from roadmap_rag.retrieve.library import DocumentView
from roadmap_rag.retrieve.questions import Query, question_shape
from roadmap_rag.text.prose import (
    asks_date,
    asks_duration,
    asks_quantity,
    asks_verdict,
    is_advice,
    is_chatter,
    states_date,
    states_duration,
    states_quantity,
)
from roadmap_rag.text.units import Unit, topic_text
from roadmap_rag.types import Kind, section_leaf

MODEL_PATH = Path(__file__).with_name("unit_ranker.json")
_log = logging.getLogger(__name__)

FEATURES = (
    "lexical",  # the share of the question's weighted words in the unit (its context counting half)
    "lexical_own",  # the same in the unit's own words alone
    "topic_cover",  # the share of the question's topic words in the unit
    "context_cover",  # ... in the unit with its intro, topic item and section title
    "section_cover",  # ... in its section's title
    "dense",  # the retriever's similarity of the unit's line passage to the question (0 when not retrieved)
    "dense_seen",  # whether the retriever scored the unit's line at all
    "source_rank",  # 1 / the rank of the source the unit sits in
    "is_sentence",
    "is_item",
    "is_intro",
    "is_row",
    "is_card",  # a unit of a paper's catalog card
    "nested",  # a sub-item (indented)
    "has_details",  # a topic item with its resources
    "list_size",  # log(1 + items in the unit's list)
    "words",  # log(1 + words)
    "chatter",  # narrative, meta or a comment (prose.is_chatter)
    "advice",  # the unit recommends, warns or says what is needed
    "duration",  # the unit states a duration
    "duration_asked",  # the question asks how long, and the unit states a duration
    "verdict_asked",  # the question asks "should I ..."/"do I need ...", and the unit advises
    "question_mark",  # the unit is itself a question
    "defines",  # the unit opens on a topic word and defines it ("RAG is ...", "KV Cache to speed up ...")
    "first_in_section",  # the first unit under its heading (a section's opening line describes it)
    "first_person",  # the author speaks ("I", "my"): a blog's advice or its story
    "list_asked",  # the question asks for a list ("which ...", "what are the ...")
    "list_size_asked",  # list_size where a list is asked for: a long list answers a list question, not others
    "date_asked",  # the question asks when (a year, a date), and the unit states one
    "number_asked",  # the question asks how many or how much, and the unit states a number
    "topic_head",  # the share of the question's topic words among the unit's first four words
)


@dataclass(frozen=True)
class Candidate:
    """One unit the composer may quote, where it sits, and its features."""

    n: int  # 1-based rank of the source it sits in
    view: DocumentView
    unit: Unit
    features: tuple[float, ...]


def features(query: Query, view: DocumentView, unit: Unit, n: int, dense: Mapping[str, float]) -> tuple[float, ...]:
    """The unit's features, in ``FEATURES`` order."""
    own = topic_text(unit) if unit.kind == "item" else unit.text
    near = f"{unit.intro} {unit.parent} {section_leaf(unit.section)}"
    key = view.line_key(unit)
    group = [u for u in view.group(unit.group) if u.kind in ("item", "row")] if unit.group >= 0 else []
    asks_list, asks_time, asks_whether, asks_when, asks_number = _asks(query.text)
    values = {
        "lexical": query.score(own, near),
        "lexical_own": query.score(own),
        "topic_cover": query.covers_topic(own),
        "context_cover": query.covers_topic(f"{own} {near}"),
        "section_cover": query.covers_topic(section_leaf(unit.section)),
        "dense": dense.get(key, 0.0),
        "dense_seen": float(key in dense),
        "source_rank": 1.0 / n,
        "is_sentence": float(unit.kind == "sentence"),
        "is_item": float(unit.kind == "item"),
        "is_intro": float(unit.kind == "intro"),
        "is_row": float(unit.kind == "row"),
        "is_card": float(view.kind == Kind.PAPER_CARD),
        "nested": float(unit.level > 0),
        "has_details": float(bool(unit.details)),
        "list_size": math.log1p(len(group)),
        "words": math.log1p(len(own.split())),
        "chatter": float(is_chatter(unit.text)),
        "advice": float(is_advice(unit.text)),
        "duration": float(states_duration(own)),
        "duration_asked": float(asks_time and states_duration(own)),
        "verdict_asked": float(asks_whether and is_advice(own)),
        "question_mark": float(unit.text.rstrip().endswith("?")),
        "defines": float(_defines(query, own)),
        "first_in_section": float(_first_in_section(view, unit)),
        "first_person": float(bool(_FIRST_PERSON.search(unit.text))),
        "list_asked": float(asks_list),
        "list_size_asked": math.log1p(len(group)) * asks_list,
        "date_asked": float(asks_when and states_date(own)),
        "number_asked": float(asks_number and states_quantity(own)),
        "topic_head": query.covers_topic(" ".join(own.split()[:4])),
    }
    return tuple(values[name] for name in FEATURES)


_DEFINING = re.compile(r"^[^.:;]{0,80}?(?:\bis\b|\bare\b|\brefers? to\b|\bmeans\b|:|\s[-–—]\s|\bto\b)", re.I)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|me|my)\b", re.IGNORECASE)


@lru_cache(maxsize=256)
def _asks(question: str) -> tuple[bool, bool, bool, bool, bool]:
    """Read once per question, not per candidate: a list, a duration, a verdict, a date, a number."""
    return (
        question_shape(question) in ("list", "paper"),
        asks_duration(question),
        asks_verdict(question),
        asks_date(question),
        asks_quantity(question),
    )


def _defines(query: Query, text: str) -> bool:
    """The unit names a topic word among its first six words, then says what it is or does."""
    head = " ".join(text.split()[:6])
    return query.covers_topic(head) > 0 and bool(_DEFINING.search(text))


def _first_in_section(view: DocumentView, unit: Unit) -> bool:
    i = view.index_of(unit)
    before = view.units[i - 1] if i > 0 else None
    return before is None or before.kind == "heading" or before.section != unit.section


@dataclass(frozen=True)
class Ranker:
    """A logistic model over standardised features: ``score`` is the log-odds that a unit states a key fact."""

    weights: tuple[float, ...]
    bias: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    names: tuple[str, ...] = FEATURES

    def score(self, values: Sequence[float]) -> float:
        z = self.bias
        for w, x, m, s in zip(self.weights, values, self.means, self.scales, strict=True):
            z += w * (x - m) / s
        return z

    def probability(self, values: Sequence[float]) -> float:
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.score(values)))))

    def to_json(self) -> str:
        return json.dumps(
            {
                "features": list(self.names),
                "weights": [round(w, 6) for w in self.weights],
                "bias": round(self.bias, 6),
                "means": [round(m, 6) for m in self.means],
                "scales": [round(s, 6) for s in self.scales],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Ranker:
        data = json.loads(text)
        names = tuple(data["features"])
        if names != FEATURES:
            raise ValueError(
                f"{MODEL_PATH.name} was trained on other features ({', '.join(names)}); "
                "retrain it with `roadmap-rag eval train-ranker`"
            )
        return cls(tuple(data["weights"]), float(data["bias"]), tuple(data["means"]), tuple(data["scales"]), names)


@cache
def shipped() -> Ranker | None:
    """The model that ships with the package; None before the first training, or when the features changed
    since (the composer then scores as before the model; a test fails until it is retrained)."""
    if not MODEL_PATH.is_file():
        return None
    try:
        return Ranker.from_json(MODEL_PATH.read_text(encoding="utf-8"))
    except (ValueError, KeyError) as exc:
        _log.warning("the unit ranker is not used: %s", exc)
        return None


def fit(rows: Sequence[Sequence[float]], labels: Sequence[int], l2: float = 1.0, steps: int = 50) -> Ranker:
    """A logistic regression with an L2 penalty, fitted by Newton's method on standardised features:
    deterministic, and with numpy only."""
    import numpy as np

    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=float)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - means) / scales])
    w = np.zeros(z.shape[1])
    penalty = l2 * np.eye(z.shape[1])
    penalty[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -30, 30)))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return Ranker(
        tuple(float(v) for v in w[1:]),
        float(w[0]),
        tuple(float(v) for v in means),
        tuple(float(v) for v in scales),
    )
