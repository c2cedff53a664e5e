#!/usr/bin/env bash
# Refreshes the console's third-party files (app/console/assets/vendor) from
# the npm registry: `npm pack` of pinned versions into a temporary directory,
# their built files and licences copied here unchanged, VERSIONS rewritten
# with the versions and digests. Run it by hand to update a pin; the build
# and the tests never reach the network.
#
#   scripts/vendor-console.sh [htmx.org version] [htmx-ext-sse version] [uplot version]
set -euo pipefail
cd "$(dirname "$0")/.."
htmx=${1:-2.0.11}
sse=${2:-2.2.4}
uplot=${3:-1.6.32}
dest=app/console/assets/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "htmx.org@$htmx" "htmx-ext-sse@$sse" "uplot@$uplot" >/dev/null)
for pkg in "htmx.org-$htmx" "htmx-ext-sse-$sse" "uplot-$uplot"; do
	mkdir -p "$tmp/$pkg" && tar xzf "$tmp/$pkg.tgz" -C "$tmp/$pkg"
done
cp "$tmp/htmx.org-$htmx/package/dist/htmx.min.js" "$dest/htmx.min.js"
cp "$tmp/htmx.org-$htmx/package/LICENSE" "$dest/htmx.LICENSE"
cp "$tmp/htmx-ext-sse-$sse/package/dist/sse.min.js" "$dest/htmx-ext-sse.min.js"
cp "$tmp/htmx-ext-sse-$sse/package/LICENSE" "$dest/htmx-ext-sse.LICENSE"
cp "$tmp/uplot-$uplot/package/dist/uPlot.iife.min.js" "$tmp/uplot-$uplot/package/dist/uPlot.min.css" "$dest/"
cp "$tmp/uplot-$uplot/package/LICENSE" "$dest/uPlot.LICENSE"
sum() { sha256sum "$1" | cut -d' ' -f1; }
cat >"$dest/VERSIONS" <<END
# Third-party files of the console, checked in as built, served from the
# binary. Each came from the npm registry with \`npm pack NAME@VERSION\`; the
# file is the package's own built file, unchanged, and its licence sits
# beside it. sha256 is of the file as checked in, tarball of the package.
#
# file                  package        version  licence  sha256 (file)                                                     sha256 (npm tarball)
htmx.min.js             htmx.org       $htmx   0BSD     $(sum "$dest/htmx.min.js")  $(sum "$tmp/htmx.org-$htmx.tgz")
htmx-ext-sse.min.js     htmx-ext-sse   $sse    0BSD     $(sum "$dest/htmx-ext-sse.min.js")  $(sum "$tmp/htmx-ext-sse-$sse.tgz")
uPlot.iife.min.js       uplot          $uplot   MIT      $(sum "$dest/uPlot.iife.min.js")  $(sum "$tmp/uplot-$uplot.tgz")
uPlot.min.css           uplot          $uplot   MIT      $(sum "$dest/uPlot.min.css")  (same tarball)
#
# Licences: htmx.LICENSE, htmx-ext-sse.LICENSE, uPlot.LICENSE.
# To update: scripts/vendor-console.sh (npm pack into a temporary directory,
# copy dist files here, rewrite this file).
END
echo "vendor-console: $dest now has htmx $htmx, htmx-ext-sse $sse, uPlot $uplot" >&2
