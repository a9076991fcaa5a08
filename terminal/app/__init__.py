"""The composition root and the terminal the screens talk to: the worker thread, the facade,
the staff desk, wiring, store settings, and starting the app."""
