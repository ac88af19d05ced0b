"""Stage 3, retrieval: a question read (shape, words, topic, follow-ups made standalone), routed to roadmaps or
papers, and answered with sources by hybrid retrieval over the index; the documents rebuilt as structure.
Takes a question and the index; gives ranked Sources and a Library. May import: index, corpus and below."""
