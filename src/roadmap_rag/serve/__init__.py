"""Stage 6, serving: the Assistant over HTTP (FastAPI) and MCP, their JSON shapes, what the app and the CLI show, and
a learner's saved conversations.
Takes an Assistant; gives HTTP/MCP responses and safe Markdown. May import: the Assistant (api) and below."""
