// Package scripts holds the tests of the shell scripts beside them.
package scripts

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The hosts here are made up (.invalid): no archive's name is written into
// the repository.

// awks are the awk programs the script is run with: a fresh Debian has
// mawk as its awk, others gawk.
func awks(t *testing.T) []string {
	t.Helper()
	var found []string
	for _, name := range []string{"mawk", "gawk"} {
		if path, err := exec.LookPath(name); err == nil {
			found = append(found, path)
		}
	}
	if len(found) == 0 {
		path, err := exec.LookPath("awk")
		require.NoError(t, err, "no awk")
		found = append(found, path)
	}
	return found
}

// archiveURI runs setup-postgres.sh's debian_archive_uri on an apt
// configuration made of files (paths relative to the apt directory) with
// each awk, and returns what it printed, its diagnostics and whether it
// succeeded, which must be the same for all.
func archiveURI(t *testing.T, files map[string]string, codename string) (string, string, bool) {
	t.Helper()
	apt := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(apt, "sources.list.d"), 0o755))
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(apt, name), []byte(content), 0o644))
	}
	var first []any
	for _, awk := range awks(t) {
		bin := t.TempDir()
		require.NoError(t, os.Symlink(awk, filepath.Join(bin, "awk")))
		cmd := exec.Command("bash", "-c", `source ./setup-postgres.sh && debian_archive_uri "$1" "$2"`, "test", apt, codename)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if _, ok := errors.AsType[*exec.ExitError](err); !ok {
			require.NoError(t, err)
		}
		got := []any{strings.TrimSpace(stdout.String()), stderr.String(), err == nil}
		if first == nil {
			first = got
		}
		require.Equal(t, first, got, "%s agrees", awk)
	}
	return first[0].(string), first[1].(string), first[2].(bool)
}

// The deb-src entry for trixie must use the archive the machine already
// uses, so that local mirrors and proxies keep working.
func TestDebianArchiveURIComesFromTheMachinesSources(t *testing.T) {
	t.Parallel()
	deb822 := `Types: deb
# a snapshot would go here
URIs: http://mirror.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main
`
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"deb822, as Debian 12 images have it", map[string]string{
			"sources.list.d/debian.sources": deb822,
			// apt reads only *.list and *.sources
			"sources.list.d/vendor.list.disabled-by-farm": "deb http://ignored.invalid/debian bookworm main\n",
			"sources.list.d/pff-trixie-src.list":          "deb-src http://old.invalid/debian trixie main\n",
		}, "http://mirror.invalid/debian"},
		{"one-line format with options and comments", map[string]string{
			"sources.list": `# deb http://commented.invalid/debian bookworm main
deb-src http://src-only.invalid/debian bookworm main
deb http://mirror.invalid/debian-security bookworm-security main
  deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.invalid/debian bookworm main contrib # the archive
deb http://second.invalid/debian bookworm main
`,
		}, "http://mirror.invalid/debian"},
		{"a proxy", map[string]string{
			"sources.list": "deb http://127.0.0.1:3142/debian bookworm main\n",
		}, "http://127.0.0.1:3142/debian"},
		{"sources.list before sources.list.d, which is read in order", map[string]string{
			"sources.list":                 "deb http://first.invalid/debian bookworm main\n",
			"sources.list.d/a.sources":     strings.ReplaceAll(deb822, "mirror.invalid", "second.invalid"),
			"sources.list.d/0-vendor.list": "deb https://vendor.invalid/apt bookworm-pgdg main\n",
		}, "http://first.invalid/debian"},
		{"sources.list.d in name order", map[string]string{
			"sources.list.d/b.list":    "deb http://b.invalid/debian bookworm main\n",
			"sources.list.d/a.sources": strings.ReplaceAll(deb822, "mirror.invalid", "a.invalid"),
		}, "http://a.invalid/debian"},
		{"third-party repositories are not the archive", map[string]string{
			"sources.list.d/0-vendor.list": "deb [signed-by=/usr/share/keyrings/v.gpg] https://vendor.invalid/linux/debian bookworm stable\n" +
				"deb https://pg.invalid/apt bookworm-pgdg main\n",
			"sources.list.d/1-node.sources": "Types: deb\nURIs: https://node.invalid/node_20.x\nSuites: nodistro\nComponents: main\n",
			"sources.list.d/debian.sources": deb822,
		}, "http://mirror.invalid/debian"},
		{"disabled stanza, several URIs, deb and deb-src", map[string]string{
			"sources.list.d/debian.sources": `Types: deb
URIs: http://off.invalid/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb-src deb
URIs: http://one.invalid/debian
 http://two.invalid/debian
Suites: bookworm
Components: contrib main non-free-firmware
`,
		}, "http://one.invalid/debian"},
		{"the stable alias", map[string]string{
			"sources.list": "deb http://mirror.invalid/debian stable main\n",
		}, "http://mirror.invalid/debian"},
		{"a CD is no archive", map[string]string{
			"sources.list": "deb cdrom:[Debian GNU/Linux 12.5.0 _Bookworm_]/ bookworm main\ndeb http://mirror.invalid/debian bookworm main\n",
		}, "http://mirror.invalid/debian"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, stderr, ok := archiveURI(t, tt.files, "bookworm")
			require.True(t, ok, stderr)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDebianArchiveURIFailsClearlyWithoutOne(t *testing.T) {
	t.Parallel()
	for name, files := range map[string]map[string]string{
		"no sources at all": {},
		"only security, sources and third parties": {
			"sources.list": "deb http://mirror.invalid/debian-security bookworm-security main\n" +
				"deb-src http://mirror.invalid/debian bookworm main\n" +
				"deb https://vendor.invalid/apt bookworm-pgdg main\n",
		},
		"another release": {"sources.list": "deb http://mirror.invalid/debian bullseye main\n"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, stderr, ok := archiveURI(t, files, "bookworm")
			require.False(t, ok)
			require.Empty(t, got)
			require.Contains(t, stderr, "setup-postgres: no Debian archive for bookworm in ")
			require.Contains(t, stderr, "sources.list")
		})
	}
}

// The entry written for the source build: trixie's sources from the same
// archive.
func TestTrixieSourcesEntry(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("bash", "-c", `source ./setup-postgres.sh && trixie_sources_entry http://mirror.invalid/debian`).Output()
	require.NoError(t, err)
	require.Equal(t, "deb-src http://mirror.invalid/debian trixie main\n", string(out))
}

// Sourcing the script, as the tests do, must not run it.
func TestSetupPostgresDoesNothingWhenSourced(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("bash", "-c", `source ./setup-postgres.sh && echo sourced`).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "sourced\n", string(out))
}

// No archive host is written into the script.
func TestSetupPostgresNamesNoArchive(t *testing.T) {
	t.Parallel()
	script, err := os.ReadFile("setup-postgres.sh")
	require.NoError(t, err)
	require.NotRegexp(t, `https?://[a-z0-9.-]+\.(org|com|net|io)`, string(script))
}
