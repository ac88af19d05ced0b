"""Observation, beside every stage: what a question cost stage by stage (tracing), the local query log and learners'
feedback, as capped JSONL.
Takes traces and answers; gives JSONL records and spans. May import: settings, types, text, files, redact, errors."""
