"""The benchmark of Relance's request path: ratios against a bare FastAPI app (bench/README.md)."""
