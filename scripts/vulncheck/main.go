// Command vulncheck reads govulncheck's JSON (-format json) on its standard
// input and fails on a vulnerability that the code calls unless allowed.txt
// (the first argument) names it with the reason it does not apply. govulncheck
// has no way of its own to record such a reason, as //nolint and #nosec do
// for the linters.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// message is one message of govulncheck's JSON stream: only what is read.
type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
	} `json:"config"`
	Finding *struct {
		OSV   string `json:"osv"`
		Trace []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: govulncheck -format json ./... | vulncheck allowed.txt")
		os.Exit(2)
	}
	allowed, err := readAllowed(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	called, err := calledVulns(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	failed := false
	for _, id := range slices.Sorted(maps.Keys(called)) {
		if reason, ok := allowed[id]; ok {
			fmt.Printf("%s in %s: allowed: %s\n", id, called[id], reason)
			continue
		}
		fmt.Printf("%s in %s: called by the code (https://pkg.go.dev/vuln/%s)\n", id, called[id], id)
		failed = true
	}
	if failed {
		os.Exit(1)
	}
	fmt.Printf("vulncheck: the code calls %d known vulnerabilities, each allowed with its reason\n", len(called))
}

// calledVulns reads govulncheck's stream and returns the vulnerabilities
// whose symbols the code calls, with the module they are in.
func calledVulns(r io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(r)
	called := map[string]string{}
	configured := false
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading govulncheck's output: %w", err)
		}
		configured = configured || m.Config != nil
		if f := m.Finding; f != nil && len(f.Trace) > 0 && f.Trace[0].Function != "" {
			called[f.OSV] = f.Trace[0].Module + "@" + f.Trace[0].Version
		}
	}
	if !configured {
		return nil, errors.New("no output from govulncheck")
	}
	return called, nil
}

// readAllowed reads lines of an OSV id and the reason it does not apply;
// blank lines and lines starting with # are skipped.
func readAllowed(path string) (map[string]string, error) {
	f, err := os.Open(path) // #nosec G304 G703 -- the allow list the Makefile names
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // opened for reading
	allowed := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s: %s has no reason", path, id)
		}
		allowed[id] = strings.TrimSpace(reason)
	}
	return allowed, sc.Err()
}
