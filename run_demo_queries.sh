#!/usr/bin/env bash
# Run the demo queries (pipeline/demo/*.sql) on the Gold tables of a deployed stack through
# Athena and print the rows. Exit check 2's verifier. A thin wrapper over `lakehouse demo`:
#   ./run_demo_queries.sh                       # all demo queries, the stack `make up` left running
#   ./run_demo_queries.sh daily_revenue         # one of them
#   ./run_demo_queries.sh --sql 'SELECT count(*) FROM users'
#   LAKEHOUSE_STACK_ID=lh-1a2b3c ./run_demo_queries.sh
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/lakehouse ] || make venv >&2
exec .venv/bin/lakehouse demo "$@"
