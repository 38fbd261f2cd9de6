"""``python -m stateline`` runs the command line."""

from stateline.cli import main

main()
