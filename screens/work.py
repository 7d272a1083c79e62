"""What the screens' workers say when they are done: typed, past-tense messages.

A worker posts its result as a message of its own (``ProposalReady``, ``ChecksFinished``,
``FilesWritten``, ``ServerVerified``) to the screen that started it; a worker that
raised is told once, by ``ReportsFailedWork``, as ``WorkFailed``. Screens never read
``worker.result`` or tell workers apart by a group name, and tests wait for these
messages (``run_test(message_hook=...)``) instead of for time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, WorkerState, get_current_worker

if TYPE_CHECKING:
    from wizard.checks import Finding
    from wizard.deployment.plan import Change
    from wizard.deployment.proposal import Proposal


@dataclass
class ProposalReady(Message):
    """The review's proposal: what writing would change, file by file; ``upgrade_from``: the
    release the deployment is written for, when the answers move it to another."""

    proposal: Proposal
    upgrade_from: str | None = None


@dataclass
class ChecksFinished(Message):
    """The checks of this machine for one step; ``findings`` is None when the step has none.
    ``revision``: the draft's (``Draft.revision``) that the findings describe."""

    step: str
    findings: list[Finding] | None
    revision: tuple[int, int] = (0, 0)  # of the draft the checks were computed from


@dataclass
class FilesWritten(Message):
    """The deployment directory was written: the changes that were made."""

    changes: list[Change]


@dataclass
class ServerVerified(Message):
    """The live server was tested: the report, as ``ejabberd-wizard verify`` prints it."""

    report: str


@dataclass
class WorkFailed(Message):
    """A worker raised instead of posting its result: which work, and the error."""

    work: str
    error: BaseException


def post_unless_cancelled(node: MessagePump, message: Message) -> None:
    """Post a worker's result, unless a newer worker of its kind replaced it meanwhile.

    Called from the worker. A thread cannot be stopped: an exclusive worker that was
    cancelled runs to its end, and its result, computed from older answers, must not
    overwrite the newer one's.
    """
    if not get_current_worker().is_cancelled:
        node.post_message(message)


class ReportsFailedWork(MessagePump):
    """The one handler of worker errors: each becomes a ``WorkFailed`` for its screen."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            self.post_message(WorkFailed(worker.name, worker.error))
