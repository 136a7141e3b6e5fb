# Sourced by test.sh: make sure a PostgreSQL server answers on 127.0.0.1:5432
# and export KIOSK_TEST_PG_URL for the store tests. Never fatal: when no
# server can be had, the PostgreSQL tests skip and say why (CI sets
# KIOSK_REQUIRE_PG=1, which turns that skip into a failure).
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
pg_up() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }
can_login() { PGCONNECT_TIMEOUT=3 psql "$1" -qAtc 'select 1' >/dev/null 2>&1; }

if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "postgres: installing Debian's postgresql package"
    as_root apt-get update -qq || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || true
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for v in $(ls /etc/postgresql 2>/dev/null); do
      as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
    done
    for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
  fi
fi

if [ -z "${KIOSK_TEST_PG_URL:-}" ] && pg_up; then
  if can_login "postgresql://postgres@127.0.0.1:5432/test"; then
    export KIOSK_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test"
  else
    # A stock Debian server wants a password over TCP: make a test role and database.
    as_root runuser -u postgres -- psql -qc \
      "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='gatekiosk') THEN
         CREATE ROLE gatekiosk LOGIN PASSWORD 'gatekiosk'; END IF; END\$\$;
       ALTER ROLE gatekiosk CREATEDB;" >/dev/null 2>&1 || true   # the sync tests make <db>_central
    as_root runuser -u postgres -- createdb -O gatekiosk gatekiosk_test >/dev/null 2>&1 || true
    if can_login "postgresql://gatekiosk:gatekiosk@127.0.0.1:5432/gatekiosk_test"; then
      export KIOSK_TEST_PG_URL="postgresql+psycopg://gatekiosk:gatekiosk@127.0.0.1:5432/gatekiosk_test"
    fi
  fi
fi
[ -n "${KIOSK_TEST_PG_URL:-}" ] && echo "postgres: store tests use ${KIOSK_TEST_PG_URL}" \
  || echo "postgres: no server reachable; PostgreSQL tests will skip"
