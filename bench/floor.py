"""The floor: the least a request can cost on this stack, measured beside Relance.

A bare FastAPI app with one endpoint returning a fixed dict of about 7.6 KB (the size of a
page of contacts) serialized with orjson, served by uvicorn the way ``relance serve`` serves
Relance: uvloop, httptools, one worker, access log on. Run it with
``python -m bench.floor --port N``.
"""

import argparse

import orjson
import uvicorn
from fastapi import FastAPI, Response

PATH = "/floor"


def _item(index: int) -> dict:
    """One entry shaped like an enrolment of the list operation."""
    return {
        "id": f"0b6f4c2e-7d1a-4c55-9a63-{index:012d}",
        "status": ["RUNNING", "CONNECTED", None, "RESPONDER"][index % 4],
        "contact": {
            "id": f"5d0e8a91-2f4b-4e7c-8d12-{index:012d}",
            "firstName": f"First{index}",
            "lastName": f"Last{index}",
            "email": f"contact{index}@example.com",
            "company": "Acme",
            "phoneNumbers": [
                {"id": f"9c3a7e55-1b2d-4f60-a8e4-{index:012d}", "number": "+33612345678"}
            ],
        },
        "tags": [{"id": f"e4b1d2c3-5a6f-4789-b0c1-{index:012d}", "label": "follow-up"}],
        "assignedTo": f"a1b2c3d4-e5f6-4a7b-8c9d-{index:012d}",
    }


PAYLOAD = {"data": [_item(i) for i in range(18)], "total": 1000000, "page": 1, "limit": 50}

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get(PATH)
async def floor() -> Response:
    """The fixed payload, serialized on every request as an endpoint would."""
    return Response(orjson.dumps(PAYLOAD), media_type="application/json")


def main() -> None:
    """Serve the floor app with the options of ``relance serve``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        workers=1,
        loop="uvloop",
        http="httptools",
        log_level="info",
    )


if __name__ == "__main__":
    main()
