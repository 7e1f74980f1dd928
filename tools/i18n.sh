#!/usr/bin/env bash
# make i18n: export i18n/account_email_receiver.pot from a database with the
# addon installed, and merge it into i18n/nl.po. The export reads a clean copy
# of the tracked files (the checkout also holds .odoo/ and .venv/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DB="${1:?usage: tools/i18n.sh DATABASE}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/addons/account_email_receiver"
(cd "$ROOT" && git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C "$TMP/addons/account_email_receiver")
cat > "$TMP/odoo.conf" <<CONF
[options]
db_host = ${PGHOST:-127.0.0.1}
db_port = ${PGPORT:-5432}
db_user = $(id -un)
addons_path = $ROOT/.odoo/usr/lib/python3/dist-packages/odoo/addons,$TMP/addons
CONF
"$ROOT/.venv/bin/python" "$ROOT/.odoo/usr/bin/odoo" i18n export -c "$TMP/odoo.conf" -d "$DB" \
    -o "$ROOT/i18n/account_email_receiver.pot" account_email_receiver
if command -v msgmerge >/dev/null && [ -f "$ROOT/i18n/nl.po" ]; then
    msgmerge --quiet --no-fuzzy-matching --update --backup=none "$ROOT/i18n/nl.po" "$ROOT/i18n/account_email_receiver.pot"
fi
echo "i18n: exported $(grep -c '^msgid ' "$ROOT/i18n/account_email_receiver.pot") strings"
