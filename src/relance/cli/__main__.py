"""``python -m relance.cli``."""

from relance.cli import main

main()
