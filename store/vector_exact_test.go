package store_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
)

// The exact scans the HNSW searches are judged against, in float64.

func l1Distance(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) - float64(b[i]))
	}
	return s
}

func l2Distance(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

func cosineDistance(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return 1 - dot/math.Sqrt(na*nb)
}

// distanceOf is the distance NearestEntities orders by for a model of this
// norm and the metric.
func distanceOf(norm string, metric store.Metric) func(a, b []float32) float64 {
	switch {
	case metric == store.Cosine:
		return cosineDistance
	case norm == "L2":
		return l2Distance
	default:
		return l1Distance
	}
}

type scored struct {
	index int
	dist  float64
}

// exactTopK returns the k vectors nearest to q, nearest first, ties by index.
func exactTopK(vecs [][]float32, q []float32, dist func(a, b []float32) float64, k int) []scored {
	top := make([]scored, 0, k+1)
	for i, v := range vecs {
		d := dist(q, v)
		if len(top) == k && d >= top[k-1].dist {
			continue
		}
		j := len(top)
		top = append(top, scored{})
		for j > 0 && top[j-1].dist > d {
			top[j] = top[j-1]
			j--
		}
		top[j] = scored{i, d}
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// unitVectors draws n random directions of dimension dim.
func unitVectors(rng *rand.Rand, n, dim int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		out[i] = normalised(gaussian(rng, dim, 1))
	}
	return out
}

// clusteredVectors draws n unit vectors around n/perCluster random centres,
// each centre plus Gaussian noise of expected norm spread, normalised: the
// shape of TransE entity embeddings, where entities of a kind cluster.
func clusteredVectors(rng *rand.Rand, n, dim, perCluster int, spread float64) [][]float32 {
	centres := unitVectors(rng, max(1, n/perCluster), dim)
	out := make([][]float32, n)
	for i := range out {
		v := gaussian(rng, dim, spread/math.Sqrt(float64(dim)))
		c := centres[rng.IntN(len(centres))]
		for j := range v {
			v[j] += c[j]
		}
		out[i] = normalised(v)
	}
	return out
}

func gaussian(rng *rand.Rand, dim int, sigma float64) []float32 {
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(rng.NormFloat64() * sigma)
	}
	return v
}

func normalised(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	n := float32(math.Sqrt(s))
	for j := range v {
		v[j] /= n
	}
	return v
}

// vectorPool opens a pool on url with pgvector's types, extra session
// settings and a notice handler (nil: none).
func vectorPool(t *testing.T, url string, params map[string]string, onNotice func(*pgconn.Notice)) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	for k, v := range params {
		cfg.ConnConfig.RuntimeParams[k] = v
	}
	if onNotice != nil {
		cfg.ConnConfig.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { onNotice(n) }
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error { return pgxvec.RegisterTypes(ctx, conn) }
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}
