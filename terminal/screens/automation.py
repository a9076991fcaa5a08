"""The Kivy side of the control channel: each request arrives on the server's connection thread
and is carried out on the UI thread, the same way a touch or a scan would be.

Commands: scan, tap, touch, where, type, key, state, screenshot, printer, wait_idle, resize,
ids.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.input.motionevent import MotionEvent

from terminal.automation.server import CommandError

if TYPE_CHECKING:
    from terminal.screens.shell import PosApp

KEYS = {"enter", "backspace", "escape", "tab"}


class ControlTouch(MotionEvent):
    """One finger of the control channel, posted to the window as the input providers do."""

    def __init__(self, x: float, y: float) -> None:
        from kivy.core.window import Window

        self._win = Window
        super().__init__("automation", id(self), self._norm(x, y), is_touch=True,
                         type_id="touch")

    def _norm(self, x: float, y: float) -> dict[str, float]:
        return {"x": x / max(1.0, self._win.width - 1.0), "y": y / max(1.0, self._win.height - 1.0)}

    def depack(self, args: dict[str, float]) -> None:
        self.sx, self.sy = args["x"], args["y"]
        self.profile = ["pos"]
        super().depack(args)

    def press(self) -> None:
        EventLoop.post_dispatch_input("begin", self)

    def lift(self, x: float, y: float) -> None:
        self.move(self._norm(x, y))
        EventLoop.post_dispatch_input("end", self)


class AutomationBridge:
    def __init__(self, app: PosApp, scan: Callable[[str], None]) -> None:
        self.app = app
        self._finger: ControlTouch | None = None
        self._scan = scan
        self._commands: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "scan": self._cmd_scan,
            "tap": self._cmd_tap,
            "touch": self._cmd_touch,
            "where": self._cmd_where,
            "type": self._cmd_type,
            "key": self._cmd_key,
            "state": lambda _r: {"state": self.on_main(self.app.state)},
            "ids": lambda _r: {"ids": self.on_main(self.app.automation_ids)},
            "screenshot": self._cmd_screenshot,
            "printer": self._cmd_printer,
            "scanner": self._cmd_scanner,
            "wait_idle": self._cmd_wait_idle,
            "resize": self._cmd_resize,
            "language": self._cmd_language,
        }

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        cmd = request["cmd"]
        fn = self._commands.get(cmd)
        if fn is None:
            raise CommandError(f"unknown command {cmd!r}; one of {', '.join(self._commands)}")
        return fn(request)

    def on_main(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``fn`` on the UI thread and return its result (or raise its error) here."""
        done = threading.Event()
        box: dict[str, Any] = {}

        def call(_dt: float) -> None:
            try:
                box["result"] = fn()
            except Exception as e:  # handed back to the caller's thread, where it is reported
                box["error"] = e
            finally:
                done.set()

        Clock.schedule_once(call, 0)
        if not done.wait(timeout):
            raise CommandError("the UI did not answer in time")
        if "error" in box:
            raise box["error"]
        return box.get("result")

    # --- commands -------------------------------------------------------------------------

    def _cmd_scan(self, r: dict[str, Any]) -> dict[str, Any]:
        code = r.get("code")
        if not isinstance(code, str) or not code:
            raise CommandError('scan needs a non-empty "code"')
        self._scan(code)
        return {}

    def _cmd_tap(self, r: dict[str, Any]) -> dict[str, Any]:
        aid = r.get("id")
        if not isinstance(aid, str):
            raise CommandError('tap needs an "id"')

        def tap() -> dict[str, Any]:
            w = self.app.find(aid)
            if w is None:
                raise CommandError(f"no widget {aid!r} on screen {self.app.sm.current!r}")
            if w.disabled:
                raise CommandError(f"widget {aid!r} is disabled")
            if w.width <= 0 or w.height <= 0:
                raise CommandError(f"widget {aid!r} is not visible")
            w.dispatch("on_press")
            w.dispatch("on_release")
            return {"screen": self.app.sm.current}

        return self.on_main(tap)

    def _cmd_where(self, r: dict[str, Any]) -> dict[str, Any]:
        aid = r.get("id")
        if not isinstance(aid, str):
            raise CommandError('where needs an "id"')

        def where() -> dict[str, Any]:
            w = self.app.find(aid)
            if w is None:
                raise CommandError(f"no widget {aid!r} on screen {self.app.sm.current!r}")
            x, y = w.to_window(w.x, w.y)
            return {"x": x, "y": y, "width": w.width, "height": w.height}

        self._settle()
        return self.on_main(where)

    def _cmd_touch(self, r: dict[str, Any]) -> dict[str, Any]:
        """A finger at a window position, delivered through the window like a real touch, so
        whatever lies there takes it."""
        action = r.get("action", "tap")
        try:
            x, y = float(r["x"]), float(r["y"])
        except (KeyError, TypeError, ValueError):
            raise CommandError('touch needs numeric "x" and "y" (window pixels)') from None
        if action not in ("down", "up", "tap"):
            raise CommandError('touch action is "down", "up" or "tap"')

        def touch() -> dict[str, Any]:
            from kivy.core.window import Window

            if not (0 <= x < Window.width and 0 <= y < Window.height):
                raise CommandError(f"({x}, {y}) is outside the window")
            if action in ("down", "tap"):
                if self._finger is not None:
                    raise CommandError("a finger is already down; touch up first")
                self._finger = ControlTouch(x, y)
                self._finger.press()
            if action in ("up", "tap"):
                finger, self._finger = self._finger, None
                if finger is None:
                    raise CommandError("no finger is down")
                finger.lift(x, y)
            return {"screen": self.app.sm.current}

        return self.on_main(touch)

    def _cmd_type(self, r: dict[str, Any]) -> dict[str, Any]:
        text = r.get("text")
        if not isinstance(text, str):
            raise CommandError('type needs a "text"')
        self.on_main(lambda: self.app.on_type(text))
        return {}

    def _cmd_key(self, r: dict[str, Any]) -> dict[str, Any]:
        key = r.get("key")
        if not isinstance(key, str) or not (key in KEYS or len(key) == 1):
            raise CommandError(f"key is one of {sorted(KEYS)} or a single character")
        handled = self.on_main(lambda: self.app.on_key(key))
        return {"handled": bool(handled)}

    def _cmd_screenshot(self, r: dict[str, Any]) -> dict[str, Any]:
        path = r.get("path")
        if not isinstance(path, str) or not path.endswith(".png"):
            raise CommandError('screenshot needs a "path" ending in .png')
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._settle()
        self.on_main(lambda: self.app.root_widget.export_to_png(str(target)))
        return {"path": str(target)}

    def _cmd_printer(self, r: dict[str, Any]) -> dict[str, Any]:
        action = r.get("action")
        if action not in ("paper_out", "offline", "cover_open", "clear", "status"):
            raise CommandError(
                'printer action is "paper_out", "offline", "cover_open", "clear" or "status"')
        if action != "status":
            self.app.terminal.printer_fault(action)
            # The driver notices a fault on its next status poll; wait for it so the banner
            # and the state answer show what was injected.
            want = "" if action == "clear" else action
            deadline = time.monotonic() + 10
            while self.app.terminal.printer_status().problem != want:
                if time.monotonic() > deadline:
                    raise CommandError(f"printer status did not become {want or 'ok'!r}")
                time.sleep(0.05)
        self.on_main(self.app.poll_devices)
        return {"printer": self.app.terminal.printer_status().to_dict()}

    def _cmd_scanner(self, r: dict[str, Any]) -> dict[str, Any]:
        action = r.get("action")
        if action not in ("unplug", "replug", "garbage"):
            raise CommandError('scanner action is "unplug", "replug" or "garbage"')
        self.app.terminal.scanner_fault(action)
        self.on_main(self.app.poll_devices)
        return {"scanner": self.app.terminal.scanner_state().to_dict()}

    def _cmd_wait_idle(self, r: dict[str, Any]) -> dict[str, Any]:
        timeout = float(r.get("timeout", 20.0))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.app.worker.wait_idle(left):
                raise CommandError("still busy after the timeout")
            # Results come back through the Clock; one frame later they have been applied, and
            # they may have queued more work, so check again until nothing is left.
            self._settle()
            if not self.app.worker.busy and not self.on_main(lambda: self.app.busy):
                self.app.terminal.wait_printed(max(0.0, deadline - time.monotonic()))
                return {}

    def _cmd_resize(self, r: dict[str, Any]) -> dict[str, Any]:
        from kivy.core.window import Window

        try:
            size = (int(r["width"]), int(r["height"]))
        except (KeyError, TypeError, ValueError):
            raise CommandError('resize needs integer "width" and "height"') from None

        def resize() -> None:
            Window.size = size

        self.on_main(resize)
        deadline = time.monotonic() + 5
        while tuple(self.on_main(lambda: tuple(Window.size))) != size:
            if time.monotonic() > deadline:
                raise CommandError(f"window did not reach {size}")
            time.sleep(0.05)
        self._settle()
        return {"size": list(size)}

    def _cmd_language(self, r: dict[str, Any]) -> dict[str, Any]:
        lang = str(r.get("language") or "")
        try:
            self.on_main(lambda: self.app.tr.set_language(lang))
        except ValueError as e:
            raise CommandError(str(e)) from None
        return {}

    def _settle(self, frames: int = 3) -> None:
        """Let layout and pending Clock callbacks run for a few frames."""
        for _ in range(frames):
            self.on_main(lambda: None)
            time.sleep(1 / 60)
