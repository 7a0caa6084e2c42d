"""The operations of the benchmark, timed over HTTP against ``relance serve`` (``bench.measure``).

Each checks its answers against what was loaded (totals, page sizes, counts added and
removed), so that a fast wrong answer cannot pass for a fast one.
"""

import math
import sys
from collections.abc import Iterator
from dataclasses import replace

from bench.load import Dataset
from bench.measure import (
    Client,
    Operation,
    Response,
    Result,
    Sampling,
    Target,
    expect,
    measure,
    summary,
)
from bench.servers import wrk

PAGE = 50
STATUSES = ["RUNNING", "CONNECTED", "RESPONDER", "ERROR", "CANCELLED", "MISSING_NUMBER"]
ADD_BATCH = 100
WRK_CONNECTIONS = 32


def list_operation(
    relance: Client, dataset: Dataset, query: str, total: int, page: int, name: str, target: Target
) -> Operation:
    """``GET .../contacts?<query>&page=<page>`` on the big sequence, checked against the counts."""
    path = f"/v1/sequences/{dataset.big.sequence_id}/contacts?{query}page={page}&limit={PAGE}"
    expected = max(0, min(PAGE, total - (page - 1) * PAGE))

    def check(response: Response) -> None:
        body = expect(response, 200, name)
        if body["total"] != total or len(body["data"]) != expected:
            raise AssertionError(
                f"{name}: total {body['total']} and {len(body['data'])} items, "
                f"expected {total} and {expected}"
            )

    return Operation(name, relance, lambda: relance.send("GET", path), check, target, path=path)


def adds(relance: Client, dataset: Dataset, sequence: str, name: str, target: Target) -> Operation:
    """Add 100 fresh contacts round-robin (timed), then remove them again (untimed)."""
    path = f"/v1/sequences/{sequence}/contacts"
    batches: Iterator[list[str]] = iter(
        [str(c) for c in dataset.spare[i : i + ADD_BATCH]]
        for i in range(0, len(dataset.spare) - ADD_BATCH + 1, ADD_BATCH)
    )
    current: list[str] = []

    def send() -> Response:
        current[:] = next(batches, [])
        if not current:
            raise RuntimeError(f"{name}: no fresh contacts left; load more spare contacts")
        return relance.send("POST", path, {"contacts": [{"contactId": c} for c in current]})

    def check(response: Response) -> None:
        if expect(response, 201, name)["added"] != len(current):
            raise AssertionError(f"{name}: {response.body!r}, expected {len(current)} added")

    def cleanup() -> None:
        removed = expect(relance.send("DELETE", path, {"contactIds": current}), 200, name)
        if removed["removed"] != len(current):
            raise AssertionError(f"{name}: removed {removed}, expected {len(current)}")

    return Operation(name, relance, send, check, target, cleanup)


def next_calls(relance: Client, dataset: Dataset, name: str, target: Target) -> Operation:
    """The first rep's next call in the big sequence (timed); the call it claims is then
    cancelled (untimed), so that each request claims a contact the one before did not.

    The contacts never called come first, and of the generated ones those with a number
    have no status yet: each claim moves one from no status to CANCELLED in the tally."""
    path = f"/v1/sequences/{dataset.big.sequence_id}/next"
    body = {"workspaceMembershipId": str(dataset.assignees[0])}
    claimed: list[str] = []

    def check(response: Response) -> None:
        call = expect(response, 201, name)["call"]
        rep = call["workspaceMembershipId"]
        if call["status"] != "QUEUED" or rep != body["workspaceMembershipId"]:
            raise AssertionError(f"{name}: {response.body!r}, expected a QUEUED call of the rep")
        if call["contactId"] in claimed:
            raise AssertionError(f"{name}: {call['contactId']} handed out twice")
        if response.json()["sequenceContact"]["attempts"] != 1:
            raise AssertionError(f"{name}: {response.body!r}, expected a contact never called")
        claimed.append(call["contactId"])
        calls.append(call["id"])

    def cleanup() -> None:
        cancel = relance.send("PATCH", f"/v1/calls/{calls[-1]}", {"status": "CANCELLED"})
        expect(cancel, 200, name)
        dataset.big.by_status[None] -= 1
        dataset.big.by_status["CANCELLED"] += 1

    calls: list[str] = []
    return Operation(
        name, relance, lambda: relance.send("POST", path, body), check, target, cleanup
    )


def groups(relance: Client, dataset: Dataset, database: str) -> list[list[Operation]]:
    """Every latency operation, in the groups they are measured in."""
    big = dataset.big
    base = f"/v1/sequences/{big.sequence_id}"

    def check_sequence(response: Response) -> None:
        if expect(response, 200, "GET sequence")["contactCount"] != big.active:
            raise AssertionError(f"GET sequence: {response.body!r}, expected {big.active}")

    page_one = Target(4 if database == "postgresql" else 3)
    result = [
        [
            Operation(
                "GET /v1/sequences/{id}",
                relance,
                lambda: relance.send("GET", base),
                check_sequence,
                Target(2),
            )
        ],
        [list_operation(relance, dataset, "", big.active, 1, "list page 1 (limit 50)", page_one)],
        [
            adds(relance, dataset, str(big.sequence_id), "add 100, big sequence", Target(12)),
            adds(
                relance,
                dataset,
                str(dataset.small.sequence_id),
                "add 100, 1,000-contact sequence",
                Target(12),
            ),
        ],
    ]
    filters = [("", "all", big.active)]
    filters += [(f"status={s}&", f"status={s}", big.by_status[s]) for s in STATUSES]
    filters += [
        (f"tag={label}&", f"tag={label} ({share})", big.by_tag[label])
        for label, share in ((dataset.rare_tag, "1 %"), (dataset.common_tag, "30 %"))
    ]
    for query, label, total in filters:
        last = max(1, math.ceil(total / PAGE))
        for page_name, page in (
            ("page 1", 1),
            ("middle page", (last + 1) // 2),
            ("last page", last),
        ):
            name = f"{label}, {page_name} ({page:,}), total {total:,}"
            result.append([list_operation(relance, dataset, query, total, page, name, Target(5))])
    # Last: each call it claims moves a contact's status, which the lists above count.
    result.append([next_calls(relance, dataset, "next call, big sequence", Target(5))])
    return result


def throughput(
    floor: Client, relance: Client, path: str, database: str, *, seconds: int, rounds: int = 2
) -> Result:
    """List page 1 under 32 connections against the floor's throughput, alternating wrk runs.

    With ``seconds`` 0, one request of what wrk would send, checked: no timing."""
    name = f"list page 1, {WRK_CONNECTIONS} connections (req/s)"
    target = Target(0.15 if database == "postgresql" else 0.20, at_least=True, unit="%")
    if seconds == 0:
        for client, client_path in ((floor, "/floor"), (relance, path)):
            client.connect()
            expect(client.send("GET", client_path), 200, name)
        return Result(name, None, None, None, target=target)
    runs: dict[str, list] = {"floor": [], "relance": []}
    for _ in range(rounds):
        for key, client, target_path in (("floor", floor, "/floor"), ("relance", relance, path)):
            runs[key].append(
                wrk(
                    client.port,
                    target_path,
                    relance.headers,
                    seconds=seconds,
                    connections=WRK_CONNECTIONS,
                )
            )
    floor_rps = sum(r.requests_per_second for r in runs["floor"]) / rounds
    rps = sum(r.requests_per_second for r in runs["relance"]) / rounds
    last = runs["relance"][-1]
    return Result(
        f"{name}: {rps:,.0f} vs floor {floor_rps:,.0f}",
        last.p50,
        last.p90,
        last.p99,
        None,
        rps / floor_rps,
        target,
        {"requests_per_second": rps, "floor_requests_per_second": floor_rps},
    )


def run(
    floor_port: int,
    relance_port: int,
    dataset: Dataset,
    database: str,
    *,
    sampling: Sampling,
    wrk_seconds: int,
) -> list[Result]:
    """Every operation on a loaded dataset. A smoke run (one request of each, no timing
    that matters) is ``Sampling(samples=1, least=1)`` and ``wrk_seconds`` 0."""
    floor = Client(floor_port)
    relance = Client(relance_port, {"Authorization": f"Bearer {dataset.api_key}"})

    def check_floor(response: Response) -> None:
        expect(response, 200, "floor")

    floor_operation = Operation("floor", floor, lambda: floor.send("GET", "/floor"), check_floor)
    floor_times: list[float] = []
    results = []
    try:
        operations = groups(relance, dataset, database)
        for group in operations:
            group_sampling = sampling
            if group[0].cleanup is not None:  # the adds: as many as fresh contacts allow
                most = len(dataset.spare) // ADD_BATCH - 1
                group_sampling = replace(sampling, samples=min(sampling.samples, most))
            times, measured = measure(floor_operation, group, group_sampling)
            floor_times += times
            for result in measured:
                _progress(database, result)
                results.append(result)
            if len(measured) == 2:  # the adds: the big sequence's against the small one's
                big, small = measured
                ratio = big.p50 / small.p50  # type: ignore[operator]
                name = "add 100: big / 1,000-contact sequence (p50)"
                results.append(Result(name, None, None, None, None, ratio, Target(1.3)))
        results.insert(0, summary("floor (every group's)", floor_times))
        page_one = operations[1][0]
        result = throughput(floor, relance, page_one.path, database, seconds=wrk_seconds)
        _progress(database, result)
        results.append(result)
    finally:
        floor.close()
        relance.close()
    return results


def _progress(database: str, result: Result) -> None:
    """One line on stderr per operation measured."""
    p50 = "" if result.p50 is None else f" p50 {result.p50:.2f} ms,"
    ratio = "" if result.ratio is None else f" ratio {result.ratio:.2f}"
    print(f"  {database}: {result.operation}:{p50}{ratio}", file=sys.stderr, flush=True)
