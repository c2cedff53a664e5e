package console

import (
	"testing"

	"github.com/pff/pff/app/gen"
)

// largestGenerated is the largest of a few hundred generated records (about
// 90 KB of compact JSON), the size of a big production record.
func largestGenerated(b *testing.B) []byte {
	recs, err := gen.Generate(gen.Config{N: 300, Seed: 5, Compact: true})
	if err != nil {
		b.Fatal(err)
	}
	var doc []byte
	for _, r := range recs {
		if len(r.Doc) > len(doc) {
			doc = r.Doc
		}
	}
	return doc
}

// BenchmarkRecordTree is the record page's document: parsed, and rendered
// as the collapsible tree.
func BenchmarkRecordTree(b *testing.B) {
	doc := largestGenerated(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		root, _, err := parseTree(doc)
		if err != nil {
			b.Fatal(err)
		}
		_ = root.HTML()
	}
}

func BenchmarkRecordTreeParse(b *testing.B) {
	doc := largestGenerated(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := parseTree(doc); err != nil {
			b.Fatal(err)
		}
	}
}
