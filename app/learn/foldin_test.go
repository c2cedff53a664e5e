package learn

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/embed"
)

// A 1-dimensional space where type(e, 'plan') puts e at 1 and
// status(e, 'active') says e + 1 = 2: a plan's status is active.
func planSpace() *space {
	return &space{dim: 1, norm: embed.L1,
		values: map[string][]float32{"plan": {0}, "addon": {5}, "active": {2}, "ended": {7}},
		relations: map[string]relationVector{
			"type":   {vec: []float32{-1}, relationRange: relationRange{tails: []string{"plan", "addon"}, facts: 100, singletons: 0}},
			"status": {vec: []float32{1}, relationRange: relationRange{tails: []string{"active", "ended"}, facts: 100, singletons: 0}},
		},
	}
}

func TestScoreRecordLeavesEachFactOut(t *testing.T) {
	t.Parallel()
	sp := planSpace()
	facts := []fact{
		{subject: "e", relation: "type", object: "plan", value: true, pointer: "/type"},
		{subject: "e", relation: "status", object: "ended", value: true, pointer: "/status"},
	}
	scored := sp.scoreRecord(facts, 5)
	require.Len(t, scored, 2)
	// status judged from type alone: e = plan − r_type = 1, e + r_status = 2,
	// so 'ended' (7) is 5 away and 'active' (2) is the nearer value.
	status := scored[1]
	require.Equal(t, "/status", status.pointer)
	require.InDelta(t, 5, status.distance, 1e-6)
	require.Equal(t, []candidate{{"active", 0}}, status.alternatives)
	require.InDelta(t, 5, status.margin(), 1e-6)
	require.InDelta(t, -5, status.marginOf(0), 1e-6, "had the record said active, ended would be 5 behind")
}

func TestScoreRecordFlagsUnseenValues(t *testing.T) {
	t.Parallel()
	sp := planSpace()
	facts := []fact{
		{subject: "e", relation: "type", object: "plan", value: true},
		{subject: "e", relation: "status", object: "actve", value: true},
		{subject: "e", relation: "colour", object: "red", value: true}, // a relation the model does not know
	}
	scored := sp.scoreRecord(facts, 5)
	require.Len(t, scored, 1, "type has no other fact to judge it by; colour is unknown")
	require.True(t, scored[0].unseen)
	require.True(t, math.IsInf(float64(scored[0].distance), 1))
	require.Equal(t, "active", scored[0].alternatives[0].value)

	p := &Plausibility{sp: sp, cfg: PlausibilityConfig{}.resolved()}
	wrong := p.unseenWrong("status")
	// right = (0+1)/(100+1); prior 0.01: 0.01 / (0.01 + 0.0099·0.99)
	require.InDelta(t, 0.01/(0.01+0.99/101), wrong, 1e-12)
}
