.PHONY: demo test bench

# Install, create a demo tenant on the embedded SQLite database, and serve on :8000.
demo:
	scripts/demo.sh

# Install, start PostgreSQL and Redis on loopback, run every test on SQLite and PostgreSQL.
test:
	scripts/test.sh

# Install, start PostgreSQL, and print the benchmark table.
bench:
	scripts/bench.sh
