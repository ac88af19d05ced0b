"""Stage 4, answer: sources to a cited answer (or a refusal, when the grounding check finds them off-topic), by the
composer or a generation backend, with every claim checked against the source it cites.
Takes a question and Sources; gives an Answer's blocks and its citations. May import: retrieve and below."""
