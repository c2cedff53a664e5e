#!/usr/bin/env bash
# Makes sure Wine can run PFF's Windows test binaries, for `make test-windows`:
# Debian's wine64, and a Wine prefix (WINEPREFIX, default
# ~/.cache/pff-wine) with the bcryptprimitives.dll that Go programs need.
# Packages are installed once with apt-get from the archive this machine
# already uses; nothing else is downloaded. Prints the wine64 to run.
#
# Go 1.22 and later fetch random bytes from ProcessPrng in
# bcryptprimitives.dll, which Wine 8.0 (Debian 12) does not provide, so a Go
# program dies at start with "bcryptprimitives.dll not found". The prefix gets
# a DLL whose only export forwards ProcessPrng to advapi32's RtlGenRandom
# (SystemFunction036), linked from a definition file by MinGW-w64's ld
# (binutils-mingw-w64-x86-64; no compiler). Windows 10 and later have the
# real DLL.
set -euo pipefail

log() { printf 'setup-wine: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian 12's wine64 installs /usr/lib/wine/wine64 and no command on PATH.
find_wine() {
	for w in wine64 /usr/lib/wine/wine64 wine; do
		if command -v "$w" >/dev/null 2>&1; then command -v "$w"; return 0; fi
	done
	return 1
}

missing=()
find_wine >/dev/null || missing+=(wine64)
command -v x86_64-w64-mingw32-ld >/dev/null 2>&1 || missing+=(binutils-mingw-w64-x86-64)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian's ${missing[*]} (about 400 MB, once)"
	as_root apt-get -o DPkg::Lock::Timeout=900 update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi
wine=$(find_wine) || { log "apt-get finished but there is no wine64"; exit 1; }

export WINEPREFIX="${WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/pff-wine}" WINEDEBUG="${WINEDEBUG:--all}"
system32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -d "$system32" ]; then
	log "creating the Wine prefix $WINEPREFIX"
	"$wine" wineboot --init >/dev/null 2>&1 || true
	[ -d "$system32" ] || { log "wineboot did not create $system32"; exit 1; }
fi
if [ ! -f "$system32/bcryptprimitives.dll" ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	printf 'LIBRARY bcryptprimitives\nEXPORTS\n  ProcessPrng = advapi32.SystemFunction036\n' >"$work/bcryptprimitives.def"
	x86_64-w64-mingw32-as -o "$work/empty.o" </dev/null
	x86_64-w64-mingw32-ld --dll -e 0 -o "$system32/bcryptprimitives.dll" "$work/empty.o" "$work/bcryptprimitives.def"
	log "added bcryptprimitives.dll (ProcessPrng) to $WINEPREFIX"
fi
echo "$wine"
