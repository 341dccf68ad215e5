#!/usr/bin/env bash
# Makes sure the local services the test suite talks to are running (CI=true requires them).
set -uo pipefail
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
fi
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  fi
fi
bash "$(dirname "$0")/pg-tls-setup.sh" || echo 'pg-tls-setup failed; PostgreSQL TLS tests will fail under CI' >&2
# Debian's CRS 3.3 package: the WAF is tested against it as well as against ../shared/crs (CRS v4).
if [ ! -d /usr/share/modsecurity-crs/rules ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends modsecurity-crs) >/dev/null 2>&1 ||
    echo 'could not install modsecurity-crs; the CRS 3.3 WAF test will fail under CI' >&2
fi
exit 0
