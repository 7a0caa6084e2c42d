"""What an operator scrapes at /metrics (prometheus-client).

One process keeps its metrics in memory. Under ``relance serve --workers N`` every worker
writes them to files in ``PROMETHEUS_MULTIPROC_DIR`` (set by the command before the
workers start) and whichever worker answers /metrics sums them all.
"""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter(
    "relance_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "relance_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template and method.",
    ["route", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter(
    "relance_rate_limit_rejections", "Requests refused with 429 by the per-minute budget."
)
RATE_LIMIT_FALLBACKS = Counter(
    "relance_rate_limit_fallbacks",
    "Requests counted in this process's own window because Redis failed or was too slow.",
)
DATABASE_UNAVAILABLE = Counter(
    "relance_database_unavailable",
    "Requests answered 503 because the database could not be reached or did not answer "
    "within RELANCE_DB_TIMEOUT_S.",
)
DATABASE_CONNECTIONS = Gauge(
    "relance_database_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)


def exposition() -> bytes:
    """Every metric in the Prometheus text format, summed over the workers when there are
    several."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
