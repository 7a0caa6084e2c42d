"""Logs as structured events (structlog): one JSON object per line, or lines for a person.

Code logs through ``structlog.stdlib.get_logger(__name__)`` with key-value pairs; the
events travel through the standard library's logging, so uvicorn's own lines come out in
the same format. What a request binds (``structlog.contextvars``: its request id) is on
every line logged while it runs. ``configure`` installs the renderer; until it is called
(tests in process), records stay with the standard library and its handlers.
"""

import logging
import sys
from typing import Literal

import orjson
import structlog

LogFormat = Literal["json", "console"]

_SHARED: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]

structlog.configure(
    processors=[
        structlog.stdlib.filter_by_level,
        *_SHARED,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)


def _dumps(value: object, **_: object) -> str:
    return orjson.dumps(value, default=str).decode()


def configure(log_format: LogFormat) -> None:
    """Send every log record, Relance's and uvicorn's, to stdout in ``log_format``."""
    last: list[structlog.typing.Processor]
    if log_format == "json":
        # A traceback becomes one string field: the line stays one line.
        last = [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ]
    else:
        last = [structlog.dev.ConsoleRenderer(colors=False)]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *last],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # Relance writes its own line per request (``api.observability``), with more in it.
    logging.getLogger("uvicorn.access").disabled = True
