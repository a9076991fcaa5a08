"""What doctor found: the sections listing the devices it saw and the findings, each with its
fix, rendered as the text the technician reads."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Finding:
    level: str
    """"ok", "warn" or "fail"."""
    text: str
    fix: str = ""


@dataclass
class Report:
    user: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def ok(self, text: str) -> None:
        self.findings.append(Finding("ok", text))

    def warn(self, text: str, fix: str = "") -> None:
        self.findings.append(Finding("warn", text, fix))

    def fail(self, text: str, fix: str = "") -> None:
        self.findings.append(Finding("fail", text, fix))

    @property
    def failed(self) -> bool:
        return any(f.level == "fail" for f in self.findings)

    def render(self) -> str:
        lines = [f"pos-terminal doctor (service user: {self.user})", ""]
        for title, body in self.sections:
            lines.append(title)
            lines += [f"  {b}" for b in body] or ["  (none found)"]
            lines.append("")
        lines.append("Checks")
        for f in self.findings:
            lines.append(f"  {f.level.upper():4}  {f.text}")
            for fix_line in f.fix.splitlines():
                lines.append(f"        fix: {fix_line}" if fix_line else "")
        lines.append("")
        fails = sum(f.level == "fail" for f in self.findings)
        warns = sum(f.level == "warn" for f in self.findings)
        lines.append(
            "All checks passed."
            if not fails and not warns
            else f"{fails} problem(s), {warns} warning(s): run the fix commands above, then "
            f"'pos-terminal doctor' again."
        )
        return "\n".join(lines) + "\n"
