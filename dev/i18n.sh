#!/usr/bin/env bash
# dev/i18n.sh DATABASE: export i18n/account_email_receiver.pot from a database with the
# addon installed, and merge it into i18n/nl.po: new strings arrive empty,
# strings that left the code are dropped, every translation stays as the
# translator wrote it (nl.po is the source of the Dutch text; nothing here
# writes a msgstr). Then dev/check_po.py lists what is left to translate.
# The export reads a clean copy of the tracked files (the checkout also holds .odoo/ and .venv/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DB="${1:?usage: dev/i18n.sh DATABASE}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/addons/account_email_receiver"
# (files deleted in the working tree and not yet committed are left out)
(cd "$ROOT" && git ls-files -co --exclude-standard | while read -r f; do [[ -e "$f" ]] && echo "$f"; done \
    | tar -cf - -T - | tar -xf - -C "$TMP/addons/account_email_receiver")
cat > "$TMP/odoo.conf" <<CONF
[options]
db_host = ${PGHOST:-127.0.0.1}
db_port = ${PGPORT:-5432}
db_user = $(id -un)
addons_path = $ROOT/.odoo/usr/lib/python3/dist-packages/odoo/addons,$TMP/addons
CONF
"$ROOT/.venv/bin/python" "$ROOT/.odoo/usr/bin/odoo" i18n export -c "$TMP/odoo.conf" -d "$DB" \
    -o "$ROOT/i18n/account_email_receiver.pot" account_email_receiver
"$ROOT/.venv/bin/python" - "$ROOT/i18n" <<'PY'
import sys
import polib
folder = sys.argv[1]
po = polib.pofile(f"{folder}/nl.po", wrapwidth=78)
po.merge(polib.pofile(f"{folder}/account_email_receiver.pot"))
for entry in po.obsolete_entries():
    po.remove(entry)
po.save(f"{folder}/nl.po")
PY
echo "i18n: exported $(grep -c '^msgid ' "$ROOT/i18n/account_email_receiver.pot") strings"
"$ROOT/.venv/bin/python" "$ROOT/dev/check_po.py"
