package embed

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Dataset is a knowledge graph split for training and evaluation, with every
// triple indexed by the entity and relation vocabularies.
type Dataset struct {
	Entities  Vocab
	Relations Vocab
	Train     []Triple
	Valid     []Triple
	Test      []Triple
}

// DatasetOptions controls how a dataset is assembled from named triples.
type DatasetOptions struct {
	// AllowUnseen admits valid and test triples whose entities or relations
	// never occur in train. They get ids after those of train and untrained
	// embeddings, so such triples rank badly; this is how the published
	// WN18RR results count the 210 test triples with unseen entities.
	// Without it such triples are an error.
	AllowUnseen bool
}

// splitFiles are the file names of the benchmark layout, in split order.
var splitFiles = [3]string{"train.tsv", "valid.tsv", "test.tsv"}

// namedSplit is one split before indexing, with where each triple came from
// so that errors can point at it.
type namedSplit struct {
	name    string // file path, or the split name for in-memory triples
	triples []NamedTriple
	lines   []int // line of each triple; nil for in-memory triples
}

func (s *namedSplit) errorAt(i int, err error) error {
	if s.lines == nil {
		return fmt.Errorf("%s triple %d: %w", s.name, i, err)
	}
	return &LineError{Path: s.name, Line: s.lines[i], Err: err}
}

// LoadDataset reads DIR/train.tsv, DIR/valid.tsv and DIR/test.tsv (see
// [ReadTriples] for the format). Every split must be non-empty. Errors name
// the file and line at fault.
func LoadDataset(dir string, opts DatasetOptions) (*Dataset, error) {
	var splits [3]namedSplit
	for i, file := range splitFiles {
		path := filepath.Join(dir, file)
		s, err := readSplitFile(path)
		if err != nil {
			return nil, fmt.Errorf("embed: load dataset: %w", err)
		}
		splits[i] = s
	}
	ds, err := buildDataset(splits, opts)
	if err != nil {
		return nil, fmt.Errorf("embed: load dataset: %w", err)
	}
	return ds, nil
}

func readSplitFile(path string) (namedSplit, error) {
	f, err := os.Open(path) // #nosec G304 G703 -- a split of the dataset directory the caller named
	if err != nil {
		return namedSplit{}, err
	}
	defer f.Close() //nolint:errcheck // opened for reading
	triples, lines, err := readTriplesLines(f)
	if err != nil {
		var le *LineError
		if errors.As(err, &le) {
			le.Path = path
		}
		return namedSplit{}, err
	}
	if len(triples) == 0 {
		return namedSplit{}, fmt.Errorf("%s: no triples", path)
	}
	return namedSplit{name: path, triples: triples, lines: lines}, nil
}

// NewDataset indexes in-memory splits. Train must not be empty; valid and
// test may be.
func NewDataset(train, valid, test []NamedTriple, opts DatasetOptions) (*Dataset, error) {
	splits := [3]namedSplit{{name: "train", triples: train}, {name: "valid", triples: valid}, {name: "test", triples: test}}
	if len(train) == 0 {
		return nil, errors.New("embed: new dataset: no train triples")
	}
	for _, s := range splits {
		for i, t := range s.triples {
			if err := t.check(); err != nil {
				return nil, fmt.Errorf("embed: new dataset: %w", s.errorAt(i, err))
			}
		}
	}
	ds, err := buildDataset(splits, opts)
	if err != nil {
		return nil, fmt.Errorf("embed: new dataset: %w", err)
	}
	return ds, nil
}

func buildDataset(splits [3]namedSplit, opts DatasetOptions) (*Dataset, error) {
	ds := &Dataset{}
	ds.Train = make([]Triple, len(splits[0].triples))
	for i, t := range splits[0].triples {
		ds.Train[i] = Triple{ds.Entities.add(t.Head), ds.Relations.add(t.Relation), ds.Entities.add(t.Tail)}
	}
	for k, dst := range [...]*[]Triple{&ds.Valid, &ds.Test} {
		s := &splits[k+1]
		*dst = make([]Triple, len(s.triples))
		for i, t := range s.triples {
			id, err := ds.index(t, opts.AllowUnseen)
			if err != nil {
				return nil, s.errorAt(i, err)
			}
			(*dst)[i] = id
		}
	}
	return ds, nil
}

// index looks up a held-out triple, adding its names to the vocabularies when
// allowUnseen is set.
func (ds *Dataset) index(t NamedTriple, allowUnseen bool) (Triple, error) {
	if allowUnseen {
		return Triple{ds.Entities.add(t.Head), ds.Relations.add(t.Relation), ds.Entities.add(t.Tail)}, nil
	}
	h, okH := ds.Entities.ID(t.Head)
	r, okR := ds.Relations.ID(t.Relation)
	tl, okT := ds.Entities.ID(t.Tail)
	switch {
	case !okH:
		return Triple{}, fmt.Errorf("head entity %q is unknown: it does not occur in train", t.Head)
	case !okR:
		return Triple{}, fmt.Errorf("relation %q is unknown: it does not occur in train", t.Relation)
	case !okT:
		return Triple{}, fmt.Errorf("tail entity %q is unknown: it does not occur in train", t.Tail)
	}
	return Triple{h, r, tl}, nil
}

// Lookup returns t with its ids, or an error naming what is unknown.
func (ds *Dataset) Lookup(t NamedTriple) (Triple, error) {
	id, err := ds.index(t, false)
	if err != nil {
		return Triple{}, fmt.Errorf("embed: lookup: %w", err)
	}
	return id, nil
}

// Named returns t with its names.
func (ds *Dataset) Named(t Triple) NamedTriple {
	return NamedTriple{ds.Entities.Name(t.Head), ds.Relations.Name(t.Relation), ds.Entities.Name(t.Tail)}
}

// WriteDir writes the dataset in the layout LoadDataset reads, creating dir
// if needed.
func (ds *Dataset) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil { // #nosec G301 -- a dataset to share, like the files a command writes
		return fmt.Errorf("embed: write dataset: %w", err)
	}
	for i, split := range [...][]Triple{ds.Train, ds.Valid, ds.Test} {
		named := make([]NamedTriple, len(split))
		for j, t := range split {
			named[j] = ds.Named(t)
		}
		if err := writeTriplesFile(filepath.Join(dir, splitFiles[i]), named); err != nil {
			return fmt.Errorf("embed: write dataset: %w", err)
		}
	}
	return nil
}

func writeTriplesFile(path string, triples []NamedTriple) error {
	f, err := os.Create(path) // #nosec G304 -- in the dataset directory the caller named
	if err != nil {
		return err
	}
	if err := WriteTriples(f, triples); err != nil {
		_ = f.Close() // the write's error is the one to report
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// NewIndexedDataset makes a dataset of splits already indexed by the given
// names: entity i is entities[i], relation j relations[j]. It keeps the
// slices. Names must be distinct.
func NewIndexedDataset(entities, relations []string, train, valid, test []Triple) (*Dataset, error) {
	if len(train) == 0 {
		return nil, errors.New("embed: new dataset: no train triples")
	}
	ds := &Dataset{Train: train, Valid: valid, Test: test}
	for _, v := range []struct {
		vocab *Vocab
		names []string
	}{{&ds.Entities, entities}, {&ds.Relations, relations}} {
		v.vocab.names = v.names
		v.vocab.ids = make(map[string]int32, len(v.names))
		for i, name := range v.names {
			if _, dup := v.vocab.ids[name]; dup {
				return nil, fmt.Errorf("embed: new dataset: name %q is given twice", name)
			}
			v.vocab.ids[name] = int32(i)
		}
	}
	for _, split := range [...][]Triple{train, valid, test} {
		for _, t := range split {
			if t.Head < 0 || int(t.Head) >= len(entities) || t.Tail < 0 || int(t.Tail) >= len(entities) ||
				t.Relation < 0 || int(t.Relation) >= len(relations) {
				return nil, fmt.Errorf("embed: new dataset: triple %v is out of the vocabularies' range", t)
			}
		}
	}
	return ds, nil
}
