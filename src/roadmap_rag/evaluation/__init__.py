"""The evaluation suite, beside serving: golden datasets, deterministic retrieval and answer metrics, Ragas' metrics,
the replay of an instruct model's answers through the claim check, the unit ranker's training, and the report.
Takes an Assistant and question sets; gives per-question results and summaries. May import: the Assistant and below."""

from roadmap_rag.evaluation.dataset import EvalItem, load_dataset
from roadmap_rag.evaluation.runner import EvalRun, run_eval

__all__ = ["EvalItem", "EvalRun", "load_dataset", "run_eval"]
