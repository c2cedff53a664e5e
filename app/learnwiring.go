package app

import (
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/validation"
)

// How the configuration says the learned layer judges records: the same
// for the validators and for the quality gate that admits a model to them.

func plausibilityConfig(cfg config.LearnConfig) learn.PlausibilityConfig {
	return learn.PlausibilityConfig{MinConfidence: cfg.MinConfidence, FactErrorRate: cfg.FactErrorRate}
}

func gateConfig(cfg config.LearnConfig) learn.GateConfig {
	return learn.GateConfig{MaxCleanFlagged: cfg.GateCleanFlagged, Records: cfg.GateRecords}
}

func modelPolicy(cfg config.LearnConfig) validation.ModelPolicy {
	return validation.ModelPolicy(cfg.ModelFindings)
}
