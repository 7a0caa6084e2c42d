"""What the app does once, when it starts."""

import gc

from relance.api.app import create_app


async def test_the_app_moves_what_lives_as_long_as_the_process_out_of_the_collectors_sight() -> None:
    """A full collection would otherwise walk every module, model and schema, stalling a
    request for the whole heap (bench/README.md: p99 of a list page 230 -> 65 ms)."""
    app = create_app()
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
