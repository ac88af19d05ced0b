"""The learned unit ranker: its fit, its file, and that the shipped model still matches its features."""

from __future__ import annotations

import random

import pytest

from roadmap_rag.answer import ranking
from roadmap_rag.answer.ranking import FEATURES, Ranker, fit
from roadmap_rag.evaluation.train_ranker import Question, _auc, train

pytestmark = pytest.mark.fast


def _rows(n: int, seed: int) -> tuple[list[tuple[float, ...]], list[int]]:
    """Units whose first feature decides whether they state a fact (with noise); the rest is noise."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        signal = rng.random()
        rows.append((signal, *(rng.random() for _ in FEATURES[1:])))
        labels.append(int(signal + rng.gauss(0, 0.15) > 0.7))
    return rows, labels


def test_fit_finds_the_feature_that_decides() -> None:
    rows, labels = _rows(600, seed=1)
    model = fit(rows, labels)
    assert model.weights[0] > 1.0 and all(abs(w) < 0.5 for w in model.weights[1:])
    test_rows, test_labels = _rows(300, seed=2)
    assert _auc([(model.score(r), bool(y)) for r, y in zip(test_rows, test_labels, strict=True)]) > 0.9


def test_a_model_survives_its_file_and_refuses_other_features() -> None:
    rows, labels = _rows(200, seed=3)
    model = fit(rows, labels)
    again = Ranker.from_json(model.to_json())
    assert again.score(rows[0]) == pytest.approx(model.score(rows[0]), abs=1e-4)
    text = model.to_json().replace('"lexical"', '"renamed"')
    with pytest.raises(ValueError, match="retrain it with `roadmap-rag eval train-ranker`"):
        Ranker.from_json(text)


def test_the_shipped_model_matches_the_features_the_code_computes() -> None:
    """Changing FEATURES without retraining would silently drop the model; this says so instead."""
    assert ranking.MODEL_PATH.is_file(), "run `roadmap-rag eval train-ranker` to write the model"
    assert ranking.shipped() is not None


def test_cross_validation_keeps_each_question_in_one_fold_and_beats_a_blind_score() -> None:
    questions = []
    for q in range(40):
        rows, labels = _rows(30, seed=10 + q)
        questions.append(Question(f"q{q}", rows, [frozenset({0}) if y else frozenset() for y in labels], 1))
    training = train(questions)
    assert training.cv["auc_model"] > 0.9 and training.cv["first_model"] > 0.8
    assert "folds grouped by question" in training.report()


def test_auc_counts_ties_as_half() -> None:
    assert _auc([(1.0, True), (0.0, False)]) == 1.0
    assert _auc([(0.5, True), (0.5, False)]) == 0.5
