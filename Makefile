.PHONY: demo test bench bench-quick

# Install, create a demo tenant on the embedded SQLite database, and serve on :8000.
demo:
	scripts/demo.sh

# Install, start PostgreSQL and Redis on loopback, run every test on SQLite and PostgreSQL.
test:
	scripts/test.sh

# Install, start PostgreSQL, and print the benchmark table (bench/README.md): 1,000,000
# contacts on SQLite and PostgreSQL; long.
bench:
	scripts/bench.sh

# The same with 100,000 contacts, on SQLite only, with shorter runs: a few minutes.
bench-quick:
	BENCH_CONTACTS=100000 BENCH_DATABASES=sqlite BENCH_OPERATION_SECONDS=3 BENCH_WRK_SECONDS=5 \
	  scripts/bench.sh
