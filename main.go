// Command pff finds and fixes broken customer records in production BSS
// systems. See README.md, and `pff help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/pff/pff/app"
	"github.com/pff/pff/app/config"
)

// Set by the linker: -ldflags "-X main.version=... -X main.commit=... -X main.buildDate=...".
var (
	version   = "dev"
	commit    = "unknown"
	buildDate = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], app.Env{
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Environ: os.Environ(),
		Build:   config.BuildInfo{Version: version, Commit: commit, BuildDate: buildDate},
	})
	stop()
	os.Exit(code)
}
