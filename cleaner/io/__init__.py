"""Input and output: discovering and reading inputs (text, JSONL, HTML, WARC), decoding bytes,
and writing files atomically. Imports nothing of cleaner but the document and error types."""
