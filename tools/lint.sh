#!/usr/bin/env bash
# make lint: ruff (check and format) and pylint-odoo with the OCA's mandatory
# checks for 19.0. The module is linted under its technical name (.addons/).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
V="$ROOT/.venv/bin"
rc=0
"$V/ruff" check --no-fix . || rc=1
"$V/ruff" format --check . || rc=1
(cd "$ROOT/.addons" && PYTHONPATH="$ROOT/.odoo/usr/lib/python3/dist-packages" "$V/pylint" --rcfile="$ROOT/.pylintrc-mandatory" account_email_receiver) || rc=1
"$V/python" "$ROOT/tools/check_po.py" || rc=1
if [ $rc -eq 0 ]; then echo "lint: ruff, pylint-odoo and nl.po are clean"; else echo "lint: failed"; fi
exit $rc
