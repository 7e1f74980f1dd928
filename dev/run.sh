#!/usr/bin/env bash
# make run: create (or reuse) the demo database with the addon and its demo
# data, then serve Odoo on http://localhost:$PORT (admin/admin) with the
# development SMTP relay beside it on localhost:$RELAY_PORT.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DB="$1"; PORT="$2"; RELAY_PORT="$3"; SINK_PORT="$4"; DNS_PORT="$5"; shift 5
PY="$ROOT/.venv/bin/python"
ODOO=("$PY" "$ROOT/.odoo/usr/bin/odoo" "$@")
mkdir -p "$ROOT/.run"
if psql -d postgres -tAc "select 1 from pg_database where datname='$DB'" | grep -q 1 \
   && psql -d "$DB" -tAc "select state from ir_module_module where name='account_email_receiver'" 2>/dev/null | grep -q installed; then
    echo "run: reusing the database $DB (update the addon)"
    "${ODOO[@]}" -d "$DB" -u account_email_receiver --stop-after-init --log-level warn >"$ROOT/.run/update.log" 2>&1 \
        || { echo "run: updating the addon failed; see .run/update.log"; tail -20 "$ROOT/.run/update.log"; exit 1; }
else
    echo "run: creating the demo database $DB (about a minute)"
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    "${ODOO[@]}" -d "$DB" -i account_email_receiver --with-demo --stop-after-init --log-level warn >"$ROOT/.run/install.log" 2>&1 \
        || { echo "run: installing the addon failed; see .run/install.log"; tail -20 "$ROOT/.run/install.log"; exit 1; }
fi

# The development DNS server: the demo senders' DKIM keys, SPF and DMARC records.
"$PY" "$ROOT/dev/demo_dns.py" --port "$DNS_PORT" --dir "$ROOT/.run/dns" >"$ROOT/.run/dns.log" 2>&1 &
DNS_PID=$!; RELAY_PID=""; SINK_PID=""
trap 'kill $DNS_PID $RELAY_PID $SINK_PID 2>/dev/null; exit 0' INT TERM EXIT
# Wait until a helper answers: a supplier's demo mail sent before the DNS server
# has made its DKIM keys goes out unsigned, and one sent before the relay
# listens is refused (seen on a loaded machine).
wait_for() {  # wait_for NAME LOG TEXT
    for _ in $(seq 1 120); do
        grep -q "$3" "$2" 2>/dev/null && return 0
        sleep 0.5
    done
    echo "run: $1 did not start; see ${2#"$ROOT"/}"; tail -20 "$2"; exit 1
}
wait_for "the DNS server" "$ROOT/.run/dns.log" "demo DNS on"
# Odoo asks it too (its own DKIM/SPF/DMARC checks), and trusts the relay's results.
set_param() {
    psql -d "$DB" -qc "insert into ir_config_parameter (key, value, create_date, write_date)
        values ('account_email_receiver.$1', '$2', now(), now())
        on conflict (key) do update set value = excluded.value" >/dev/null
}
set_param dns_nameservers "127.0.0.1:$DNS_PORT"
# The follow-up job runs in a cron worker, outside any web request: wkhtmltopdf
# fetches the report's assets from web.base.url, which must be this server (an
# admin's login would set it; nobody logs in here).
psql -d "$DB" -qc "insert into ir_config_parameter (key, value, create_date, write_date)
    values ('web.base.url', 'http://127.0.0.1:$PORT', now(), now())
    on conflict (key) do update set value = excluded.value" >/dev/null
set_param authserv_ids mx.localhost
# The development SMTP relay (tools/smtp_relay.py) posts to the inbound endpoint.
SECRET=$(psql -d "$DB" -tAc "select value from ir_config_parameter where key='account_email_receiver.inbound_secret'")
# When Settings has a signing key, the relay signs every request with it.
EMAIL_RECEIVER_SIGNING_KEY=$(psql -d "$DB" -tAc "select value from ir_config_parameter where key='account_email_receiver.inbound_hmac_key'")
export EMAIL_RECEIVER_SIGNING_KEY
"$PY" "$ROOT/tools/smtp_relay.py" --port "$RELAY_PORT" --endpoint "http://127.0.0.1:$PORT/email_receiver/inbound" \
    --secret "$SECRET" --hostname mx.localhost --cert-dir "$ROOT/.run/relay" --database "$DB" \
    --dns "127.0.0.1:$DNS_PORT" >"$ROOT/.run/relay.log" 2>&1 &
RELAY_PID=$!
wait_for "the SMTP relay" "$ROOT/.run/relay.log" "relay on "
# The development mail sink: every mail Odoo sends lands in .run/outbox/.
"$PY" "$ROOT/dev/mail_sink.py" --port "$SINK_PORT" --dir "$ROOT/.run/outbox" >"$ROOT/.run/sink.log" 2>&1 &
SINK_PID=$!
wait_for "the mail sink" "$ROOT/.run/sink.log" "mail sink: listening"
cat <<TXT

  Odoo with account_email_receiver: http://localhost:$PORT   (login admin, password admin)
  SMTP relay (STARTTLS): localhost:$RELAY_PORT          (log: .run/relay.log)
  Mail Odoo sends:       localhost:$SINK_PORT, kept in .run/outbox/
  DNS for the demo senders (DKIM, SPF, DMARC): 127.0.0.1:$DNS_PORT
  Send a demo supplier invoice:   make demo-mail
  Send it from an untrusted sender: make demo-mail-untrusted
  A customer invoice, posted and sent on: make demo-mail-sales
  Stop with Ctrl+C.

TXT
"${ODOO[@]}" -d "$DB" --db-filter "^$DB\$" --smtp 127.0.0.1 --smtp-port "$SINK_PORT" --http-port "$PORT" --http-interface 127.0.0.1 --log-level info --log-handler py.warnings:ERROR
