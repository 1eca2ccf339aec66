#!/usr/bin/env bash
# Serve the demo as `make demo` does: gunicorn (DEBUG off, WhiteNoise for static files) with the
# job worker beside it, neither ever running as root. Stops both on Ctrl-C / TERM / exit.
#
#   scripts/demo_serve.sh              HOST, PORT, MUEANG_WEB_WORKERS, MUEANG_WEB_THREADS from env
#
# As root it creates the system user `mueang` (no login shell, home /var/lib/mueang), gives it
# what the processes write (media/ with the uploads, staticfiles/) and `.env` (which stays mode
# 600, now owned by `mueang` so the processes can read it), and starts both processes as that
# user with setpriv (no new privileges, no capabilities). As any other user it runs them as that
# user. Database connections: at most WORKERS x THREADS for the web server plus 3 for the job
# worker (README, "Database connections"); 2 x 4 + 3 = 11, within the budget of 12.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
WORKERS="${MUEANG_WEB_WORKERS:-2}"
THREADS="${MUEANG_WEB_THREADS:-4}"
RUN_USER="${MUEANG_RUN_USER:-mueang}"
export DJANGO_SETTINGS_MODULE=geoapp.settings.demo
export PYTHONDONTWRITEBYTECODE=1

mkdir -p media/uploads staticfiles
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    if ! id -u "$RUN_USER" >/dev/null 2>&1; then
        useradd --system --user-group --home-dir "/var/lib/$RUN_USER" --create-home \
            --shell /usr/sbin/nologin "$RUN_USER"
    fi
    home="$(getent passwd "$RUN_USER" | cut -d: -f6)"
    mkdir -p "$home" && chown "$RUN_USER:$RUN_USER" "$home" && chmod 700 "$home"
    chown -R "$RUN_USER:$RUN_USER" media staticfiles
    if [ -f .env ]; then
        chown "$RUN_USER:$RUN_USER" .env
        chmod 600 .env
    fi
    export HOME="$home" USER="$RUN_USER" LOGNAME="$RUN_USER"
    as_user=(setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups --no-new-privs
             --inh-caps=-all --bounding-set=-all --)
    # The processes read the checkout as that user: every parent folder must let it through.
    if ! "${as_user[@]}" test -r "$ROOT/manage.py"; then
        echo "[demo] the $RUN_USER user cannot read $ROOT: a parent folder is private." >&2
        echo "[demo] Move the checkout (e.g. to /srv or /opt) or let others pass through its" \
            "parent folders (chmod o+x on each)." >&2
        exit 1
    fi
fi

"${as_user[@]}" "$BIN/python" manage.py collectstatic --noinput -v 0

pids=()
stop() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop EXIT INT TERM

MUEANG_DB_APPLICATION_NAME=mueang-jobs "${as_user[@]}" "$BIN/python" manage.py run_jobs &
pids+=($!)
# gthread: WORKERS processes x THREADS threads answer at once (each thread one database
# connection); more clients wait in gunicorn's queue (backlog), never for a database slot.
MUEANG_DB_APPLICATION_NAME=mueang-web "${as_user[@]}" "$BIN/gunicorn" geoapp.wsgi \
    --bind "$HOST:$PORT" --worker-class gthread --workers "$WORKERS" --threads "$THREADS" \
    --backlog 2048 --timeout 120 --graceful-timeout 10 --log-level warning &
pids+=($!)
# Either one ending ends the demo (and the trap stops the other).
wait -n "${pids[@]}"
