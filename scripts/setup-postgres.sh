#!/usr/bin/env bash
# Makes sure a local PostgreSQL with the pgvector extension is running.
#
# It does nothing that is already done: a running server is left alone, and an
# installed pgvector is not rebuilt. Debian 12 has no pgvector package, so when
# no distribution package exists it builds Debian trixie's source package against
# the local server (about 30 s). Used by `make run`, `make test` and .ci/run.
set -euo pipefail

log() { printf 'setup-postgres: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

pg_major() {
	if command -v pg_lsclusters >/dev/null 2>&1; then
		pg_lsclusters --no-header | awk 'NR==1 {print $1}'
	else
		ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1
	fi
}

start_postgres() {
	if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
		return
	fi
	log "PostgreSQL is not accepting connections; starting the local cluster"
	local version
	version=$(pg_major)
	if [ -z "$version" ]; then
		log "no PostgreSQL installation found; install postgresql (apt-get install postgresql) first"
		exit 1
	fi
	as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
	for _ in $(seq 1 30); do
		pg_isready -q -h 127.0.0.1 -p 5432 && return
		sleep 1
	done
	log "PostgreSQL did not become ready on 127.0.0.1:5432"
	exit 1
}

pgvector_installed() {
	local pg_config=$1
	[ -f "$("$pg_config" --sharedir)/extension/vector.control" ]
}

install_pgvector() {
	local version pg_config
	version=$(pg_major)
	pg_config=/usr/lib/postgresql/$version/bin/pg_config
	[ -x "$pg_config" ] || pg_config=$(command -v pg_config)
	if pgvector_installed "$pg_config"; then
		return
	fi
	log "pgvector is missing for PostgreSQL $version"
	as_root apt-get -o DPkg::Lock::Timeout=900 update -qq
	# A distribution package, where one exists, beats a source build.
	if apt-cache show "postgresql-$version-pgvector" >/dev/null 2>&1; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq "postgresql-$version-pgvector"
		return
	fi
	log "no postgresql-$version-pgvector package; building Debian trixie's pgvector source package"
	local sources=/etc/apt/sources.list.d/pff-trixie-src.list
	if [ ! -f "$sources" ]; then
		echo 'deb-src http://deb.debian.org/debian trixie main' | as_root tee "$sources" >/dev/null
		as_root apt-get -o DPkg::Lock::Timeout=900 update -qq
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
		build-essential dpkg-dev "postgresql-server-dev-$version" >/dev/null
	local build
	build=$(mktemp -d)
	(
		cd "$build"
		apt-get source -qq pgvector >/dev/null 2>&1
		cd pgvector-*/
		make -s PG_CONFIG="$pg_config" >/dev/null
		as_root make -s PG_CONFIG="$pg_config" install >/dev/null
	)
	rm -rf "$build"
	pgvector_installed "$pg_config" || { log "pgvector build finished but vector.control is missing"; exit 1; }
	log "pgvector installed"
}

install_pgvector
start_postgres
