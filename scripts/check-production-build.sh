#!/usr/bin/env bash
# Proves the documented production path: build dist/ here (with the dev dependencies), install the
# production dependencies alone into a clean folder next to that build (npm ci --omit=dev: no tsx,
# no typescript), then run bin/matchbase from there: --help, `serve` on embedded PGlite in
# production mode until /readyz answers, and `migrate status` showing every migration applied.
# Usage: scripts/check-production-build.sh [--no-build]   (CI builds in a step of its own)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--no-build" ] || npm run build

work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cp -R package.json package-lock.json bin dist "$work/"
(cd "$work" && npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error)
for dev in tsx typescript vitest; do
  if [ -e "$work/node_modules/$dev" ]; then echo "production install holds the dev dependency $dev"; exit 1; fi
done

"$work/bin/matchbase" --help >/dev/null
echo "built CLI: --help ok"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
export NODE_ENV=production DATA_DIR="$work/data" HOST=127.0.0.1 PORT="$port" SEED_DEMO=false JOBS_ENABLED=false LOG_LEVEL=warn \
  JWT_SECRET="ci-only-jwt-secret-0123456789abcdef0123456789" OTP_PEPPER="ci-only-pepper" SMTP_URL="smtp://127.0.0.1:2525" \
  ENCRYPTION_KEYS="ci:$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')"
"$work/bin/matchbase" serve >"$work/serve.log" 2>&1 &
server_pid=$!
ready=""
for _ in $(seq 600); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=yes; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$ready" ]; then echo "the built server did not become ready:"; cat "$work/serve.log"; exit 1; fi
echo "built server: /readyz ok on port $port (NODE_ENV=production, embedded PGlite)"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

status="$("$work/bin/matchbase" migrate status)"
total=$(printf '%s\n' "$status" | grep -c .)
applied=$(printf '%s\n' "$status" | grep -c ' applied ' || true)
if [ "$total" -eq 0 ] || [ "$applied" -ne "$total" ]; then echo "migrations not all applied by the built server:"; echo "$status"; exit 1; fi
echo "built CLI: migrate status shows $applied of $total migrations applied (SQL files found in dist/)"
