"""Round-robin, least loaded first: properties of the assignment rule."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from relance.enrolments.assignment import Loads, Assignee


@given(
    loads=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=8),
    batch=st.integers(min_value=0, max_value=200),
)
def test_each_pick_is_a_least_loaded_rep_and_ties_go_in_list_order(loads: list[int], batch: int) -> None:
    assignees = [Assignee(uuid.uuid4(), position, load, True) for position, load in enumerate(loads)]
    current = {r.workspace_membership_id: r.load for r in assignees}
    order = {r.workspace_membership_id: r.position for r in assignees}
    state = Loads([Assignee(r.workspace_membership_id, r.position, r.load, True) for r in assignees])
    for _ in range(batch):
        picked = state.take_least_loaded()
        expected = min(current, key=lambda assignee: (current[assignee], order[assignee]))
        assert picked == expected
        current[picked] += 1


@given(st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=10))
def test_from_equal_loads_a_batch_ends_balanced_within_one(batch: int, assignees: int) -> None:
    state = Loads([Assignee(uuid.uuid4(), i, 0, True) for i in range(assignees)])
    counts: dict[uuid.UUID, int] = {}
    for _ in range(batch):
        picked = state.take_least_loaded()
        counts[picked] = counts.get(picked, 0) + 1
    assert max(counts.values()) - min(counts.values(), default=0) <= 1
    assert sum(counts.values()) == batch


def test_former_reps_get_nothing_but_keep_their_load() -> None:
    former, current = uuid.uuid4(), uuid.uuid4()
    state = Loads([Assignee(former, 0, 0, False), Assignee(current, 1, 10, True)])
    assert [state.take_least_loaded() for _ in range(3)] == [current] * 3
    assert not state.is_eligible(former) and state.is_eligible(current)
