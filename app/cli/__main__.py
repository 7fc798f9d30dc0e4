"""`python -m app.cli`: the same as the `kla` command."""

from app.cli import main

main()
