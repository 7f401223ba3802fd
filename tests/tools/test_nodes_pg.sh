#!/usr/bin/env bash
# test_nodes_pg.sh - tests/tools/test_nodes.sh on PostgreSQL (BEX_TEST_DB=pg: two nodes on one database of a
# throw-away cluster, tests/lib/testdb.sh); skipped with the reason, "0 passed, 0 failed, 1 skipped", where
# there is no PostgreSQL server. Its summary line is the original's, so tests/run.sh counts it.
exec env BEX_TEST_DB=pg "$(dirname "$0")/test_nodes.sh" "$@"
