#!/bin/sh
# Lays out the simulation-runner's runtime under ROOT: the fredbatch binary, FRED, and a
# writable work folder. The image runs it with ROOT=/; the tests run it into a temporary folder
# and run the worker from there, so the image's layout is tested without a container engine.
#
#   install-runtime.sh FREDBATCH_BINARY FRED_BUILD_DIR ROOT
#
# FRED_BUILD_DIR is a FRED installation (bin/FRED, data/...), as FRED_HOME expects.
set -eu
binary=$1 fred=$2 root=$3

if [ ! -x "$fred/bin/FRED" ]; then
  echo "install-runtime.sh: $fred/bin/FRED is missing or not executable; give a FRED build (FRED_HOME layout)" >&2
  exit 1
fi
install -d "$root/usr/local/bin" "$root/opt/fred" "$root/var/lib/fredbatch"
install -m 0755 "$binary" "$root/usr/local/bin/fredbatch"
cp -R "$fred/." "$root/opt/fred/"
# Workspaces and the worker's scratch files live here; the worker runs as a non-root user.
chmod 1777 "$root/var/lib/fredbatch"
