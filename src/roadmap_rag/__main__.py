from roadmap_rag.cli import app

app(prog_name="roadmap-rag")
