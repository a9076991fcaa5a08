"""Payment back ends: the simulated mobile-QR provider and the simulated bank-card terminal.
Real providers implement the same ports (``PaymentProvider``, ``CardTerminal``)."""
