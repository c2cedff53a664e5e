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

	// The plausibility abstains on all three: type has no other fact to be
	// judged by, the model has no evidence about a value never seen, and
	// colour is unknown to it.
	judged, abstained := sp.judgeRecord(facts, 1, 1, 1)
	require.Empty(t, judged)
	require.Equal(t, 3, abstained)
}

func TestOneDistributionPerFact(t *testing.T) {
	t.Parallel()
	sp := planSpace()
	facts := []fact{
		{subject: "e", relation: "type", object: "plan", value: true},
		{subject: "e", relation: "status", object: "ended", value: true, pointer: "/status"},
	}
	judged, abstained := sp.judgeRecord(facts, 1, 1, 1)
	require.Len(t, judged, 2)
	require.Zero(t, abstained)
	status := judged[1]
	require.Equal(t, []string{"ended", "active"}, status.values)
	// p(ended) ∝ e^-5, p(active) ∝ e^0.
	pEnded := math.Exp(-5) / (math.Exp(-5) + 1)
	require.InDelta(t, pEnded, status.prior[0], 1e-9)
	post := status.posterior(0.01)
	// Right: p·0.99; wrong with 'active': (1−p)·0.01/1.
	right := pEnded * 0.99 / (pEnded*0.99 + (1-pEnded)*0.01)
	require.InDelta(t, right, post[0], 1e-9)
	require.InDelta(t, 1, post[0]+post[1], 1e-12)
	require.Equal(t, []ranked{{"active", post[1]}}, status.ranked(post))

	// The scale that makes recorded values likeliest: three facts whose
	// value is the nearer by 5 and one whose value is the farther make
	// σ(5s) = 3/4, s = ln 3 / 5.
	near := judgement{distance: []float64{0, 5}}
	far := judgement{distance: []float64{5, 0}}
	require.InDelta(t, math.Log(3)/5, fitScale([]judgement{near, near, near, far}, 1), 1e-4)
}
