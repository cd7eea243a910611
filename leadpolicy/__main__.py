"""`python -m leadpolicy` runs the command line."""

from .cli import main

main()
