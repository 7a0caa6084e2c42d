"""The ``relance`` command: serve, provision tenants, create a demo tenant.

The admin commands read their options into the admin API's request models, so that both
accept the same values; an error names the option (``--workspace``), not the API field.
Every error the command reports is one line on stderr and exit status 1 (2: a command line
it cannot read).
"""

from relance.cli import delivery, provisioning, serving  # noqa: F401 - they register the commands
from relance.cli.common import app


def main() -> None:
    app(prog_name="relance")
