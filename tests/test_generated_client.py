"""A Python client generated from Relance's own /openapi.json with openapi-python-client
works: generated without a warning, and driven through the walk-through's flow, errors read
as typed models.

The generator runs from .venv-openapi-client (scripts/install.sh creates it), so that its
dependencies never move the project's pins; the client it writes needs only httpx and attrs,
which the project has, and is driven in process over the app, on both databases.
"""

import importlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from relance.api.app import create_app
from tests.conftest import make_settings
from tests.factory import TenantFactory

ROOT = Path(__file__).resolve().parents[1]
GENERATOR_BIN = ROOT / ".venv-openapi-client" / "bin"
PACKAGE = "relance_client"


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Where the client is generated (once), and what the generator said."""
    return {"where": tmp_path_factory.mktemp("generated-client")}


async def generate(client: httpx.AsyncClient, generated: dict) -> str:
    """Generate the client from the served document (once); return the generator's output."""
    if "output" not in generated:
        generator = GENERATOR_BIN / "openapi-python-client"
        if not generator.exists():
            pytest.fail(f"{generator} is missing: scripts/install.sh test creates it")
        document = (await client.get("/openapi.json")).json()
        where = generated["where"]
        (where / "openapi.json").write_text(json.dumps(document))
        result = subprocess.run(
            [str(generator), "generate", "--path", "openapi.json", "--meta", "none", "--output-path", PACKAGE],
            cwd=where,
            # The generator formats what it writes with the ruff of its own virtualenv.
            env={**os.environ, "PATH": f"{GENERATOR_BIN}{os.pathsep}{os.environ['PATH']}"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        generated["output"] = (result.stdout + result.stderr).strip()
        sys.path.insert(0, str(where))
    return generated["output"]


async def test_the_client_generates_without_a_warning(client, generated) -> None:
    output = await generate(client, generated)
    assert output.splitlines() == [f"Generating {PACKAGE}"], output


def typed(client, app, key: str):  # noqa: ANN001, ANN201
    """The generated client, over the app in process, authenticated with ``key``."""
    module = importlib.import_module(PACKAGE)
    return module.AuthenticatedClient(
        base_url="http://relance.test",
        token=key,
        raise_on_unexpected_status=True,
        httpx_args={"transport": httpx.ASGITransport(app=app, raise_app_exceptions=False)},
    )


async def test_the_generated_client_drives_the_flow(client, app, tenants, generated, database) -> None:
    await generate(client, generated)
    from relance_client.api.contacts import create_contacts
    from relance_client.api.open_cx import add_contacts_to_sequence, get_run
    from relance_client.api.sequences import (
        sequence_controller_add_contacts,
        sequence_controller_create,
        sequence_controller_list_contacts,
        sequence_controller_remove_contacts,
        update_sequence,
    )
    from relance_client.api.users import list_users
    from relance_client.api.workspaces import list_workspaces
    from relance_client.models import (
        AddContactsToSequenceInput,
        AddContactsToSequenceInputContactByEmail,
        AddContactsToSequenceInputContactByPhoneNumber,
        BulkCreateContactsDto,
        ContactAssignmentBatchDto,
        ContactAssignmentDto,
        ContactsBatchDto,
        CreateContactDto,
        CreateSequenceDto,
        ErrorDto,
        OpenCXErrorDto,
        PaginatedSequenceContactsDto,
        SequenceDto,
        UpdateSequenceDto,
    )

    tenant = await tenants.create()
    api = typed(client, app, tenant.key)

    workspaces = (await list_workspaces.asyncio_detailed(client=api)).parsed
    assert [str(w.id) for w in workspaces.data] == tenant.workspace_ids
    users = (await list_users.asyncio_detailed(client=api)).parsed
    me, rep = (str(u.organization_membership_id) for u in users.data[:2])

    bulk = BulkCreateContactsDto(
        contacts=[
            CreateContactDto(first_name="Ada", phone_numbers=["06 12 34 56 78"]),
            CreateContactDto(first_name="Alan", email="alan@example.com"),
        ]
    )
    created = await create_contacts.asyncio_detailed(client=api, body=bulk)
    assert created.status_code == 201
    c1, c2 = (str(c.id) for c in created.parsed.data)
    assert created.parsed.data[0].phone_numbers[0].number == "+33612345678"

    sequence = await sequence_controller_create.asyncio_detailed(
        client=api, body=CreateSequenceDto(name="Q4", creator_id=me, assigned_to_ids=[me, rep])
    )
    assert sequence.status_code == 201 and isinstance(sequence.parsed, SequenceDto)
    seq = str(sequence.parsed.id)

    added = await sequence_controller_add_contacts.asyncio_detailed(
        seq, client=api, body=ContactAssignmentBatchDto(contacts=[ContactAssignmentDto(contact_id=c) for c in (c1, c2)])
    )
    assert (added.status_code, added.parsed.added) == (201, 2)

    listed = await sequence_controller_list_contacts.asyncio_detailed(seq, client=api, page=1, limit=50)
    assert isinstance(listed.parsed, PaginatedSequenceContactsDto)
    assert {str(row.contact.id) for row in listed.parsed.data} == {c1, c2}
    assert {str(row.assigned_to_workspace_membership_id) for row in listed.parsed.data} == {tenant.wm(0), tenant.wm(1)}

    removed = await sequence_controller_remove_contacts.asyncio_detailed(seq, client=api, body=ContactsBatchDto(contact_ids=[c1]))
    assert (removed.status_code, removed.parsed.removed) == (200, 1)

    # A 400 and a 404, each as the documented error model.
    invalid = await sequence_controller_add_contacts.asyncio_detailed(
        seq, client=api, body=ContactAssignmentBatchDto(contacts=[ContactAssignmentDto(contact_id=c1, assigned_to_workspace_membership_id=str(uuid.uuid4()))])
    )
    assert invalid.status_code == 400 and isinstance(invalid.parsed, ErrorDto)
    assert invalid.parsed.error.code == "VALIDATION_ERROR" and invalid.parsed.error.status == 400
    unknown = await sequence_controller_list_contacts.asyncio_detailed(str(uuid.uuid4()), client=api)
    assert unknown.status_code == 404 and isinstance(unknown.parsed, ErrorDto)
    assert unknown.parsed.error.code == "NOT_FOUND"

    # An OpenCX run, pushed and read back.
    continuous = await update_sequence.asyncio_detailed(seq, client=api, body=UpdateSequenceDto(is_continuous=True))
    assert continuous.parsed.is_continuous is True
    pushed = await add_contacts_to_sequence.asyncio_detailed(
        seq,
        client=api,
        body=AddContactsToSequenceInput(
            contacts=[
                AddContactsToSequenceInputContactByEmail(email="lea@example.com"),
                AddContactsToSequenceInputContactByPhoneNumber(phone_number="+32 470 12 34 56"),
            ]
        ),
    )
    assert pushed.status_code == 200
    run = await get_run.asyncio_detailed(str(pushed.parsed.run_id), client=api)
    assert run.status_code == 200
    assert [item.outcome for item in run.parsed.items] == ["created_and_added", "created_and_added"]
    assert run.parsed.counts["created_and_added"] == 2
    missing = await get_run.asyncio_detailed(str(uuid.uuid4()), client=api)
    assert missing.status_code == 404 and isinstance(missing.parsed, OpenCXErrorDto)
    assert (missing.parsed.status_code, missing.parsed.error) == (404, "Not Found")

    # A 429, from an app whose STARTER plan allows two requests a minute.
    limited_app = create_app(make_settings(database, rate_limits='{"STARTER": 2}'), database=database)
    transport = httpx.ASGITransport(app=limited_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as admin_client:
        starter = await TenantFactory(admin_client).create(plan="STARTER", members=1)
    limited = typed(client, limited_app, starter.key)
    answers = [await list_workspaces.asyncio_detailed(client=limited) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert isinstance(answers[2].parsed, ErrorDto) and answers[2].parsed.error.code == "RATE_LIMITED"
    assert int(answers[2].headers["Retry-After"]) >= 1
