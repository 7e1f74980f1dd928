#!/usr/bin/env bash
# make test-core: Odoo's own suites with and without this addon, after installation.
#   Two fresh databases get test_mail, account_edi_ubl_cii and
#   l10n_account_edi_ubl_cii_tests; one gets account_email_receiver as well.
#   Then, with every module loaded, the whole of test_mail, the mail-server
#   tests of base and mail, account_edi_ubl_cii and l10n_account_edi_ubl_cii_tests
#   run in each (dev/test_core.py). Fails on any test that fails only with
#   the addon; prints both counts. Logs in .run/test-core-*.log.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
MODULES="test_mail,account_edi_ubl_cii,l10n_account_edi_ubl_cii_tests"
TAGS="${CORE_TEST_TAGS:-/test_mail,/account_edi_ubl_cii,/l10n_account_edi_ubl_cii_tests,/base:TestIrMailServer,/base:TestIrMailServerSMTPD,/base:EmailConfigCase,/mail:TestIrMailServer,/mail:TestPersonalServer}"
STAMP="$$_$(date +%s)"
WITH="aer_core_with_$STAMP"
WITHOUT="aer_core_without_$STAMP"
mkdir -p "$ROOT/.run"
cleanup() { dropdb --if-exists "$WITH" >/dev/null 2>&1; dropdb --if-exists "$WITHOUT" >/dev/null 2>&1; true; }
trap cleanup EXIT
start=$(date +%s)

run_db() {  # name, extra modules, http port
    local db="$1" extra="$2" port="$3" log="$ROOT/.run/test-core-$4.log"
    "$PY" "$ROOT/.odoo/usr/bin/odoo" "${ODOO_ARGS[@]}" -d "$db" -i "$MODULES$extra" \
        --stop-after-init --workers 0 --max-cron-threads 0 --log-level warn >"$log.install" 2>&1 \
        || { echo "make test-core: installing into $db failed (see $log.install)"; tail -20 "$log.install"; return 1; }
    "$PY" "$ROOT/dev/test_core.py" "${ODOO_ARGS[@]}" -d "$db" --test-enable --test-tags "$TAGS" \
        --stop-after-init --workers 0 --max-cron-threads 0 --http-port "$port" --log-level test >"$log" 2>&1
    return 0
}
ODOO_ARGS=("$@")
run_db "$WITHOUT" "" "${CORE_HTTP_PORT:-8269}" without || exit 1
run_db "$WITH" ",account_email_receiver" "$(( ${CORE_HTTP_PORT:-8269} + 1 ))" with || exit 1

failures() {  # the failed tests of a log, one "module: Class.test" a line
    grep -oE "odoo\.addons\.[a-z0-9_.]+: (FAIL|ERROR): (Subtest )?[^ ]+" "$1" \
        | sed -E 's/: (FAIL|ERROR): (Subtest )?/: /' | sort -u
}
counts() {  # tests run in a log
    grep -oE "[0-9]+ post-tests in" "$1" | tail -1 | grep -oE "^[0-9]+"
}
failures "$ROOT/.run/test-core-without.log" >"$ROOT/.run/test-core-without.failures"
failures "$ROOT/.run/test-core-with.log" >"$ROOT/.run/test-core-with.failures"
only_with=$(comm -13 "$ROOT/.run/test-core-without.failures" "$ROOT/.run/test-core-with.failures")
run_without=$(counts "$ROOT/.run/test-core-without.log"); run_with=$(counts "$ROOT/.run/test-core-with.log")
echo "make test-core: without the addon: ${run_without:-0} tests run, $(wc -l <"$ROOT/.run/test-core-without.failures") failed"
echo "make test-core: with the addon:    ${run_with:-0} tests run, $(wc -l <"$ROOT/.run/test-core-with.failures") failed"
echo "make test-core: failing in both (listed in the README):"
comm -12 "$ROOT/.run/test-core-without.failures" "$ROOT/.run/test-core-with.failures" | sed 's/^/  /'
echo "make test-core: $(( $(date +%s) - start )) s"
if [ -z "$run_with" ] || [ "$run_with" = 0 ] || [ "${run_with}" != "${run_without}" ]; then
    echo "make test-core: the two databases did not run the same tests (${run_without:-0} and ${run_with:-0})"
    exit 1
fi
if [ -n "$only_with" ]; then
    echo "make test-core: failing only with the addon:"; sed 's/^/  /' <<<"$only_with"
    echo "make test-core: $(wc -l <<<"$only_with") test(s) fail only with the addon"; exit 1
fi
echo "make test-core: no test fails only with the addon"
exit 0
