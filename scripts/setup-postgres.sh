#!/usr/bin/env bash
# Makes sure a local PostgreSQL with the pgvector extension is running.
#
# It does nothing that is already done: a running server is left alone, and an
# installed pgvector is not rebuilt. Debian 12 has no pgvector package, so when
# no distribution package exists it builds Debian trixie's source package against
# the local server (about 30 s), fetched from the Debian archive this machine's
# apt sources already use, so that local mirrors and proxies keep working. Used
# by `make run`, `make test` and .ci/run. Sourced (as scripts/setup_postgres_test.go
# does), it only defines its functions.
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
	local codename archive entry sources=/etc/apt/sources.list.d/pff-trixie-src.list
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	archive=$(debian_archive_uri /etc/apt "$codename")
	entry=$(trixie_sources_entry "$archive")
	if [ "$(cat "$sources" 2>/dev/null)" != "$entry" ]; then
		log "adding '$entry' to $sources"
		echo "$entry" | as_root tee "$sources" >/dev/null
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

# debian_archive_uri APT_DIR CODENAME prints the URI of the Debian archive
# that APT_DIR's sources (sources.list, then sources.list.d/*.list and
# *.sources in deb822 form, in the order apt reads them) use for the release
# CODENAME: the first enabled deb entry of suite CODENAME (or a Debian suite
# alias such as stable) with component main. Security, updates and backports
# suites, deb-src entries, CDs and third-party repositories (suites of their
# own, or no main component) are passed over. It fails with a message when
# there is none.
debian_archive_uri() {
	local apt=$1 codename=$2 file uri
	local files=()
	[ -f "$apt/sources.list" ] && files+=("$apt/sources.list")
	while IFS= read -r file; do
		files+=("$file")
	done < <(find "$apt/sources.list.d" -maxdepth 1 -type f \( -name '*.list' -o -name '*.sources' \) 2>/dev/null | LC_ALL=C sort)
	if [ -n "$codename" ]; then
		for file in "${files[@]}"; do
			case $file in
			*.sources) uri=$(deb822_archive_uri "$codename" <"$file") ;;
			*) uri=$(one_line_archive_uri "$codename" <"$file") ;;
			esac
			if [ -n "$uri" ]; then
				echo "$uri"
				return 0
			fi
		done
	fi
	log "no Debian archive for ${codename:-this release} in $apt/sources.list or $apt/sources.list.d/ (a deb entry of suite ${codename:-CODENAME} with component main); add the one this machine should use, or install pgvector by hand"
	return 1
}

# The suites that name a Debian release, besides its codename.
debian_suite_aliases='stable oldstable oldoldstable testing unstable sid'

# one_line_archive_uri CODENAME reads a sources.list of one-line entries
# (deb [options] URI SUITE COMPONENT...) and prints the archive's URI.
one_line_archive_uri() {
	awk -v codename="$1" -v aliases="$debian_suite_aliases" '
		BEGIN { n = split(aliases, a, " "); for (i = 1; i <= n; i++) release[a[i]] = 1; release[codename] = 1 }
		{
			sub(/#.*/, "")
			if ($1 != "deb") next
			line = $0
			sub(/^[[:space:]]*deb[[:space:]]+/, "", line)
			if (line ~ /^\[/) sub(/^\[[^]]*\][[:space:]]*/, "", line)
			n = split(line, f, /[[:space:]]+/)
			if (n < 3 || f[1] ~ /^cdrom:/ || !(f[2] in release)) next
			for (i = 3; i <= n; i++) if (f[i] == "main") { print f[1]; exit }
		}'
}

# deb822_archive_uri CODENAME reads a deb822 .sources file and prints the
# first URI of its first enabled deb stanza for the release.
deb822_archive_uri() {
	awk -v codename="$1" -v aliases="$debian_suite_aliases" '
		BEGIN { n = split(aliases, a, " "); for (i = 1; i <= n; i++) release[a[i]] = 1; release[codename] = 1 }
		function has(list, word,    w, i, k) { k = split(list, w, /[[:space:]]+/); for (i = 1; i <= k; i++) if (w[i] == word) return 1; return 0 }
		function stanza_end(    s, i, k, u, j, m) {
			if (has(field["types"], "deb") && tolower(field["enabled"]) != "no" && has(field["components"], "main")) {
				k = split(field["suites"], s, /[[:space:]]+/)
				for (i = 1; i <= k; i++) if (s[i] in release) {
					m = split(field["uris"], u, /[[:space:]]+/)
					for (j = 1; j <= m; j++) if (u[j] != "" && u[j] !~ /^cdrom:/) { print u[j]; found = 1; exit }
				}
			}
			delete field
		}
		/^#/ { next }
		/^[[:space:]]*$/ { stanza_end(); next }
		/^[[:space:]]/ { field[key] = field[key] " " $0; next }
		{
			key = tolower($0); sub(/:.*/, "", key)
			value = $0; sub(/^[^:]*:[[:space:]]*/, "", value)
			field[key] = value
		}
		END { if (!found) stanza_end() }'
}

# trixie_sources_entry URI prints the apt entry of trixie's source packages
# from the archive at URI.
trixie_sources_entry() {
	echo "deb-src $1 trixie main"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	install_pgvector
	start_postgres
fi
