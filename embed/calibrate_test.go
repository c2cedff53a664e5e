package embed

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFitPlattRecoversKnownDistribution(t *testing.T) {
	t.Parallel()
	// Distances uniform on [0, 10], true with probability σ(−(1.5·d − 6)).
	const a, b = 1.5, -6.0
	truth := Calibration{A: a, B: b}
	rng := newRNG(3)
	var (
		dists  []float32
		labels []bool
		brier  float64 // the Brier score of the true probabilities, in expectation
	)
	for range 20000 {
		d := 10 * rng.float32()
		p := truth.Probability(d)
		dists = append(dists, d)
		labels = append(labels, float64(rng.float32()) < p)
		brier += p * (1 - p)
	}
	brier /= float64(len(dists))

	c, err := FitPlatt(dists, labels)
	require.NoError(t, err)
	require.InDelta(t, a, c.A, 0.1)
	require.InDelta(t, b, c.B, 0.4)
	require.InDelta(t, brier, c.Quality.Brier, 0.005)
	require.Less(t, c.Quality.ECE, 0.02)
	require.Less(t, c.Quality.LogLoss, math.Log(2), "better than a coin")
	require.Equal(t, len(dists), c.Quality.Positives+c.Quality.Negatives)
	require.InDelta(t, 0.5, c.Probability(4), 0.02, "σ(0) at d = −b/a")
}

func TestFitPlattErrors(t *testing.T) {
	t.Parallel()
	_, err := FitPlatt([]float32{1, 2}, []bool{true, true})
	require.ErrorContains(t, err, "need both true and false")
	_, err = FitPlatt([]float32{1}, []bool{true, false})
	require.ErrorContains(t, err, "differ in length")
}

func TestCalibrateTrainedModel(t *testing.T) {
	t.Parallel()
	ds := gridDataset(t, 8)
	res := train(t, ds, smallConfig())
	known := NewFilter(ds.Train, ds.Valid, ds.Test)
	c, err := res.Model.Calibrate(ds.Valid, CalibrationConfig{Known: known, Negatives: 3, Seed: 1})
	require.NoError(t, err)
	t.Logf("%+v", c)
	require.Positive(t, c.A, "farther means less likely")
	require.Equal(t, len(ds.Valid), c.Quality.Positives)
	require.Equal(t, 3*len(ds.Valid), c.Quality.Negatives)
	// A useful calibration beats the constant prediction of the base rate,
	// whose Brier score is p(1 − p) = 0.1875 for p = 1/4.
	require.Less(t, c.Quality.Brier, 0.1875)

	var truePs, falsePs float64
	for _, tr := range ds.Test {
		d, err := res.Model.Distance(tr)
		require.NoError(t, err)
		truePs += c.Probability(d)
		n, err := corrupt(tr, res.Model.NumEntities(), known, &rng{state: 5})
		require.NoError(t, err)
		d, err = res.Model.Distance(n)
		require.NoError(t, err)
		falsePs += c.Probability(d)
	}
	require.Greater(t, truePs, 2*falsePs, "held-out facts look likelier than corruptions")

	_, err = res.Model.Calibrate(ds.Valid[:1], CalibrationConfig{})
	require.Error(t, err)
}
