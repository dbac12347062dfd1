# Sourced by .ci/run: starts a throwaway PostgreSQL server on loopback for the
# Django tests and exports ENGAGEHUB_TEST_PG_DSN; the server is stopped and its
# folder removed when the sourcing shell exits. Needs the server binaries
# (Debian's postgresql package) and, when run as root, the postgres user
# (PostgreSQL refuses to run as root).

pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    echo ".ci/postgres.sh: no PostgreSQL server binaries under /usr/lib/postgresql" >&2
    exit 1
fi
PG_DIR="$(mktemp -d /tmp/engagehub-pg.XXXXXX)"
PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PG_DIR"
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

stop_postgres() {
    as_pg "$pg_bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap stop_postgres EXIT

as_pg "$pg_bin/initdb" -D "$PG_DIR/data" -U engagehub -A trust -E UTF8 --no-sync >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; exit 1; }
as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U engagehub engagehub
export ENGAGEHUB_TEST_PG_DSN="postgresql://engagehub@127.0.0.1:$PG_PORT/engagehub"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_DIR)"
