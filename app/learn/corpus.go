package learn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"golang.org/x/sync/errgroup"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/internal/tracing"
	"github.com/pff/pff/store"
)

// DefaultMaxCategoryValues is how many distinct objects a categorical
// predicate may have and still be learned from: statuses, types and
// offerings have tens to hundreds, ids and free text thousands.
const DefaultMaxCategoryValues = 1000

// CorpusConfig configures BuildKG. Zero values mean defaults.
type CorpusConfig struct {
	// MaxCategoryValues is the cut-off above which a categorical predicate is
	// treated as high-cardinality and left out of the learning view; default
	// DefaultMaxCategoryValues.
	MaxCategoryValues int
	// Now is when current statuses are judged; nil means the clock.
	Now func() time.Time
}

// BuildKG writes the triples of all current records to the triples table,
// replacing the previous build in one transaction, and returns what it
// wrote. Records that are not valid JSON objects with a customer are skipped
// and counted.
func BuildKG(ctx context.Context, st *store.Store, cfg CorpusConfig) (_ store.KGBuild, skipped int, err error) {
	ctx, span := tracing.Start(ctx, "kg.build")
	defer func() {
		span.SetAttributes(attribute.Int("pff.records_skipped", skipped))
		tracing.End(span, err)
	}()
	if cfg.MaxCategoryValues == 0 {
		cfg.MaxCategoryValues = DefaultMaxCategoryValues
	}
	if cfg.MaxCategoryValues < 0 {
		return store.KGBuild{}, 0, fmt.Errorf("learn: max category values %d is negative", cfg.MaxCategoryValues)
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	builder := kg.Builder{Now: now()}
	triples := make(chan []store.KGTriple, 64)
	corpus := make(chan store.Corpus, 1)
	// readErr is written before triples is closed, so the writer, which
	// reads it after seeing the close, never commits a partly read corpus.
	var readErr error
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		gctx, span := tracing.Start(gctx, "kg.read_corpus")
		defer func() { tracing.End(span, err) }()
		c, err := st.ReadCorpus(gctx, func(doc []byte) error {
			graph, err := builder.Build(doc)
			if err != nil {
				skipped++
				return nil //nolint:nilerr // a record the builder cannot use is skipped and counted, never fatal
			}
			batch := make([]store.KGTriple, len(graph.Triples))
			for i, t := range graph.Triples {
				batch[i] = store.KGTriple{Subject: t.Subject, Predicate: t.Predicate, Object: t.Object, Class: t.Class.String()}
			}
			select {
			case triples <- batch:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
		readErr = err
		corpus <- c
		close(triples)
		return err
	})
	var build store.KGBuild
	g.Go(func() (err error) {
		gctx, span := tracing.Start(gctx, "kg.write_triples")
		defer func() { tracing.End(span, err) }()
		var batch []store.KGTriple
		next := func() (store.KGTriple, bool, error) {
			for len(batch) == 0 {
				b, ok := <-triples
				if !ok {
					return store.KGTriple{}, false, readErr
				}
				batch = b
			}
			t := batch[0]
			batch = batch[1:]
			return t, true, nil
		}
		// The fingerprint is known once the snapshot was read; ReplaceKG
		// asks for it only after the last triple.
		build, err = st.ReplaceKG(gctx, func() store.Corpus { return <-corpus }, cfg.MaxCategoryValues, next)
		return err
	})
	if err := g.Wait(); err != nil {
		return store.KGBuild{}, skipped, fmt.Errorf("learn: build knowledge graph: %w", err)
	}
	return build, skipped, nil
}

// ImportDataset replaces the triples table with a benchmark dataset's
// train, valid and test triples, all learnable entity edges, so that a
// corpus training learns from it.
func ImportDataset(ctx context.Context, st *store.Store, ds *embed.Dataset) (store.KGBuild, error) {
	all := slices.Concat(ds.Train, ds.Valid, ds.Test)
	i := 0
	next := func() (store.KGTriple, bool, error) {
		if i == len(all) {
			return store.KGTriple{}, false, nil
		}
		n := ds.Named(all[i])
		i++
		return store.KGTriple{Subject: n.Head, Predicate: n.Relation, Object: n.Tail, Class: kg.ClassEdge.String()}, true, nil
	}
	c := store.Corpus{Fingerprint: DatasetFingerprint(ds)}
	b, err := st.ReplaceKG(ctx, func() store.Corpus { return c }, DefaultMaxCategoryValues, next)
	if err != nil {
		return b, fmt.Errorf("learn: import dataset: %w", err)
	}
	return b, nil
}

// DatasetFingerprint identifies a dataset by the SHA-256 of its triples by
// name, split by split.
func DatasetFingerprint(ds *embed.Dataset) string {
	h := sha256.New()
	for _, split := range [][]embed.Triple{ds.Train, ds.Valid, ds.Test} {
		for _, t := range split {
			n := ds.Named(t)
			fmt.Fprintf(h, "%s\t%s\t%s\n", n.Head, n.Relation, n.Tail)
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// CorpusGraph is the learning view of the corpus: its facts and which
// entities are categorical values.
type CorpusGraph struct {
	Triples []embed.NamedTriple
	// Values are the objects of categorical facts, with their relations.
	Values map[string]bool
	// Fingerprint is that of the build the view came from.
	Fingerprint string
}

// LoadCorpusGraph reads the learning view of the latest build.
func LoadCorpusGraph(ctx context.Context, st *store.Store) (*CorpusGraph, error) {
	build, err := st.LatestKGBuild(ctx)
	if err != nil {
		return nil, fmt.Errorf("learn: no knowledge graph (run pff kg build): %w", err)
	}
	ts, err := st.LearningTriples(ctx)
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("learn: the knowledge graph has no learnable facts (%d records)", build.Records)
	}
	cg := &CorpusGraph{Triples: make([]embed.NamedTriple, len(ts)), Values: map[string]bool{}, Fingerprint: build.Fingerprint}
	for i, t := range ts {
		cg.Triples[i] = embed.NamedTriple{Head: t.Subject, Relation: t.Predicate, Tail: t.Object}
		if t.Class == kg.ClassCategory.String() {
			cg.Values[t.Object] = true
		}
	}
	return cg, nil
}
