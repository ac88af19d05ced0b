"""The root `roadmap-rag` app: each group's commands registered in the order --help shows them, with examples."""

from __future__ import annotations

import typer

from roadmap_rag.cli.answering import ask_cmd, chat_cmd, retrieve_cmd
from roadmap_rag.cli.bench import bench_cmd
from roadmap_rag.cli.evaluate import eval_app
from roadmap_rag.cli.indexing import ingest_cmd, status_cmd
from roadmap_rag.cli.learning import glossary_cmd, path_cmd, progress_cmd, quiz_cmd
from roadmap_rag.cli.papers import papers_app
from roadmap_rag.cli.serving import app_cmd, mcp_cmd, serve_cmd
from roadmap_rag.cli.studying import cards_app, placement_cmd, plan_cmd, review_cmd
from roadmap_rag.cli.system import config_cmd, doctor_cmd

app = typer.Typer(
    help="Cited answers from LLM learning roadmaps, local-first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("ingest")(ingest_cmd)
app.command("status")(status_cmd)
app.command("ask")(ask_cmd)
app.command("chat")(chat_cmd)
app.command("path")(path_cmd)
app.command("quiz")(quiz_cmd)
app.command("progress")(progress_cmd)
app.command("glossary")(glossary_cmd)
app.command("review")(review_cmd)
app.command("placement")(placement_cmd)
app.command("plan")(plan_cmd)
app.command("retrieve")(retrieve_cmd)
app.command("config")(config_cmd)
app.command("doctor")(doctor_cmd)
app.command("bench", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(bench_cmd)
app.command("app")(app_cmd)
app.command("mcp")(mcp_cmd)
app.command("serve")(serve_cmd)
app.add_typer(cards_app, name="cards")
app.add_typer(papers_app, name="papers")
app.add_typer(eval_app, name="eval")


# -- an example for every command's --help -------------------------------------------------------------
EXAMPLES = {
    "ingest": "roadmap-rag ingest   (again after editing the corpus: only what changed is embedded)",
    "status": "roadmap-rag status --json",
    "ask": 'roadmap-rag ask "What should I learn before transformers?"',
    "chat": "roadmap-rag chat --llm extractive",
    "path": "roadmap-rag path LoRA",
    "quiz": "roadmap-rag quiz RLHF --n 3   (multiple choice: --level easy, medium or hard)",
    "progress": 'roadmap-rag progress --done "comprehensive-llm-curriculum:Getting Started"',
    "glossary": "roadmap-rag glossary RLHF   (no term: every term the roadmaps define)",
    "review": "roadmap-rag review --profile default   (1 again, 2 hard, 3 good, 4 easy)",
    "plan": "roadmap-rag plan --goal LoRA --hours 6 --know Python",
    "placement": 'roadmap-rag placement "the curriculum" --sections 4',
    "cards": "roadmap-rag cards export --anki deck.apkg",
    "cards list": "roadmap-rag cards list RLHF",
    "cards export": "roadmap-rag cards export --anki deck.apkg --topic LoRA",
    "retrieve": 'roadmap-rag retrieve "What is LoRA?" --k 3',
    "config": "roadmap-rag config --json",
    "doctor": "roadmap-rag doctor --repair",
    "bench": "roadmap-rag bench --help   (the benchmark's own options)",
    "app": "roadmap-rag app --port 8501",
    "mcp": "roadmap-rag mcp --http --port 8765",
    "serve": "roadmap-rag serve --port 8000",
    "papers": "roadmap-rag papers fetch --only transformer",
    "papers scan": "roadmap-rag papers scan --write",
    "papers fetch": "roadmap-rag papers fetch --only transformer",
    "eval": "roadmap-rag eval --limit 10 --llm extractive",
    "eval train-ranker": "roadmap-rag eval train-ranker --report eval/ranker.md",
    "eval study": "roadmap-rag eval study --out eval/study.md",
    "eval import-feedback": "roadmap-rag eval import-feedback --out eval/datasets/drafts.jsonl",
}


def _add_examples() -> None:
    """Each command's --help ends with an example (typer's epilog)."""
    for typer_app, prefix in ((app, ""), (cards_app, "cards "), (papers_app, "papers "), (eval_app, "eval ")):
        for command in typer_app.registered_commands:
            name = prefix + (command.name or "")
            if name in EXAMPLES and not command.epilog:
                command.epilog = f"Example: {EXAMPLES[name]}"
    for group in app.registered_groups:
        if group.name in EXAMPLES and not group.epilog:
            group.epilog = f"Example: {EXAMPLES[group.name]}"


_add_examples()
