package learn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pff/pff/embed"
)

// Hyperparameters are the training settings a user gives, by name; zero
// values take embed's defaults. They are stored with the model.
type Hyperparameters struct {
	Dim                    int     `json:"dim,omitempty"`
	Norm                   string  `json:"norm,omitempty"`      // L1 or L2
	Loss                   string  `json:"loss,omitempty"`      // margin or logistic
	Sampler                string  `json:"sampler,omitempty"`   // bern or uniform
	Optimizer              string  `json:"optimizer,omitempty"` // adagrad, adam or sgd
	Margin                 float32 `json:"margin,omitempty"`
	Negatives              int     `json:"negatives,omitempty"`
	AdversarialTemperature float32 `json:"adversarial_temperature,omitempty"`
	LearningRate           float32 `json:"learning_rate,omitempty"`
	BatchSize              int     `json:"batch_size,omitempty"`
	Epochs                 int     `json:"epochs,omitempty"`
	EvalEvery              int     `json:"eval_every,omitempty"`
	Patience               int     `json:"patience,omitempty"`
	// ValidSample is how many validation triples each validation ranks
	// (default 2,000); LRDecay multiplies the learning rate after a
	// validation without improvement (default 0.5).
	ValidSample int     `json:"valid_sample,omitempty"`
	LRDecay     float32 `json:"lr_decay,omitempty"`
	Seed        uint64  `json:"seed,omitempty"`
}

// EmbedConfig returns the embed configuration, or an error naming the
// setting that has no meaning.
func (h Hyperparameters) EmbedConfig() (embed.Config, error) {
	c := embed.Config{
		Dim: h.Dim, Margin: h.Margin, Negatives: h.Negatives, AdversarialTemperature: h.AdversarialTemperature,
		LearningRate: h.LearningRate, BatchSize: h.BatchSize, Epochs: h.Epochs, EvalEvery: h.EvalEvery,
		Patience: h.Patience, ValidSample: h.ValidSample, LRDecay: h.LRDecay, Seed: h.Seed,
	}
	var err error
	if c.Norm, err = choose("norm", h.Norm, map[string]embed.Norm{"l1": embed.L1, "l2": embed.L2}); err != nil {
		return c, err
	}
	if c.Loss, err = choose("loss", h.Loss, map[string]embed.Loss{"margin": embed.MarginRanking, "logistic": embed.Logistic}); err != nil {
		return c, err
	}
	if c.Sampler, err = choose("sampler", h.Sampler, map[string]embed.Sampler{"bern": embed.Bernoulli, "uniform": embed.Uniform}); err != nil {
		return c, err
	}
	if c.Optimizer, err = choose("optimizer", h.Optimizer, map[string]embed.Optimizer{"adagrad": embed.Adagrad, "adam": embed.Adam, "sgd": embed.SGD, "adagrad-row": embed.RowAdagrad, "adam-dense": embed.DenseAdam}); err != nil {
		return c, err
	}
	if h.Dim < 0 || h.Dim > 2000 {
		return c, fmt.Errorf("dim %d: want 1 to 2000 (pgvector's limit for indexes)", h.Dim)
	}
	for _, s := range []struct {
		name     string
		negative bool
	}{
		{"negatives", h.Negatives < 0}, {"batch_size", h.BatchSize < 0}, {"epochs", h.Epochs < 0}, {"margin", h.Margin < 0},
		{"learning_rate", h.LearningRate < 0}, {"adversarial_temperature", h.AdversarialTemperature < 0},
		{"valid_sample", h.ValidSample < 0},
	} {
		if s.negative {
			return c, fmt.Errorf("%s must not be negative", s.name)
		}
	}
	if h.LRDecay < 0 || h.LRDecay >= 1 {
		return c, fmt.Errorf("lr_decay %g: want 0 (the default) to below 1", h.LRDecay)
	}
	return c, nil
}

// choose maps a name to its value; "" is the zero value, embed's default.
func choose[T any](setting, name string, values map[string]T) (T, error) {
	var zero T
	if name == "" {
		return zero, nil
	}
	v, ok := values[strings.ToLower(name)]
	if !ok {
		names := make([]string, 0, len(values))
		for n := range values {
			names = append(names, n)
		}
		return zero, fmt.Errorf("unknown %s %q (want one of %s)", setting, name, strings.Join(slices.Sorted(slices.Values(names)), ", "))
	}
	return v, nil
}
