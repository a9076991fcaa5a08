"""Cash drawers: a GPIO-driven solenoid or relay, the receipt printer's kick connector, or a
simulated drawer, all implementing ``terminal.core.ports.CashDrawer``; plus ``DrawerMonitor`` for
the open sensor (opened/closed transitions and the left-open alert)."""


class DrawerError(Exception):
    """The drawer could not be fired (GPIO unavailable, printer gone, drawer jammed)."""
