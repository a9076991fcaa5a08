"""``python -m terminal.drivers.doctor``: the doctor without the ``pos-terminal`` entry point."""

import sys

from terminal.drivers.doctor import main

sys.exit(main())
