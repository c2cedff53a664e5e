package embed

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// referenceLoss is the training objective written out plainly in float64,
// with the weights w held fixed, as the analytic gradient treats them:
// scale · Σ_i w_i·max(0, γ + d⁺ − d⁻_i) for the margin ranking loss and
// scale · (−log σ(γ − d⁺) − Σ_i w_i·log σ(d⁻_i − γ)) for the logistic loss.
func referenceLoss(kind Loss, norm Norm, margin, scale float64, ent, rel [][]float64, pos Triple, negs []negative, weights []float64) float64 {
	dist := func(h, r, t []float64) float64 {
		var s float64
		for i := range h {
			d := h[i] + r[i] - t[i]
			if norm == L1 {
				s += math.Abs(d)
			} else {
				s += d * d
			}
		}
		if norm == L2 {
			s = math.Sqrt(s)
		}
		return s
	}
	r := rel[pos.Relation]
	posDist := dist(ent[pos.Head], r, ent[pos.Tail])
	logSigmoid := func(x float64) float64 { return -math.Log1p(math.Exp(-x)) }
	var loss float64
	if kind == Logistic {
		loss = -logSigmoid(margin - posDist)
	}
	for i, n := range negs {
		negDist := dist(ent[pos.Head], r, ent[n.entity])
		if n.head {
			negDist = dist(ent[n.entity], r, ent[pos.Tail])
		}
		if kind == Logistic {
			loss -= weights[i] * logSigmoid(negDist-margin)
		} else {
			loss += weights[i] * max(0, margin+posDist-negDist)
		}
	}
	return scale * loss
}

func TestGradientMatchesNumerical(t *testing.T) {
	t.Parallel()
	const (
		entities, relations, dim = 7, 3, 6
		scale                    = 0.25
	)
	for _, kind := range []Loss{MarginRanking, Logistic} {
		for _, norm := range []Norm{L1, L2} {
			for _, adversarial := range []float32{0, 1.5} {
				t.Run(fmt.Sprintf("%v/%v/adversarial=%g", kind, norm, adversarial), func(t *testing.T) {
					t.Parallel()
					rng := newRNG(uint64(norm)*10 + uint64(adversarial*10))
					m := &Model{dim: dim, norm: norm, entities: make([]float32, entities*dim), relations: make([]float32, relations*dim)}
					for _, p := range [][]float32{m.entities, m.relations} {
						for i := range p {
							p[i] = 2*rng.float32() - 1
						}
					}
					obj := &objective{loss: kind, norm: norm, adversarial: adversarial, headProb: []float32{0.5, 0.5, 0.5}}
					// Negatives on both sides, one equal to the positive's tail, and
					// one repeated: the gradient must add up over shared rows.
					pos := Triple{Head: 1, Relation: 2, Tail: 4}
					s := newShard(entities, relations, dim, 6, 1)
					copy(s.negs, []negative{{entity: 0}, {entity: 3, head: true}, {entity: 4, head: true}, {entity: 6}, {entity: 6}, {entity: 1, head: true}})
					s.score(m, obj, pos)

					// A margin between the violations keeps some pairs active and
					// some not, and all away from the hinge.
					posDist := m.distance()(s.tailAnchor, m.Entity(pos.Tail))
					obj.margin = s.negs[2].dist - posDist + 0.05
					for _, n := range s.negs {
						require.Greater(t, math.Abs(float64(obj.margin+posDist-n.dist)), 1e-2, "a pair sits on the hinge")
					}
					s.backward(m, obj, pos, scale)

					ent, rel := toFloat64Rows(m.entities, dim), toFloat64Rows(m.relations, dim)
					weights := make([]float64, len(s.negs))
					for i, n := range s.negs {
						weights[i] = float64(n.weight)
					}
					loss := func() float64 {
						return referenceLoss(kind, norm, float64(obj.margin), scale, ent, rel, pos, s.negs, weights)
					}
					require.Positive(t, loss())
					for _, mat := range []struct {
						rows [][]float64
						grad *sparseGrad
					}{{ent, s.ent}, {rel, s.rel}} {
						for r, row := range mat.rows {
							analytic := mat.grad.lookup(int32(r))
							for i := range row {
								const h = 1e-6
								old := row[i]
								row[i] = old + h
								up := loss()
								row[i] = old - h
								down := loss()
								row[i] = old
								numerical := (up - down) / (2 * h)
								var got float64
								if analytic != nil {
									got = float64(analytic[i])
								}
								require.InDelta(t, numerical, got, 1e-4, "row %d coordinate %d", r, i)
							}
						}
					}
				})
			}
		}
	}
}

func toFloat64Rows(matrix []float32, dim int) [][]float64 {
	rows := make([][]float64, len(matrix)/dim)
	for r := range rows {
		rows[r] = make([]float64, dim)
		for i := range dim {
			rows[r][i] = float64(matrix[r*dim+i])
		}
	}
	return rows
}
