"""LaTeX and Markdown derivation documents: the printer, the checked equations, the sections."""
