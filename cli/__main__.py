"""``python -m cadence.cli``: the same as the ``cadence`` command."""

from cadence.cli.main import main

main()
