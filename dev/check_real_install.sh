#!/usr/bin/env bash
# make check-real-install: the customer-invoice path outside test mode.
# Starts `make run` (a fresh demo database, the relay, the mail sink), sends a
# customer invoice with `make demo-mail-sales`, and checks that the buyer's mail
# reached the development mail sink with the UBL and a real PDF (printed by
# wkhtmltopdf: in test mode Odoo renders HTML and would never notice it missing).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DB="aer_real_$$"
HTTP_PORT="${CHECK_HTTP_PORT:-8369}"; RELAY_PORT="${CHECK_RELAY_PORT:-2625}"; SINK_PORT="${CHECK_SINK_PORT:-2626}"; DNS_PORT="${CHECK_DNS_PORT:-5364}"
OUTBOX="$ROOT/.run/outbox"
LOG="$ROOT/.run/check-real-install.log"
mkdir -p "$ROOT/.run"
rm -rf "$OUTBOX"
start=$(date +%s)
setsid make --no-print-directory run DEMO_DB="$DB" HTTP_PORT="$HTTP_PORT" RELAY_PORT="$RELAY_PORT" SINK_PORT="$SINK_PORT" DNS_PORT="$DNS_PORT" >"$LOG" 2>&1 &
RUN_PID=$!
cleanup() {
    kill -- -"$RUN_PID" 2>/dev/null; sleep 2; kill -9 -- -"$RUN_PID" 2>/dev/null
    dropdb --if-exists "$DB" >/dev/null 2>&1; true
}
trap cleanup EXIT
fail() {
    tail -30 "$LOG"; echo "--- .run/relay.log"; tail -15 "$ROOT/.run/relay.log" 2>/dev/null
    echo "make check-real-install: $1 (logs: .run/check-real-install.log, .run/relay.log)"
    echo "0 passed, 1 failed"; exit 1
}

for _ in $(seq 1 600); do
    curl -fs -o /dev/null "http://127.0.0.1:$HTTP_PORT/web/login" && break
    kill -0 "$RUN_PID" 2>/dev/null || fail "make run stopped"
    sleep 1
done
curl -fs -o /dev/null "http://127.0.0.1:$HTTP_PORT/web/login" || fail "the server did not answer"
# make demo-mail: the supplier's invoice, DKIM-signed; the relay checks DKIM, SPF
# and DMARC like a milter, and Odoo trusts its results: an authenticated bill.
"$ROOT/.venv/bin/python" "$ROOT/dev/demo_mail.py" --port "$RELAY_PORT" --db "$DB" || fail "the relay did not take the demo mail"
auth=$(psql -d "$DB" -tAc "select l.state || ' | ' || l.auth_result || ' | ' || l.auth_details || ' | ' || count(m.id) from email_receiver_log l left join account_move m on m.email_receiver_log_id = l.id group by l.id order by l.id desc limit 1")
echo "check-real-install: make demo-mail: $auth"
[[ "$auth" == "accepted | pass | "*" | 1" ]] || fail "the demo mail did not become an authenticated bill"
# make demo-mail-pdf: a plain PDF invoice; the gateway accepts it with a draft
# "being read", and the server's cron worker (woken by the gateway's trigger)
# runs the conversion robot in its bounded child process and fills the draft.
"$ROOT/.venv/bin/python" "$ROOT/dev/demo_mail.py" --port "$RELAY_PORT" --db "$DB" --pdf || fail "the relay did not take the PDF mail"
query="select l.state || ' | ' || coalesce(m.email_receiver_reading, 'read') || ' | ' || coalesce(m.ref, '') || ' | ' || coalesce(m.invoice_date::text, '') || ' | ' || coalesce(m.email_receiver_pdf->'fields'->'total'->>0, '') from email_receiver_log l join account_move m on m.email_receiver_log_id = l.id order by l.id desc limit 1"
robot=$(psql -d "$DB" -tAc "$query")
echo "check-real-install: make demo-mail-pdf, as the gateway left it: $robot"
for waited in $(seq 1 120); do
    robot=$(psql -d "$DB" -tAc "$query")
    [[ "$robot" == *" | read | 2026-0502 | 2026-04-02 | 680.75" ]] && break
    sleep 1
done
echo "check-real-install: make demo-mail-pdf, after the follow-up job (${waited} s): $robot"
[[ "$robot" == *" | read | 2026-0502 | 2026-04-02 | 680.75" ]] || fail "the conversion robot did not fill the bill from the PDF"
"$ROOT/.venv/bin/python" "$ROOT/dev/demo_mail.py" --port "$RELAY_PORT" --db "$DB" --sales || fail "the relay did not take the mail"
auth=$(psql -d "$DB" -tAc "select auth_result || ' | ' || auth_details from email_receiver_log order by id desc limit 1")
echo "check-real-install: make demo-mail-sales: authentication $auth"
[[ "$auth" == pass* ]] || fail "the demo sales mail was not authenticated"
"$ROOT/.venv/bin/python" - "$OUTBOX" <<'PY' || fail "the buyer did not receive the UBL and the PDF"
import email, email.policy, sys, time
from pathlib import Path
outbox = Path(sys.argv[1])
deadline = time.time() + 180
while time.time() < deadline:
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if "lj@buyer.se" not in message["X-Sink-Rcpt-To"]:
            continue
        files = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}
        xml = [name for name, data in files.items() if name and name.endswith(".xml") and b"<Invoice" in data]
        pdf = [name for name, data in files.items() if name and name.endswith(".pdf") and data.startswith(b"%PDF-")]
        print(f"check-real-install: {path.name}: To {message['To']}, From {message['From']}, "
              f"subject {message['Subject']!r}, attachments {sorted(files)}")
        if "odoobot" in str(message["From"]).lower():
            print("check-real-install: the invoice went out From OdooBot, not from the company")
            sys.exit(1)
        if xml and pdf:
            print(f"check-real-install: the buyer received the UBL ({xml[0]}) and the PDF ({pdf[0]}, "
                  f"{len(files[pdf[0]])} bytes)")
            sys.exit(0)
        sys.exit(1)
    time.sleep(2)
print("check-real-install: no mail to lj@buyer.se within 180 s")
sys.exit(1)
PY
echo "make check-real-install: $(( $(date +%s) - start )) s"
echo "1 passed, 0 failed"
