"""Domain results to /opencx DTOs."""

from relance.api.opencx.schemas import AddContactsToSequenceOutput, RunDto, RunItemDto
from relance.db.models import ContinuousRun
from relance.opencx import service


def accepted(run: ContinuousRun) -> AddContactsToSequenceOutput:
    """The answer to an accepted request: where to read what happened."""
    return AddContactsToSequenceOutput(run_id=run.id)


def run(run: ContinuousRun) -> RunDto:
    return RunDto(
        run_id=run.id,
        sequence_id=run.sequence_id,
        created_at=run.created_at,
        counts=service.counts(run),
        items=[RunItemDto.model_validate(item) for item in run.items],
    )
