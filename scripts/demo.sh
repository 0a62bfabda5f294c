#!/usr/bin/env bash
# `make demo`: start the local Plain emulator, publish content/ to it, then run the live preview.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
EMULATOR_PORT=${EMULATOR_PORT:-8765}
PREVIEW_PORT=${PREVIEW_PORT:-8000}
STATE=.publisher/demo
mkdir -p "$STATE"

"$BIN/publisher" check content

# State persists in a SQLite file, so a second `make demo` publishes nothing new.
"$BIN/publisher" emulator --port "$EMULATOR_PORT" --db "$STATE/emulator.sqlite3" \
  --help-center "Ledgerly" >"$STATE/emulator.log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true' EXIT

help_center=""
for _ in $(seq 1 100); do
  help_center=$(sed -n 's/^help center Ledgerly: //p' "$STATE/emulator.log")
  [ -n "$help_center" ] && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    cat "$STATE/emulator.log" >&2
    echo "the emulator did not start (is port $EMULATOR_PORT free? set EMULATOR_PORT)" >&2
    exit 1
  fi
  sleep 0.1
done
[ -n "$help_center" ] || { echo "the emulator did not start in time" >&2; exit 1; }

export PLAIN_API_URL="http://127.0.0.1:$EMULATOR_PORT/graphql/v1"
export PLAIN_API_KEY=plainApiKey_local_emulator  # the emulator's local key, not a secret
export PLAIN_HELP_CENTER_ID="$help_center"
"$BIN/publisher" publish content

echo
echo "Published help center (emulator web view): http://127.0.0.1:$EMULATOR_PORT/help-centers/$help_center"
echo "Live preview of content/ (edit a file and watch): http://127.0.0.1:$PREVIEW_PORT/"
echo "Ctrl-C stops both."
"$BIN/publisher" preview content --port "$PREVIEW_PORT"
