"""Training mode: trainees, or any clerk a supervisor switches in, sell in a sandbox.

Everything done in training is posted with ``training=True``, so the ledger keeps it out of
totals, Z reports and the outbox, and evaluation skips it. The practice checklist is read back
from those same training entries, per trainee; finishing it is kept as a training record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from terminal.core.auth import AuthService, Session
from terminal.core.errors import PosError
from terminal.core.evaluation import StaffJournal
from terminal.core.permissions import Permissions
from terminal.core.ports import Ledger
from terminal.core.records import JournalEntry
from terminal.core.rights import Decision, PermissionDenied, Right, Verdict
from terminal.core.staff import StaffDirectory, StaffMember

TASKS: tuple[str, ...] = ("sale", "split_tender", "refund", "void", "approval", "shift_close")

TASK_LABELS: Mapping[str, str] = {
    "sale": "complete a sale",
    "split_tender": "take a split payment",
    "refund": "refund an item",
    "void": "void a line or a sale",
    "approval": "get a supervisor's approval",
    "shift_close": "close a shift with a cash count",
}

TRAINING_KINDS = (
    "sale.completed",
    "refund.completed",
    "sale.voided",
    "line.voided",
    "approval.granted",
    "approval.verified",
    "shift.closed",
)

TRAINING_BANNER = "TRAINING - NOT A RECEIPT"
"""The line receipts printed in training carry, and the banner the screens show."""


class TrainingError(PosError):
    code = "training.invalid"


@dataclass(frozen=True, slots=True)
class Checklist:
    staff_id: str
    counts: Mapping[str, int]
    """Task -> times practised."""

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(t for t in TASKS if not self.counts.get(t))

    @property
    def complete(self) -> bool:
        return not self.missing

    def summary(self) -> str:
        return ", ".join(f"{t} x{self.counts.get(t, 0)}" for t in TASKS)


def tasks_of(entry: JournalEntry, staff_id: str) -> list[str]:
    """The checklist tasks one training entry counts for, for this trainee."""
    p = entry.payload
    if entry.staff_id != staff_id:
        return []
    if entry.kind in ("approval.granted", "approval.verified"):
        return ["approval"]
    if entry.kind == "sale.completed":
        tasks = ["sale"]
        if len(p.get("tenders", ())) >= 2:
            tasks.append("split_tender")
        return tasks
    return {
        "refund.completed": ["refund"],
        "sale.voided": ["void"],
        "line.voided": ["void"],
        "shift.closed": ["shift_close"],
    }.get(entry.kind, [])


class TrainingService:
    def __init__(
        self,
        journal: StaffJournal,
        auth: AuthService,
        permissions: Permissions,
        ledger: Ledger,
        directory: StaffDirectory,
    ) -> None:
        self._journal = journal
        self._auth = auth
        self._dir = directory
        self._perm = permissions
        self._ledger = ledger

    def checklist(self, staff_id: str) -> Checklist:
        counts = dict.fromkeys(TASKS, 0)
        entries = self._journal.staff_entries(
            kinds=TRAINING_KINDS, training=True, staff_id=staff_id
        )
        for e in entries:
            for task in tasks_of(e, staff_id):
                counts[task] += 1
        return Checklist(staff_id, counts)

    def is_complete(self, staff_id: str) -> bool:
        return self.checklist(staff_id).complete

    def enter(self, session: Session, *, card: str | None, pin: str,
              staff_id: str | None = None) -> Session:
        """A supervisor (card and PIN, holding training supervision, not the clerk) switches the
        logged-in clerk into training mode."""
        if session.training:
            return session
        supervisor, _ = self._auth.verify(pin, card=card, staff_id=None if card else staff_id,
                                          purpose="training")
        if supervisor.staff_id == session.staff_id:
            raise PermissionDenied(
                Decision(
                    Verdict.DENY,
                    Right.TRAINING_SUPERVISE,
                    "another person must switch you into training",
                )
            )
        decision = self._perm.check(supervisor.staff_id, Right.TRAINING_SUPERVISE)
        if decision.verdict is not Verdict.ALLOW:
            raise PermissionDenied(
                Decision(
                    Verdict.DENY,
                    Right.TRAINING_SUPERVISE,
                    f"{supervisor.name} may not supervise training",
                )
            )
        session.training = True
        session.trained_by = supervisor.staff_id
        self._ledger.post(
            "training.started",
            {"staff_id": session.staff_id, "supervisor_id": supervisor.staff_id},
            staff_id=session.staff_id,
        )
        return session

    def leave(self, session: Session) -> Session:
        """Back to real selling. Trainees stay in training until they graduate."""
        if not session.training:
            return session
        member = self._member(session.staff_id)
        if member.trainee:
            raise TrainingError(
                "trainees sell in training mode until a supervisor signs off the checklist",
                code="training.trainee",
            )
        session.training = False
        self._ledger.post(
            "training.ended",
            {"staff_id": session.staff_id, "supervisor_id": session.trained_by},
            staff_id=session.staff_id,
        )
        session.trained_by = None
        return session

    def _member(self, staff_id: str) -> StaffMember:
        member = self._dir.member(staff_id)
        if member is None:
            raise TrainingError(f"no staff account {staff_id}")
        return member
