# Shared by scripts/run, scripts/test and bench/run: say what happens, and
# install what is missing (and only that) on a Debian machine with Rust and Node.
# shellcheck shell=bash

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132
# Tools that live outside the checkout, so that every clone reuses them.
SSP_TOOLS=${SSP_TOOLS:-$HOME/.cache/ssp/tools}
export PATH="$SSP_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\n\033[1;31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# Runs apt-get as root (directly or through sudo); `apt-get update` once per script run.
APT_UPDATED=
apt_install() {
  local sudo=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: $*"
    sudo=sudo
  fi
  if [ -z "$APT_UPDATED" ]; then
    note "apt-get update"
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  note "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The wasm-bindgen version pinned in Cargo.lock; the CLI must be exactly it.
locked_wasm_bindgen() {
  awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print}' "$ROOT/Cargo.lock"
}

# What every build needs: the WASM target, cargo-leptos, wasm-bindgen, wasm-opt.
setup_build_tools() {
  say "Checking build tools"
  command -v cargo >/dev/null || die "Rust is missing: install it with rustup (https://rustup.rs)"
  command -v npm >/dev/null || die "Node.js and npm are missing: apt-get install nodejs npm"

  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    note "installing the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi

  if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
    note "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on 2 cores, once)"
    cargo install --quiet "cargo-leptos@$CARGO_LEPTOS_VERSION" --locked
  fi

  local want
  want=$(locked_wasm_bindgen)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    note "installing wasm-bindgen-cli $want (matches Cargo.lock)"
    # Not --locked: its own lock names versions the registry no longer serves.
    cargo install --quiet "wasm-bindgen-cli@$want" --force
  fi

  if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "$BINARYEN_VERSION" ]; then
    note "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into $SSP_TOOLS"
    mkdir -p "$SSP_TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$SSP_TOOLS" "binaryen@$BINARYEN_VERSION" >/dev/null
  fi
  note "cargo-leptos $(cargo leptos --version | awk '{print $2}'), wasm-bindgen $(wasm-bindgen --version | awk '{print $2}'), wasm-opt $(wasm-opt --version | awk '{print $3}')"
}

# Builds the server and the WASM bundle. $1: "release" or "debug".
build_site() {
  local profile=$1
  say "Building the portal ($profile)"
  if [ "$profile" = release ]; then
    cargo leptos build --release
  else
    cargo leptos build
  fi
}

# Prints a free TCP port on 127.0.0.1.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits until $1/healthz answers, for at most $2 seconds.
wait_healthy() {
  local url=$1 seconds=${2:-60} i
  for ((i = 0; i < seconds * 10; i++)); do
    if curl -fsS -o /dev/null "$url/healthz" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Stops a process by PID: TERM, a grace period, then KILL.
stop_pid() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# PostgreSQL on 127.0.0.1:5432 (user postgres, trust on loopback): the server
# that answers there, or the installed cluster started, or one installed and
# started. Fails (status 1) when none can be reached.
pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
ensure_postgres() {
  pg_up && return 0
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    note "PostgreSQL is not installed: installing it"
    apt_install postgresql postgresql-client || true
  fi
  if ls /etc/postgresql/*/main >/dev/null 2>&1; then
    local version conf
    version=$(ls /etc/postgresql | sort -n | tail -1)
    conf=/etc/postgresql/$version/main
    # Connections as postgres over TCP without a password (loopback only).
    if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$conf/pg_hba.conf" 2>/dev/null; then
      sed -i '1i host all postgres 127.0.0.1/32 trust' "$conf/pg_hba.conf" 2>/dev/null || true
    fi
    note "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    for _ in $(seq 50); do pg_up && break; sleep 0.2; done
  fi
  pg_up
}
