"""``python -m provisioning.posctl``: the same as the ``posctl`` command."""

import sys

from provisioning.posctl import main

sys.exit(main())
