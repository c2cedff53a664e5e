package config

import (
	"fmt"
	"runtime"
)

// BuildInfo identifies the binary. main sets it from -ldflags.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"build_date"`
}

func (b BuildInfo) String() string {
	return fmt.Sprintf("pff %s (commit %s, built %s, %s %s/%s)",
		b.Version, b.Commit, b.BuildDate, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
