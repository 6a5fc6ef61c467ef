"""``python -m privaat`` runs the command line."""

from privaat.cli import main

main()
