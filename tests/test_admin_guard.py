"""The admin token: strong enough to start, and guesses slowed down per client address."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from relance.api.app import create_app
from relance.settings import Settings
from tests.conftest import make_settings
from tests.factory import ADMIN, ADMIN_TOKEN

WRONG = {"Authorization": "Bearer " + "w" * 40}
# An admin route: with the right token, an unknown organization is a 404.
ROUTE = "/admin/v1/organizations/00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize("token", ["a", "x" * 31, "short-but-not-empty"])
def test_an_admin_token_shorter_than_32_characters_is_refused(token) -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(admin_token=token)


@pytest.mark.parametrize("token", [None, "", "x" * 32])
def test_unset_empty_or_long_enough_tokens_are_accepted(token) -> None:
    assert Settings(admin_token=token).admin_token == (token or None)


def test_serve_refuses_to_start_with_a_weak_admin_token(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
           "RELANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "RELANCE_ADMIN_TOKEN": "a"}  # fmt: skip
    result = subprocess.run([sys.executable, "-m", "relance.cli", "serve", "--port", "1"],
                            env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "RELANCE_ADMIN_TOKEN must be at least 32 characters" in result.stderr
    assert "Traceback" not in result.stderr


def client_at(app, address: str) -> httpx.AsyncClient:  # noqa: ANN001
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://relance.test")


async def test_failed_admin_attempts_are_limited_per_address(database) -> None:
    app = create_app(make_settings(database, admin_failures_per_minute=3), database=database)
    async with client_at(app, "203.0.113.7") as guesser, client_at(app, "198.51.100.2") as operator:
        statuses = [(await guesser.patch(ROUTE, json={}, headers=WRONG)).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        refused = await guesser.patch(ROUTE, json={}, headers=WRONG)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "RATE_LIMITED"
        assert refused.headers["retry-after"].isdigit()
        # Even the right token, from that address, until the minute is over.
        assert (await guesser.patch(ROUTE, json={}, headers=ADMIN)).status_code == 429
        # Another address is not affected, and right tokens never count.
        for _ in range(5):
            assert (await operator.patch(ROUTE, json={}, headers=ADMIN)).status_code == 404
    assert len(ADMIN_TOKEN) >= 32
