# Shared by scripts/test and scripts/bench: the system tools the tests need on a Debian machine
# (a PostgreSQL server and its client, Chromium to render the results report, openssl and curl
# for the HTTPS test, Python with venv
# for the Python tools, cargo-nextest), installed when missing. Only what is missing is
# installed, with one `apt-get update`; as root only: anyone else is told what to install.
# Source it from the repository root.

# The Debian packages of the missing tools, one per line.
missing_debian_packages() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v pg_ctl >/dev/null || echo postgresql
  command -v psql >/dev/null || echo postgresql-client
  command -v chromium >/dev/null || echo chromium
  # The HTTPS test makes its certificate with openssl and calls the server with curl.
  command -v openssl >/dev/null || echo openssl
  command -v curl >/dev/null || echo curl
  if ! command -v python3 >/dev/null; then
    echo python3
    echo python3-venv
  elif ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    # Debian splits venv's pip bootstrap into its own package.
    echo python3-venv
  fi
}

# install_test_tools: installs (as root) or names (otherwise) what the tests need and lacks.
install_test_tools() {
  local packages
  mapfile -t packages < <(missing_debian_packages)
  if [ ${#packages[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "the tests need these Debian packages: ${packages[*]}" >&2
      echo "install them (sudo apt-get install ${packages[*]}) and run this again" >&2
      exit 1
    fi
    echo "installing ${packages[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  fi
  if ! command -v cargo-nextest >/dev/null; then
    echo "installing cargo-nextest" >&2
    cargo install cargo-nextest --locked
  fi
}
