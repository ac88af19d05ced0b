"""The evaluation suite: a golden dataset, deterministic retrieval/answer metrics, Ragas metrics, a report."""

from roadmap_rag.evaluation.dataset import EvalItem, load_dataset
from roadmap_rag.evaluation.runner import EvalRun, run_eval

__all__ = ["EvalItem", "EvalRun", "load_dataset", "run_eval"]
