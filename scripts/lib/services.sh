# Shared by scripts/test and scripts/bench: Python tools in virtual environments inside the
# checkout, and local servers on 127.0.0.1 (a moto AWS emulator, a throwaway PostgreSQL
# cluster), stopped when the calling script exits. Source it from the repository root.

python=${PYTHON:-python3}
cleanup=()
trap 'for step in "${cleanup[@]}"; do eval "$step"; done' EXIT

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# venv DIR REQUIREMENTS: a virtual environment with REQUIREMENTS installed, redone only when
# the requirements file changes.
venv() {
  local dir=$1 requirements=$2
  if [ ! -x "$dir/bin/python" ]; then
    "$python" -m venv "$dir"
  fi
  if ! cmp -s "$requirements" "$dir/.installed-requirements"; then
    echo "installing $requirements into $dir" >&2
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$dir/.installed-requirements"
  fi
}

# browser_tools DIR: Chromium and Node.js (installed with apt-get when missing, as root), and
# DIR's npm packages exactly as its lock file pins them, redone only when the lock changes.
browser_tools() {
  local dir=$1 missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "missing ${missing[*]}: install them (Debian: apt-get install ${missing[*]})" >&2
      exit 1
    fi
    apt-get install -y "${missing[@]}" >&2
  fi
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-lock"; then
    echo "installing $dir's npm packages" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
    cp "$dir/package-lock.json" "$dir/node_modules/.installed-lock"
  fi
}

# start_moto: a moto server (from .venv-tools) whose Batch jobs complete without Docker;
# exports FREDBATCH_TEST_MOTO_URL.
start_moto() {
  mkdir -p target
  local port url pid
  port=$(free_port)
  url="http://127.0.0.1:$port"
  .venv-tools/bin/moto_server -H 127.0.0.1 -p "$port" >target/moto.log 2>&1 &
  pid=$!
  cleanup+=("kill $pid 2>/dev/null || true")
  for _ in $(seq 1 100); do
    if "$python" -c "import urllib.request; urllib.request.urlopen('$url/moto-api/')" 2>/dev/null; then
      break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the moto server did not start; see target/moto.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  "$python" - "$url" <<'PY'
import json, sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/moto-api/config", data=json.dumps({"batch": {"use_docker": False}}).encode(), method="POST")
urllib.request.urlopen(request)
PY
  export FREDBATCH_TEST_MOTO_URL=$url
}

# start_postgres: a throwaway PostgreSQL cluster (trust auth, no fsync) on 127.0.0.1;
# exports FREDBATCH_TEST_POSTGRES_URL.
start_postgres() {
  local pg_bin pg_dir port
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$pg_bin" ] && command -v pg_ctl >/dev/null; then
    pg_bin=$(dirname "$(command -v pg_ctl)")
  fi
  if [ -z "$pg_bin" ]; then
    echo "PostgreSQL is not installed; install it (Debian: apt-get install postgresql)" >&2
    exit 1
  fi
  pg_dir=$(mktemp -d /tmp/fredbatch-pg.XXXXXX)
  local as_pg=""
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root.
    chown postgres: "$pg_dir"
    as_pg="runuser -u postgres --"
  fi
  port=$(free_port)
  $as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >"$pg_dir/initdb.log" 2>&1 || {
    cat "$pg_dir/initdb.log" >&2
    exit 1
  }
  $as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w start \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null || {
    cat "$pg_dir/server.log" >&2
    exit 1
  }
  cleanup+=("$as_pg $pg_bin/pg_ctl -D $pg_dir/data -m immediate stop >/dev/null 2>&1 || true; rm -rf $pg_dir")
  export FREDBATCH_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
}
