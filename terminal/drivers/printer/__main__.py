"""``python -m terminal.drivers.printer [--port N]``: the loopback ESC/POS printer emulator,
showing each job it receives as text (demos, checking a terminal's printer settings)."""

from terminal.drivers.printer.emulator import main

raise SystemExit(main())
