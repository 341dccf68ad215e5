#!/usr/bin/env bash
# Turns on TLS for the machine's PostgreSQL so the store's verified-TLS path is tested for real.
# Idempotent; run as root (CI runs it from scripts/ci-services.sh).
#
# Creates a throw-away test CA and a server certificate for localhost / 127.0.0.1 / ::1, points
# PostgreSQL at them (ssl = on, TLS >= 1.2) and reloads it. Outputs for the tests:
#   /var/lib/portcullis-test/pg-ca.pem        the CA that signed the server certificate
#   /var/lib/portcullis-test/pg-other-ca.pem  an unrelated CA (the "wrong CA" test)
# Authentication in pg_hba.conf is left as it is.
set -euo pipefail

OUT=${PORTCULLIS_TEST_DIR:-/var/lib/portcullis-test}
if ! command -v openssl >/dev/null 2>&1; then
  echo "pg-tls-setup: openssl is not installed" >&2
  exit 1
fi
if [ ! -d /etc/postgresql ]; then
  echo "pg-tls-setup: no /etc/postgresql (PostgreSQL not installed); nothing to do" >&2
  exit 0
fi
VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
CONF_DIR=/etc/postgresql/$VERSION/main
TLS_DIR=$CONF_DIR/portcullis-tls
mkdir -p "$OUT" "$TLS_DIR"
chmod 0755 "$OUT"

new_ca() { # dir name
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 60 \
    -subj "/CN=Portcullis test $2" -keyout "$1/$2.key" -out "$1/$2.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# Regenerate when missing or expiring within two days.
if [ ! -s "$TLS_DIR/server.pem" ] || ! openssl x509 -checkend 172800 -noout -in "$TLS_DIR/server.pem" >/dev/null 2>&1 \
  || [ ! -s "$OUT/pg-ca.pem" ] || ! cmp -s "$TLS_DIR/ca.pem" "$OUT/pg-ca.pem"; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  new_ca "$WORK" ca
  new_ca "$WORK" other-ca
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$WORK/server.ext"
  openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$WORK/server.ext" -out "$WORK/server.pem" 2>/dev/null
  install -o postgres -g postgres -m 0644 "$WORK/server.pem" "$TLS_DIR/server.pem"
  install -o postgres -g postgres -m 0600 "$WORK/server.key" "$TLS_DIR/server.key"
  install -o postgres -g postgres -m 0644 "$WORK/ca.pem" "$TLS_DIR/ca.pem"
  install -m 0644 "$WORK/ca.pem" "$OUT/pg-ca.pem"
  install -m 0644 "$WORK/other-ca.pem" "$OUT/pg-other-ca.pem"
fi

CONF_FILE=$CONF_DIR/conf.d/95-portcullis-tls.conf
WANT=$(printf '%s\n' "ssl = on" "ssl_cert_file = '$TLS_DIR/server.pem'" "ssl_key_file = '$TLS_DIR/server.key'" \
  "ssl_min_protocol_version = 'TLSv1.2'")
if [ ! -f "$CONF_FILE" ] || [ "$(cat "$CONF_FILE")" != "$WANT" ]; then
  printf '%s\n' "$WANT" >"$CONF_FILE"
  chown postgres:postgres "$CONF_FILE"
fi

# ssl settings take effect on reload (PostgreSQL >= 10); start the cluster if it is down.
if pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$VERSION" main reload
else
  pg_ctlcluster --skip-systemctl-redirect "$VERSION" main start
fi
for _ in $(seq 1 50); do
  if pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then break; fi
  sleep 0.2
done
echo "pg-tls-setup: PostgreSQL $VERSION TLS on; CA at $OUT/pg-ca.pem"
