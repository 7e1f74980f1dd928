#!/usr/bin/env bash
# pylint-odoo with the OCA's mandatory checks for 19.0, on the module under its
# technical name (.addons/account_email_receiver -> this folder).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/.addons" && PYTHONPATH="$ROOT/.odoo/usr/lib/python3/dist-packages" \
    "$ROOT/.venv/bin/pylint" --rcfile="$ROOT/.pylintrc-mandatory" account_email_receiver
