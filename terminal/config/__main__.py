"""``python -m terminal.config``: print docs/configuration.md."""

from terminal.config.docs import main

main()
