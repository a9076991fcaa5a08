"""What every screen shares: it renders itself from the app's current state with the current
language and window metrics, and re-renders when any of those change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.uix.screenmanager import Screen

from terminal.screens.widgets import Metrics

if TYPE_CHECKING:
    from terminal.screens.shell import PosApp


class PosScreen(Screen):
    """Subclasses implement ``render`` (build the whole tree) and may override ``refresh`` (update
    what changed) and the input hooks. Screens never call core services directly: they go through
    ``self.app.call``, which runs the call on the worker."""

    title = "screen"

    def __init__(self, app: PosApp, **kw: Any) -> None:
        super().__init__(**kw)
        self.app = app

    @property
    def m(self) -> Metrics:
        return self.app.metrics

    def _(self, message: str) -> str:
        return self.app.tr.gettext(message)

    def render(self) -> None:
        raise NotImplementedError

    def rerender(self) -> None:
        self.clear_widgets()
        self.render()

    def refresh(self) -> None:
        """The app state changed (a snapshot came back from the worker)."""
        self.rerender()

    def on_enter_screen(self, **params: Any) -> None:
        """Called each time the screen is shown, with the parameters ``app.show`` was given."""

    def on_scan(self, code: str) -> bool:
        """A scanner read while this screen is showing; False when the screen does not take
        scans."""
        return False

    def on_key(self, key: str) -> bool:
        """A named key: "enter", "backspace", "escape", or a single character."""
        return False

    def on_type(self, text: str) -> None:
        for ch in text:
            self.on_key(ch)

    def automation_state(self) -> dict[str, Any]:
        return {}
