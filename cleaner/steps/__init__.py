"""Built-in steps: each acts on a document's lines and records what it changed on them."""
