#!/usr/bin/env bash
# Synrouter's overhead benchmark: direct vs nginx vs Synrouter (SQLite, PostgreSQL, two instances) vs
# LiteLLM and Portkey, JSON and SSE, 200 KB agent bodies.
# Installs wrk and nginx-light from Debian when missing (apt never starts services; the benchmark
# starts its own nginx from a config in a temp dir). Options are passed on: --profile, --quick.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "[bench] installing wrk and nginx-light from Debian..." >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk nginx-light >&2
fi
# PostgreSQL's server binaries, for the benchmark's own throwaway cluster (BENCH_POSTGRES=0 skips
# those targets); a no-op where they are installed.
if [ "${BENCH_POSTGRES:-1}" != 0 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "[bench] installing PostgreSQL from Debian..." >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
fi
# nginx lives in /usr/sbin, which is not on every user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"

if [ ! -x node_modules/.bin/node ]; then
  echo "[bench] node_modules missing: run npm install first" >&2
  exit 1
fi
node --version | grep -q '^v24\.' || echo "[bench] warning: running on $(node --version), the goals are stated for Node 24" >&2

exec node bench/overhead/run.ts "$@"
