"""Hardware drivers: scanners, printers, cash drawers and payment back ends, each real device
with a simulated twin, all implementing the Protocols in ``terminal.core.ports``. The
composition root builds them with ``terminal.drivers.factory.build_devices``."""
