"""Stage 4, answer: sources to a cited answer, by the grounded composer or a generation backend, with every claim
checked against the source it cites.
Takes a question and Sources; gives an Answer's blocks and its citations. May import: retrieve and below."""
