"""`python -m hoctap_learn …` is the `hoctap` command (used by `hoctap serve` for its children)."""

from .cli import main

main()
