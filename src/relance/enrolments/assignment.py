"""Round-robin assignment of contacts to a sequence's assignees, least loaded first."""

import uuid
from dataclasses import dataclass


@dataclass
class Assignee:
    workspace_membership_id: uuid.UUID
    position: int  # order of the sequence's assignee list: breaks ties stably
    load: int  # active contacts assigned to this assignee in the sequence
    eligible: bool  # still an assignee; assignees taken off keep their load but get no new contacts


class Loads:
    """Live loads of a sequence's assignees while one batch is being enrolled."""

    def __init__(self, assignees: list[Assignee]) -> None:
        self._assignees = {assignee.workspace_membership_id: assignee for assignee in assignees}
        self._eligible = sorted((r for r in assignees if r.eligible), key=lambda r: r.position)

    def is_eligible(self, workspace_membership_id: uuid.UUID) -> bool:
        assignee = self._assignees.get(workspace_membership_id)
        return assignee is not None and assignee.eligible

    @property
    def has_eligible(self) -> bool:
        return bool(self._eligible)

    def take_least_loaded(self) -> uuid.UUID:
        """The eligible assignee with the fewest active contacts (first in list order on a tie)."""
        assignee = min(self._eligible, key=lambda r: (r.load, r.position))
        assignee.load += 1
        return assignee.workspace_membership_id

    def add(self, workspace_membership_id: uuid.UUID, count: int = 1) -> None:
        assignee = self._assignees.get(workspace_membership_id)
        if assignee is not None:
            assignee.load += count
