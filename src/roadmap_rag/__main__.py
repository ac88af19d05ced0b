from roadmap_rag.cli.commands import app

app(prog_name="roadmap-rag")
