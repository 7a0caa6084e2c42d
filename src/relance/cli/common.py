"""What every ``relance`` command shares: the Typer apps, reaching and migrating the
database, reading options into the admin API's models, printing, failing in one line."""

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, TypeVar

import structlog
import typer
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel, to_snake
from sqlalchemy.ext.asyncio import AsyncSession

from relance.api.schemas import ResponseModel
from relance.api.validation import first_error
from relance.db.engine import describe, missing_directory, unreachable_reason
from relance.db.migrate import Migrated, upgrade_to_head
from relance.errors import Location, RelanceError, ValidationFailed
from relance.secretbox import KEY_VARIABLE
from relance.settings import Settings
from relance.tenancy.database import Database

app = typer.Typer(
    help="Relance: self-hosted engine for outbound-call sequences.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
admin = typer.Typer(
    help="Provision organizations, workspaces, members and API keys, and list them.",
    no_args_is_help=True,
)
app.add_typer(admin, name="admin")
runs = typer.Typer(help="The runs /opencx requests leave.", no_args_is_help=True)
app.add_typer(runs, name="runs")
idempotency_keys = typer.Typer(
    help="The answers kept for Idempotency-Key requests.", no_args_is_help=True
)
app.add_typer(idempotency_keys, name="idempotency-keys")

T = TypeVar("T")
log = structlog.stdlib.get_logger("relance")
# A command is an operator's batch (a purge, a demo), not a request a client waits on: its
# statements may take long, so its waits are bounded by this, not RELANCE_DB_TIMEOUT_S.
OPERATOR_TIMEOUT_S = 3600.0

# How the command line spells what the API and the domain name (Python names).
_SPELLING = {
    "name": "--name",
    "plan": "--plan",
    "subscription_status": "--status",
    "email": "--email",
    "first_name": "--first-name",
    "last_name": "--last-name",
    "workspace_ids": "--workspace",
    "mode": "--mode",
    "organization_membership_id": "MEMBER_ID",
}

Org = Annotated[uuid.UUID, typer.Argument(metavar="ORG_ID", help="The organization's id")]
WorkspaceOption = Annotated[
    list[uuid.UUID] | None,
    typer.Option("--workspace", metavar="ID", help="A workspace id; repeat for several"),
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"relance: {message}", err=True)
    raise typer.Exit(1)


def _spell(location: Location) -> str:
    """``("workspace_ids", 1)`` -> ``--workspace #2``."""
    words = []
    for part in location:
        if isinstance(part, int):
            words.append(f"#{part + 1}")
        else:
            name = to_snake(str(part))
            words.append(_SPELLING.get(name, name))
    return " ".join(words)


def _message(error: RelanceError) -> str:
    if isinstance(error, ValidationFailed) and error.location:
        return f"{_spell(error.location)}: {error.message}"
    return error.message


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        _fail(f"invalid configuration: {first_error(error.errors()).message}")


@contextmanager
def _reaching(settings: Settings, *, connecting: bool = False) -> Iterator[None]:
    """A database that cannot be reached is one line, never a traceback."""
    try:
        yield
    except Exception as error:
        reason = unreachable_reason(error, connecting=connecting)
        if reason is None:
            raise
        _fail(f"cannot reach {describe(settings.database_url)}: {reason}")


def _migrated() -> tuple[Settings, Migrated]:
    """The settings, once the database they name is reached and migrated, and what the
    migrations did; then says which database it is, first thing (a relative SQLite path
    is relative to the working directory)."""
    settings = _settings()
    if directory := missing_directory(settings.database_url):
        _fail(f"cannot reach {describe(settings.database_url)}: no such directory {directory}")
    with _reaching(settings, connecting=True):
        migrated = upgrade_to_head(settings.database_url)
    typer.echo(f"relance: using {describe(settings.database_url)}", err=True)
    return settings, migrated


def warn_without_key(settings: Settings) -> None:
    """``relance serve`` and ``relance worker`` start without RELANCE_SECRET_KEY, and say
    what that means, once, at start."""
    if settings.secret_box is None:
        log.warning(
            "secret_key_unset",
            detail=f"{KEY_VARIABLE} is unset: webhooks cannot be created or rotated (503), "
            "and only secrets stored in the clear before it can sign",
        )


def _request(model: type[BaseModel], **values: Any) -> Any:
    """``values`` (Python names; None: not given) read by the admin API's request model."""
    try:
        return model.model_validate({to_camel(k): v for k, v in values.items() if v is not None})
    except ValidationError as error:
        _fail(_message(first_error(error.errors())))


def _print(result: ResponseModel | Sequence[ResponseModel]) -> None:
    """Print a result through its model: what the admin API answers for the same thing; a
    list as a JSON array. json.dumps: non-ASCII stays escaped, as it always was."""
    dump = lambda r: r.model_dump(mode="json", by_alias=True)  # noqa: E731
    shown = dump(result) if isinstance(result, ResponseModel) else [dump(r) for r in result]
    typer.echo(json.dumps(shown, indent=2))


def _run_unscoped(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Migrate, run ``action`` in one operator transaction, and turn domain errors into exit 1."""
    settings, _ = _migrated()

    async def run() -> T:
        database = Database(settings.database_url, timeout_s=OPERATOR_TIMEOUT_S)
        try:
            async with database.unscoped_session() as session:
                return await action(session)
        finally:
            await database.dispose()

    try:
        with _reaching(settings):
            return asyncio.run(run())
    except RelanceError as error:
        _fail(_message(error))
