"""Text as every stage reads it: words and stop words, text units (sentences, list items, rows, headings), what a
sentence of prose does, and which sentences are instructions rather than facts.
Takes strings; gives words and units. May import: errors (nothing else of the package)."""
