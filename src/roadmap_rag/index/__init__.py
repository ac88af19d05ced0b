"""Stage 2, index: chunks embedded (ONNX MiniLM) into Chroma and the BM25 indexes, incrementally, with the record of
what is indexed; fetching papers into it.
Takes Chunks; gives a VectorStore, a Lexical index and the index state. May import: corpus and below."""
