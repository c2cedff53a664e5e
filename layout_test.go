package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/pff/pff"

// dependency is one import of a package of the module.
type dependency struct {
	pkg, dep string
	// test says only the package's tests import it.
	test bool
}

// imports lists what each package of the module imports, as `go list` sees
// it.
func imports(t *testing.T) []dependency {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports ","}}|{{join .TestImports ","}},{{join .XTestImports ","}}`, "./...").Output()
	require.NoError(t, err)
	var deps []dependency
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		fields := strings.Split(strings.TrimSpace(line), "|")
		require.Len(t, fields, 3, line)
		for i, list := range fields[1:] {
			for dep := range strings.SplitSeq(list, ",") {
				if dep != "" {
					deps = append(deps, dependency{pkg: fields[0], dep: dep, test: i == 1})
				}
			}
		}
	}
	return deps
}

// TestDependenciesPointOneWay checks the layout README.md describes: main →
// app → domain, store, jobs, embed; only app/httpapi speaks echo; domain
// packages know nothing of HTTP; the front ends are app/httpapi and
// app/console, which it mounts.
func TestDependenciesPointOneWay(t *testing.T) {
	t.Parallel()
	deps := imports(t)
	require.NotEmpty(t, deps)
	// Packages that are HTTP by nature: the front end, the command that
	// serves it and probes it, and the BSS client and its simulator.
	speaksHTTP := map[string]bool{module + "/app": true, module + "/app/httpapi": true, module + "/app/console": true,
		module + "/app/bss": true, module + "/app/bss/bsssim": true, module + "/scripts/barehttp": true, module: true}
	for _, d := range deps {
		pkg, dep := d.pkg, d.dep
		switch {
		case strings.HasPrefix(dep, "github.com/labstack/echo"):
			require.Equal(t, module+"/app/httpapi", pkg, "only app/httpapi (and its tests) imports echo")
		case dep == "net/http" && strings.HasPrefix(pkg, module+"/app/") && !d.test:
			require.True(t, speaksHTTP[pkg], "%s is a domain package and imports net/http", pkg)
		case strings.HasPrefix(dep, module+"/app") || strings.HasPrefix(dep, module+"/jobs"):
			for _, leaf := range []string{"/store", "/embed", "/migrations"} {
				require.False(t, pkg == module+leaf, "%s is a leaf and imports %s", pkg, dep)
			}
			if strings.HasPrefix(pkg, module+"/jobs") {
				require.NotEqual(t, module+"/app", dep, "jobs imports app")
				require.NotEqual(t, module+"/app/httpapi", dep, "jobs imports app/httpapi")
			}
			// The front ends (the API and the console) may call jobs.
			if strings.HasPrefix(pkg, module+"/app/") && pkg != module+"/app/httpapi" && pkg != module+"/app/console" && !d.test {
				require.NotEqual(t, module+"/app", dep, "%s imports the command package app", pkg)
				require.NotEqual(t, module+"/jobs", dep, "%s is a domain package and imports jobs", pkg)
			}
		}
	}
}
