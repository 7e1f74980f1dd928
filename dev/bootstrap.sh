#!/usr/bin/env bash
# Bootstrap a self-contained Odoo 19 development stack for this addon:
#   Odoo 19 from Debian's archive (unpacked into .odoo/, never installed),
#   a Python 3.11 virtualenv (.venv/), PostgreSQL and Chromium.
# Idempotent: every step checks whether it is already done and resumes a
# half-finished run. Downloads are cached in $AER_CACHE (outside the checkout).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_DIR="$ROOT/.odoo"
VENV="$ROOT/.venv"
CACHE="${AER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/account_email_receiver}"
ODOO_PKG="odoo-19"
# The packages whose files the web client symlinks to. Font Awesome comes from
# bookworm: sid's 7.x no longer ships the 4.x webfonts that Odoo's links name.
WEB_PKGS="libjs-jquery libjs-jquery-form libjs-underscore fonts-font-awesome/bookworm fonts-roboto-unhinted fonts-inconsolata fonts-ocr-b fonts-montserrat"
STEP=""

fail() {
    echo "bootstrap: step '$STEP' failed: $1" >&2
    [ -n "${2:-}" ] && echo "bootstrap: what to do: $2" >&2
    exit 1
}
step() { STEP="$1"; echo "bootstrap: $1"; }
trap 'rc=$?; [ $rc -ne 0 ] && [ -n "$STEP" ] && echo "bootstrap: stopped in step \"$STEP\" (exit $rc); fix the cause above and run the command again, it resumes." >&2' EXIT

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
    else fail "this step needs root, and there is no password-less sudo" "run 'sudo $*' once yourself, then run the command again"
    fi
}

APT_UPDATED=""
apt_install() {
    local missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ -z "$APT_UPDATED" ]; then
        as_root apt-get update -qq || fail "apt-get update failed" "check the network connection to your Debian mirror"
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || fail "apt-get install ${missing[*]} failed" "install these packages by hand and run the command again"
}

# --- 1. Odoo 19 from Debian sid ------------------------------------------------
debian_mirror() {
    # The machine's own Debian mirror, from deb822 .sources files or sources.list.
    local uri=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk '/^URIs:/ {for (i=2;i<=NF;i++) if ($i ~ /debian\/?$/ && $i !~ /security/) {print $i; exit}}' "$f")
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^(https?|file):/ && $i ~ /debian\/?$/ && $i !~ /security/) {print $i; exit}}' /etc/apt/sources.list)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

step_fetch_debs() {
    step "download $ODOO_PKG and the web client's packages from Debian sid"
    local apt_dir="$CACHE/apt" debs="$CACHE/debs"
    mkdir -p "$apt_dir/lists/partial" "$debs" "$apt_dir/archives/partial"
    local need=""
    for p in $ODOO_PKG $WEB_PKGS; do ls "$debs/${p%/*}_"*.deb >/dev/null 2>&1 || need="$need $p"; done
    [ -z "$need" ] && return 0
    command -v apt-get >/dev/null || fail "apt-get not found" "this bootstrap needs a Debian or Ubuntu machine"
    local mirror; mirror=$(debian_mirror)
    # A private sources list and lists directory: the system's apt setup is untouched.
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed="trusted=yes"
    [ -f "$keyring" ] && signed="signed-by=$keyring"
    printf 'deb [%s] %s sid main\ndeb [%s] %s bookworm main\n' "$signed" "$mirror" "$signed" "$mirror" > "$apt_dir/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
                -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o "APT::Sandbox::User=root"
                -o "Acquire::Languages=none" -o "Dir::State::Status=/dev/null" -o "Debug::NoLocking=1")
    if [ -z "$(ls "$apt_dir/lists/"*Packages* 2>/dev/null)" ] || [ -n "$(find "$apt_dir/lists" -maxdepth 1 -name '*Packages*' -mtime +7)" ]; then
        apt-get "${opts[@]}" update -qq >/dev/null 2>"$CACHE/apt-update.log" \
            || fail "cannot read Debian's sid index from $mirror (see $CACHE/apt-update.log)" "check the network connection to the Debian archive"
    fi
    (cd "$debs" && apt-get "${opts[@]}" download $need >/dev/null 2>"$CACHE/apt-download.log") \
        || fail "apt-get download$need failed (see $CACHE/apt-download.log)" "the package $ODOO_PKG must exist in Debian sid; check 'apt-cache policy' against $mirror"
}

step_unpack_odoo() {
    step "unpack Odoo 19 into .odoo/"
    local marker="$ODOO_DIR/.unpacked"
    local debs="$CACHE/debs" sig
    sig=$(cd "$debs" && ls *.deb | sort | tr '\n' ' ')
    if [ -f "$marker" ] && [ "$(cat "$marker")" = "$sig" ]; then return 0; fi
    rm -rf "$ODOO_DIR.tmp"
    mkdir -p "$ODOO_DIR.tmp"
    for deb in "$debs"/*.deb; do dpkg -x "$deb" "$ODOO_DIR.tmp" || fail "dpkg -x $deb failed" "delete $deb and run again"; done
    # Debian's odoo links its web assets relatively (../../share/...), so the
    # links resolve inside .odoo/ once the packages above are unpacked beside it.
    local site="$ODOO_DIR.tmp/usr/lib/python3/dist-packages"
    [ -d "$site/odoo" ] || fail "the unpacked $ODOO_PKG has no odoo package" "report this: Debian's package layout changed"
    local selfie="$site/odoo/addons/mail/static/lib/selfie_segmentation/selfie_segmentation.js"
    mkdir -p "$(dirname "$selfie")"
    [ -s "$selfie" ] || echo "/* placeholder: stripped by Debian, only used for video-call background blur */" > "$selfie"
    rm -rf "$ODOO_DIR"
    mv "$ODOO_DIR.tmp" "$ODOO_DIR"
    echo "$sig" > "$marker"
}

# --- 2. Python virtualenv -------------------------------------------------------
step_make_venv() {
    step "Python 3.11 virtualenv in .venv/"
    local py="${PYTHON:-}"
    if [ -z "$py" ]; then
        for c in python3.11 python3; do
            if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then py=$c; break; fi
        done
    fi
    if [ -z "$py" ]; then
        apt_install python3 python3-venv python3-dev
        py=python3
    fi
    local req="$ROOT/requirements-dev.txt" stamp="$VENV/.requirements.sha"
    local sha; sha=$(cat "$ROOT"/requirements*.txt | sha256sum | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sha" ] && return 0
    [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV" || fail "python -m venv failed" "install python3-venv"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$req" >"$VENV/pip.log" 2>&1 \
        || fail "pip install -r requirements-dev.txt failed (see .venv/pip.log)" "check the network connection to PyPI"
    local site; site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$ODOO_DIR/usr/lib/python3/dist-packages" > "$site/odoo-debian.pth"
    echo "$sha" > "$stamp"
}

# --- 3. PostgreSQL --------------------------------------------------------------
step_postgres() {
    step "PostgreSQL on ${PGHOST:-127.0.0.1}:${PGPORT:-5432}"
    export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}"
    if ! command -v pg_isready >/dev/null || ! pg_isready -q; then
        apt_install postgresql postgresql-client
        if ! pg_isready -q; then
            local v; v=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
            [ -n "$v" ] || fail "no PostgreSQL cluster found after installing postgresql" "create one with pg_createcluster"
            as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || as_root pg_ctlcluster "$v" main start \
                || fail "cannot start PostgreSQL $v" "start it with 'pg_ctlcluster $v main start'"
            for _ in $(seq 20); do pg_isready -q && break; sleep 1; done
            pg_isready -q || fail "PostgreSQL does not answer on $PGHOST:$PGPORT" "check its log in /var/log/postgresql"
        fi
    fi
    local user="${DB_USER:-$(id -un)}"
    [ "$user" = postgres ] && fail "Odoo refuses to run as the postgres role" "run as another user"
    if ! psql -d postgres -tAc "select 1" >/dev/null 2>&1; then
        # No role for us yet: create it through the postgres superuser.
        if psql -U postgres -d postgres -tAc "select 1" >/dev/null 2>&1; then
            psql -U postgres -d postgres -qc "create role \"$user\" login createdb" \
                || fail "cannot create the PostgreSQL role $user" "create it: createuser -d $user"
        else
            as_root su postgres -c "psql -qc 'create role \"$user\" login createdb superuser'" \
                || fail "cannot create the PostgreSQL role $user" "create it: sudo -u postgres createuser -d $user"
        fi
    fi
}

# --- 4. Chromium for browser tests ----------------------------------------------
step_chromium() {
    step "Chromium for the browser tests"
    command -v chromium >/dev/null || apt_install chromium fonts-liberation
}

# --- 5. wkhtmltopdf: outside test mode Odoo prints invoices (the PDF sent with
# the UBL) with it; tests render HTML and would never notice it missing.
step_wkhtmltopdf() {
    step "wkhtmltopdf for invoice PDFs"
    command -v wkhtmltopdf >/dev/null || apt_install wkhtmltopdf
}

# --- 6. Tesseract: the conversion robot reads scans (a PDF without a text
# layer, or a picture) with Debian's OCR engine and its Dutch, German, French
# and English data, through pytesseract.
step_tesseract() {
    step "Tesseract OCR with Dutch, German, French and English"
    apt_install tesseract-ocr tesseract-ocr-eng tesseract-ocr-nld tesseract-ocr-deu tesseract-ocr-fra
}

# --- 7. Postfix and Dovecot: the tests run a private Postfix (SMTP, piping to
# odoo-mailgate.py) and a private Dovecot (IMAP over SSL, fetched by Odoo's
# incoming mail server) on loopback, each with its own configuration and
# spool under a temporary folder; the system's own instances are not started.
step_mail_servers() {
    step "Postfix and Dovecot for the mail path tests"
    if ! dpkg -s postfix >/dev/null 2>&1; then
        printf 'postfix postfix/main_mailer_type select No configuration\n' | as_root debconf-set-selections 2>/dev/null || true
    fi
    apt_install postfix dovecot-imapd
}

# Ensure the Odoo addons bundle sees this checkout under its technical name.
step_addons_link() {
    step "addons path"
    mkdir -p "$ROOT/.addons"
    ln -sfn "$ROOT" "$ROOT/.addons/account_email_receiver"
}

step_fetch_debs
step_unpack_odoo
step_make_venv
step_postgres
step_chromium
step_wkhtmltopdf
step_tesseract
step_mail_servers
step_addons_link
STEP=""
echo "bootstrap: ready"
