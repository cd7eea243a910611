"""`python -m leadpolicy` runs the command line."""

from leadpolicy.cli import main

main()
