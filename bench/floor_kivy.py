"""The floor for start-up time and memory: a bare Kivy window with one button, started the same
way as the terminal. Prints "ready <monotonic>" once the first frame is drawn, then idles until
killed so its resident memory can be read."""

from __future__ import annotations

import os
import sys
import time


def main() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.uix.button import Button

    class Bare(App):
        def build(self) -> Button:
            Clock.schedule_once(self._ready, 0)
            return Button(text="OK")

        def _ready(self, _dt: float) -> None:
            print(f"ready {time.monotonic():.6f}", flush=True)

    Bare().run()


if __name__ == "__main__":
    sys.exit(main())
