"""The simulator-only control channel: a Unix socket speaking JSON lines, used by the end-to-end
tests and demos to drive the real app. It knows nothing of Kivy; the app hands it a handler."""
