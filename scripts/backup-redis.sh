#!/usr/bin/env bash
# Back up the Redis of a wabot installation: an RDB snapshot of the whole instance (every
# database: hub, handoff, Rasa trackers) streamed from the running server, plus its SHA-256.
#   scripts/backup-redis.sh [REDIS_URL] [OUT_DIR]
# REDIS_URL defaults to $REDIS_URL or redis://127.0.0.1:6379/0; OUT_DIR to var/backups.
# Restore: see docs/OPERATIONS.md ("Backup and restore").
set -euo pipefail
url="${1:-${REDIS_URL:-redis://127.0.0.1:6379/0}}"
out_dir="${2:-$(cd "$(dirname "$0")/.." && pwd)/var/backups}"
rest="${url#redis://}"
rest="${rest#*@}"                      # drop user:password@ (use REDISCLI_AUTH for a password)
hostport="${rest%%/*}"
host="${hostport%%:*}"
port="${hostport##*:}"
[[ "$port" == "$hostport" ]] && port=6379
command -v redis-cli >/dev/null || { echo "redis-cli not found: run make setup" >&2; exit 1; }
mkdir -p "$out_dir"
file="$out_dir/wabot-redis-$(date -u +%Y%m%dT%H%M%SZ).rdb"
redis-cli -h "$host" -p "$port" --rdb "$file" >/dev/null
sha256sum "$file" > "$file.sha256"
echo "$file"
