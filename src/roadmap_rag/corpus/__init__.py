"""Stage 1, documents: files (.md .txt .html .pdf) to normalised documents and structure-following chunks; the
paper catalog and the papers a roadmap links.
Takes files and settings; gives Documents and Chunks. May import: text, settings, types, errors, files."""
