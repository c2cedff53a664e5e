#!/usr/bin/env bash
# Creates the database named in DATABASE_URL (default: pff on the local server)
# when it does not exist yet, so `make run` works on a fresh machine.
set -euo pipefail
url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pff?sslmode=disable}
name=${url##*/}
name=${name%%\?*}
admin=${url%/*}/postgres
if [ "$(psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
	psql "$admin" -qc "CREATE DATABASE \"$name\""
	echo "create-database: created $name" >&2
fi
