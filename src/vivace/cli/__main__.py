"""``python -m vivace.cli``: the ``vivace`` command without the script."""

from . import main

main()
