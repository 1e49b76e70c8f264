"""``python -m handlers``: the same as the ``webnaccs-bot`` command."""

from handlers.cli import main

main()
