"""The sections of a derivation document, one builder per part of the notes."""
