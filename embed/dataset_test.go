package embed

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeSplits writes train, valid and test files into a fresh directory.
func writeSplits(t *testing.T, train, valid, test string) string {
	t.Helper()
	dir := t.TempDir()
	for file, content := range map[string]string{"train.tsv": train, "valid.tsv": valid, "test.tsv": test} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644))
	}
	return dir
}

func TestLoadDataset(t *testing.T) {
	t.Parallel()
	dir := writeSplits(t, "a\tr\tb\nb\ts\tc\n", "a\ts\tc\n", "c\tr\ta\n")
	ds, err := LoadDataset(dir, DatasetOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, ds.Entities.Names())
	require.Equal(t, []string{"r", "s"}, ds.Relations.Names())
	require.Equal(t, []Triple{{0, 0, 1}, {1, 1, 2}}, ds.Train)
	require.Equal(t, []Triple{{0, 1, 2}}, ds.Valid)
	require.Equal(t, []Triple{{2, 0, 0}}, ds.Test)
	require.Equal(t, NamedTriple{"c", "r", "a"}, ds.Named(ds.Test[0]))
	id, err := ds.Lookup(NamedTriple{"c", "r", "a"})
	require.NoError(t, err)
	require.Equal(t, ds.Test[0], id)
	_, err = ds.Lookup(NamedTriple{"c", "r", "zz"})
	require.ErrorContains(t, err, `tail entity "zz" is unknown`)

	// Written back and read again, it is the same dataset.
	out := filepath.Join(t.TempDir(), "copy")
	require.NoError(t, ds.WriteDir(out))
	again, err := LoadDataset(out, DatasetOptions{})
	require.NoError(t, err)
	require.Equal(t, ds, again)
}

func TestLoadDatasetErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		train, valid, tst string
		file              string // file the error must name
		line              int    // line it must name; 0 for a whole-file error
		wantErr           string
	}{
		{name: "malformed train line", train: "a\tr\tb\na\tr\n", valid: "a\tr\tb\n", tst: "a\tr\tb\n",
			file: "train.tsv", line: 2, wantErr: "want 3 tab-separated fields"},
		{name: "empty valid", train: "a\tr\tb\n", valid: "\n", tst: "a\tr\tb\n",
			file: "valid.tsv", wantErr: "no triples"},
		{name: "unknown entity in valid", train: "a\tr\tb\n", valid: "a\tr\tb\n\nx\tr\tb\n", tst: "a\tr\tb\n",
			file: "valid.tsv", line: 3, wantErr: `head entity "x" is unknown`},
		{name: "unknown relation in test", train: "a\tr\tb\n", valid: "a\tr\tb\n", tst: "b\tq\ta\n",
			file: "test.tsv", line: 1, wantErr: `relation "q" is unknown`},
		{name: "unknown tail in test", train: "a\tr\tb\n", valid: "a\tr\tb\n", tst: "b\tr\ty\n",
			file: "test.tsv", line: 1, wantErr: `tail entity "y" is unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeSplits(t, tt.train, tt.valid, tt.tst)
			_, err := LoadDataset(dir, DatasetOptions{})
			require.ErrorContains(t, err, tt.wantErr)
			require.ErrorContains(t, err, filepath.Join(dir, tt.file))
			var le *LineError
			if tt.line == 0 {
				require.False(t, errors.As(err, &le))
				return
			}
			require.True(t, errors.As(err, &le))
			require.Equal(t, filepath.Join(dir, tt.file), le.Path)
			require.Equal(t, tt.line, le.Line)
		})
	}

	_, err := LoadDataset(t.TempDir(), DatasetOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoadDatasetAllowUnseen(t *testing.T) {
	t.Parallel()
	dir := writeSplits(t, "a\tr\tb\n", "a\tq\tx\n", "y\tr\tb\n")
	ds, err := LoadDataset(dir, DatasetOptions{AllowUnseen: true})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "x", "y"}, ds.Entities.Names())
	require.Equal(t, []string{"r", "q"}, ds.Relations.Names())
	require.Equal(t, []Triple{{0, 1, 2}}, ds.Valid)
	require.Equal(t, []Triple{{3, 0, 1}}, ds.Test)
}

func TestNewDataset(t *testing.T) {
	t.Parallel()
	_, err := NewDataset(nil, nil, nil, DatasetOptions{})
	require.ErrorContains(t, err, "no train triples")
	_, err = NewDataset([]NamedTriple{{"a", "r", "b"}}, nil, []NamedTriple{{"a", "r", "b"}, {"a", "r", "c"}}, DatasetOptions{})
	require.ErrorContains(t, err, `test triple 1: tail entity "c" is unknown`)
	_, err = NewDataset([]NamedTriple{{"a", "r", "b\n"}}, nil, nil, DatasetOptions{})
	require.ErrorContains(t, err, "train triple 0")
	ds, err := NewDataset([]NamedTriple{{"a", "r", "b"}}, nil, nil, DatasetOptions{})
	require.NoError(t, err)
	require.Empty(t, ds.Valid)
}
