#!/usr/bin/env bash
# make test: lint, then install the addon (and account_peppol) into a throwaway database with
# --test-enable (at_install and post_install tests, browser tours included).
# Fails on any failed, errored or skipped test, and ends with "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# LINT=0 skips the linters for a quick local run of some tests (CI never sets it).
[ "${LINT:-1}" = 0 ] || bash dev/lint.sh || { echo "make test: the linters failed (see above)"; echo "0 passed, 1 failed"; exit 1; }

DB="aer_test_$$_$(date +%s)"
LOG="${TEST_LOG:-$ROOT/.run/test.log}"
mkdir -p "$ROOT/.run"
cleanup() { dropdb --if-exists "$DB" >/dev/null 2>&1 || true; }
trap cleanup EXIT
TAGS="${TEST_TAGS:-/account_email_receiver}"
echo "make test: installing account_email_receiver into $DB with tests ($TAGS); log in ${LOG#"$ROOT"/}"
# account_peppol too, as Odoo installs it for EU companies: sending received
# customer invoices on over Peppol is tested (tests/test_peppol.py).
"$ROOT/.venv/bin/python" "$ROOT/.odoo/usr/bin/odoo" "$@" -d "$DB" -i account_email_receiver,account_peppol \
    --test-enable --test-tags "$TAGS" --stop-after-init --workers 0 --max-cron-threads 0 \
    --http-port "${TEST_HTTP_PORT:-8169}" --log-level test --with-demo >"$LOG" 2>&1
rc=$?
summary=$(grep -E "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database" "$LOG" | tail -1)
skipped=$(grep -cE "odoo\.tests\.result: skipped|\bskipped [a-zA-Z_.]+ : " "$LOG")
grep -E "^(FAIL|ERROR):|\sERROR\s|\sCRITICAL\s|skipped " "$LOG" | head -60
if [ -z "$summary" ]; then
    echo "make test: Odoo did not report test results (exit $rc); see .run/test.log"
    tail -30 "$LOG"
    echo "0 passed, 1 failed"
    exit 1
fi
read -r failed errors total <<<"$(sed -E 's/.*([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/' <<<"$summary")"
failed=$(sed -E 's/.* ([0-9]+) failed,.*/\1/' <<<" $summary")
bad=$((failed + errors))
passed=$((total - bad - skipped))
echo "make test: $summary; $skipped skipped"
status=0
[ "$rc" -ne 0 ] && status=1
[ "$bad" -ne 0 ] && status=1
[ "$total" -eq 0 ] && { echo "make test: no test ran"; status=1; }
if [ "$skipped" -ne 0 ]; then echo "make test: $skipped test(s) were skipped; a skipped test is a failure here"; status=1; fi
echo "$passed passed, $((bad + skipped)) failed"
exit $status
