"""Round-robin assignment of contacts to a sequence's reps, least loaded first."""

import uuid
from dataclasses import dataclass


@dataclass
class Rep:
    workspace_membership_id: uuid.UUID
    position: int  # order of the sequence's assignee list: breaks ties stably
    load: int  # active contacts assigned to this rep in the sequence
    eligible: bool  # still an assignee; reps taken off keep their load but get no new contacts


class Loads:
    """Live loads of a sequence's reps while one batch is being enrolled."""

    def __init__(self, reps: list[Rep]) -> None:
        self._reps = {rep.workspace_membership_id: rep for rep in reps}
        self._eligible = sorted((r for r in reps if r.eligible), key=lambda r: r.position)

    def is_eligible(self, workspace_membership_id: uuid.UUID) -> bool:
        rep = self._reps.get(workspace_membership_id)
        return rep is not None and rep.eligible

    @property
    def has_eligible(self) -> bool:
        return bool(self._eligible)

    def take_least_loaded(self) -> uuid.UUID:
        """The eligible rep with the fewest active contacts (first in list order on a tie)."""
        rep = min(self._eligible, key=lambda r: (r.load, r.position))
        rep.load += 1
        return rep.workspace_membership_id

    def add(self, workspace_membership_id: uuid.UUID, count: int = 1) -> None:
        rep = self._reps.get(workspace_membership_id)
        if rep is not None:
            rep.load += count
