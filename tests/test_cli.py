"""The relance command as a person meets it: one line and exit 1 when the database is out
of reach, help that reads, errors that name options, and lists of what provisioning made."""

import subprocess
import sys
import uuid

import pytest

from tests.conftest import database_url
from tests.test_admin_and_cli import cli_env, free_port, ok_json, relance

UNREACHABLE = "postgresql://relance:secret@127.0.0.1:1/relance"


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The error line of a command that failed; before it, at most the line that says which
    database the command reached."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    if len(lines) == 2:
        assert lines[0].startswith("relance: using the "), result.stderr
    assert len(lines) in (1, 2), result.stderr
    return lines[-1]


def only_line(result: subprocess.CompletedProcess) -> str:
    line = one_line_error(result)
    assert result.stderr.strip() == line
    return line


@pytest.mark.parametrize(
    "command", [("admin", "create-org", "--name", "Acme"), ("admin", "list-orgs"), ("migrate",), ("demo",)]
)
def test_an_unreachable_database_is_one_line_and_exit_1(tmp_path, command) -> None:
    result = relance(cli_env(tmp_path, RELANCE_DATABASE_URL=UNREACHABLE), *command)
    assert only_line(result) == (
        "relance: cannot reach the PostgreSQL database at "
        "postgresql://relance:***@127.0.0.1:1/relance: connection refused"
    )


def test_the_server_says_so_at_start_too(tmp_path) -> None:
    env = cli_env(tmp_path, RELANCE_DATABASE_URL=UNREACHABLE)
    try:
        result = relance(env, "serve", "--port", str(free_port()))  # a busy machine: 60 s
    except subprocess.TimeoutExpired:
        pytest.fail("serve started on a database it cannot reach")
    assert "cannot reach the PostgreSQL database" in only_line(result)


def test_a_missing_sqlite_directory_is_one_line(tmp_path) -> None:
    missing = tmp_path / "no" / "such" / "relance.db"
    result = relance(cli_env(tmp_path, RELANCE_DATABASE_URL=f"sqlite:///{missing}"), "admin", "list-orgs")
    assert only_line(result) == (
        f"relance: cannot reach the SQLite database at {missing}: no such directory {missing.parent}"
    )


@pytest.mark.parametrize("url", ["mysql://relance@127.0.0.1/relance", "relance.db"])
def test_a_database_url_of_an_unsupported_kind_is_one_line(tmp_path, url) -> None:
    for command in (("admin", "list-orgs"), ("serve", "--port", str(free_port()))):
        line = only_line(relance(cli_env(tmp_path, RELANCE_DATABASE_URL=url), *command))
        assert line.startswith("relance: invalid configuration: RELANCE_DATABASE_URL is of an unsupported kind")
        assert "sqlite:///PATH or postgresql://USER@HOST/DATABASE" in line
        assert "Value error" not in line


def test_the_first_line_says_which_database_relative_to_where(tmp_path) -> None:
    env = cli_env(tmp_path)
    del env["RELANCE_DATABASE_URL"]  # the default, ./relance.db
    result = subprocess.run(
        [sys.executable, "-m", "relance.cli", "admin", "list-orgs"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"relance: using the SQLite database at {tmp_path / 'relance.db'}"
    assert (tmp_path / "relance.db").exists()


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (("admin", "add-member"), ["--email EMAIL", "--first-name NAME", "--last-name NAME", "--workspace ID", "ORG_ID"]),
        (("admin", "create-api-key"), ["--name NAME", "--mode MODE", "--workspace ID", "ORG_ID"]),
        (("admin", "create-org"), ["--name NAME", "--plan PLAN"]),
        (("admin", "add-workspace-member"), ["WORKSPACE_ID", "MEMBER_ID"]),
        (("serve",), ["--host HOST", "--port PORT", "--workers N"]),
    ],
)
def test_help_shows_metavars_a_person_reads(tmp_path, command, expected) -> None:
    result = relance(cli_env(tmp_path), *command, "--help")
    assert result.returncode == 0, result.stderr
    for metavar in expected:
        assert metavar in result.stdout, (metavar, result.stdout)
    for python_type in ("list[", "<str>", "<int>", "<bool>", "UUID]"):
        assert python_type not in result.stdout, result.stdout


def test_errors_name_the_options(tmp_path) -> None:
    env = cli_env(tmp_path)
    org = ok_json(relance(env, "admin", "create-org", "--name", "Acme"))

    refused = relance(env, "admin", "add-member", org["id"], "--email", "notanemail")
    assert one_line_error(refused) == "relance: --email: must be an email address, such as john.doe@example.com"
    assert ok_json(relance(env, "admin", "list-members", org["id"])) == []

    unknown = relance(env, "admin", "add-member", org["id"], "--email", "rep@example.com", "--workspace", str(uuid.uuid4()))
    assert one_line_error(unknown) == "relance: --workspace #1: no such workspace in this organization"

    for command, option in [
        (("admin", "create-api-key", org["id"], "--name", "k", "--mode", "prod"), "--mode: "),
        (("admin", "create-org", "--name", "  "), "--name: "),
        (("admin", "create-org", "--name", "X", "--plan", "GOLD"), "--plan: "),
    ]:
        line = one_line_error(relance(env, *command))
        assert line.startswith(f"relance: {option}"), line
        assert "Value error" not in line and "workspaceIds" not in line


def test_list_commands_show_what_provisioning_made(tmp_path, backend) -> None:
    env = cli_env(tmp_path, RELANCE_DATABASE_URL=database_url(backend, tmp_path))
    org = ok_json(relance(env, "admin", "create-org", "--name", f"Listed {uuid.uuid4().hex[:6]}"))
    other = ok_json(relance(env, "admin", "create-org", "--name", "Other"))
    workspace = ok_json(relance(env, "admin", "create-workspace", org["id"], "--name", "Sales"))
    ok_json(relance(env, "admin", "create-workspace", other["id"], "--name", "Elsewhere"))
    member = ok_json(relance(env, "admin", "add-member", org["id"], "--email", "rep@example.com", "--workspace", workspace["id"]))
    plain = ok_json(relance(env, "admin", "add-member", org["id"], "--email", "solo@example.com"))
    key = ok_json(relance(env, "admin", "create-api-key", org["id"], "--name", "crm", "--workspace", workspace["id"]))
    revoked = ok_json(relance(env, "admin", "revoke-api-key", key["id"]))
    every = ok_json(relance(env, "admin", "create-api-key", org["id"], "--name", "all", "--mode", "test"))

    orgs = ok_json(relance(env, "admin", "list-orgs"))
    assert org in orgs and other in orgs
    assert orgs.index(org) < orgs.index(other)  # oldest first
    assert ok_json(relance(env, "admin", "list-workspaces", org["id"])) == [workspace]
    assert ok_json(relance(env, "admin", "list-members", org["id"])) == [member, plain]
    keys = ok_json(relance(env, "admin", "list-api-keys", org["id"]))
    assert keys == [
        {k: key[k] for k in ("id", "name", "mode", "workspaceIds", "createdAt")} | {"revokedAt": revoked["revokedAt"]},
        {k: every[k] for k in ("id", "name", "mode", "workspaceIds", "createdAt")} | {"revokedAt": None},
    ]
    assert all("key" not in k for k in keys)

    for command in ("list-workspaces", "list-members", "list-api-keys"):
        assert one_line_error(relance(env, "admin", command, str(uuid.uuid4()))) == "relance: Organization not found"



def test_the_server_first_says_which_database(tmp_path) -> None:
    env = cli_env(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "relance.cli", "serve", "--port", str(free_port())],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = server.stderr.readline()
        # Then the logs, on stdout, until the server says it serves.
        logged: list[str] = []
        while len(logged) < 100 and not any("Uvicorn running" in line for line in logged):
            logged.append(server.stdout.readline())
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert first.strip() == f"relance: using the SQLite database at {tmp_path / 'cli.db'}"
    assert any("Uvicorn running" in line for line in logged), logged
