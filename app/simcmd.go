package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/gen"
)

func simCommand() *command {
	var addr string
	var genCfg gen.Config
	return &command{
		name:    "sim",
		args:    "serve [RECORDS...]",
		summary: "Run the BSS simulator, for demos and trials of fix flows.",
		details: `  serve [RECORDS...]  answers every path of the operation catalogue on --addr,
                      seeded with the customer records in the files,
                      directories and ZIPs given, or with --generate N
                      generated records. Faults are injected and the ledger
                      of applied writes read under /_sim/ (faults, ledger,
                      documents, requests). Point PFF at it with the
                      PFF_BSS__SYSTEMS__*__CLUSTERS lines it prints.`,
		flags: func(fs *flag.FlagSet, _ *invocation) {
			fs.StringVar(&addr, "addr", "127.0.0.1:9090", "listen `address`")
			fs.IntVar(&genCfg.N, "generate", 0, "seed with `N` generated records")
			fs.Uint64Var(&genCfg.Seed, "seed", 1, "`seed` of the generated records")
			fs.Float64Var(&genCfg.FaultRate, "faults", 0.1, "fraction of generated records with a fault")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) == 0 || inv.args[0] != "serve" {
				return usagef("expected: sim serve [RECORDS...]")
			}
			paths := inv.args[1:]
			if genCfg.N == 0 && len(paths) == 0 {
				return usagef("give record files or --generate N")
			}
			sim := bsssim.New(bsssim.Config{Seed: genCfg.Seed, Logger: slog.New(slog.NewTextHandler(inv.Stderr, nil))})
			if genCfg.N > 0 {
				seeded, err := sim.AddGenerated(genCfg)
				if err != nil {
					return usagef("%v", err)
				}
				fmt.Fprintf(inv.Stderr, "seeded %d generated records\n", len(seeded))
			}
			if len(paths) > 0 {
				rep, err := sim.LoadPaths(ctx, paths...)
				if err != nil {
					return inputError(err)
				}
				fmt.Fprintf(inv.Stderr, "loaded %+v\n", rep)
			}
			ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			url := "http://" + ln.Addr().String() + "/"
			fmt.Fprintf(inv.Stderr, "BSS simulator on %s; point PFF at it with:\n", url)
			for _, system := range config.BSSSystems() {
				fmt.Fprintf(inv.Stdout, "export PFF_BSS__SYSTEMS__%s__CLUSTERS=%s\n", strings.ToUpper(system), url)
			}
			server := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 5 * time.Second}
			served := make(chan error, 1)
			go func() { served <- server.Serve(ln) }()
			select {
			case <-ctx.Done():
				shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				return server.Shutdown(shutdown) //nolint:contextcheck // ctx has ended: the shutdown needs a context of its own
			case err := <-served:
				if errors.Is(err, http.ErrServerClosed) {
					return nil
				}
				return err
			}
		},
	}
}
