package ingest

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawMember is a central directory entry of a hand-made archive: its name
// and where its local header is, with the header's sizes.
type rawMember struct {
	name                       string
	offset                     int
	method                     uint16
	crc                        uint32
	compressedSize, uncompSize int
}

// localHeader is a ZIP local file header for data of these sizes.
func localHeader(name string, method uint16, crc uint32, compressed, uncompressed int) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x04034b50)
	b = binary.LittleEndian.AppendUint16(b, 20) // version needed
	b = binary.LittleEndian.AppendUint16(b, 0)  // flags
	b = binary.LittleEndian.AppendUint16(b, method)
	b = binary.LittleEndian.AppendUint32(b, 0) // time and date
	b = binary.LittleEndian.AppendUint32(b, crc)
	b = binary.LittleEndian.AppendUint32(b, uint32(compressed))
	b = binary.LittleEndian.AppendUint32(b, uint32(uncompressed))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(name)))
	b = binary.LittleEndian.AppendUint16(b, 0) // extra
	return append(b, name...)
}

// rawZip appends a central directory of members, and the end record with
// comment, to body, the local headers and data they point into.
func rawZip(body []byte, members []rawMember, comment []byte) []byte {
	out := bytes.Clone(body)
	cdStart := len(out)
	for _, m := range members {
		b := binary.LittleEndian.AppendUint32(nil, 0x02014b50)
		b = binary.LittleEndian.AppendUint16(b, 20) // made by
		b = binary.LittleEndian.AppendUint16(b, 20) // needed
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint16(b, m.method)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, m.crc)
		b = binary.LittleEndian.AppendUint32(b, uint32(m.compressedSize))
		b = binary.LittleEndian.AppendUint32(b, uint32(m.uncompSize))
		b = binary.LittleEndian.AppendUint16(b, uint16(len(m.name)))
		b = binary.LittleEndian.AppendUint16(b, 0) // extra
		b = binary.LittleEndian.AppendUint16(b, 0) // comment
		b = binary.LittleEndian.AppendUint16(b, 0) // disk
		b = binary.LittleEndian.AppendUint16(b, 0) // internal attributes
		b = binary.LittleEndian.AppendUint32(b, 0) // external attributes
		b = binary.LittleEndian.AppendUint32(b, uint32(m.offset))
		out = append(append(out, b...), m.name...)
	}
	end := binary.LittleEndian.AppendUint32(nil, 0x06054b50)
	end = binary.LittleEndian.AppendUint32(end, 0) // disks
	end = binary.LittleEndian.AppendUint16(end, uint16(len(members)))
	end = binary.LittleEndian.AppendUint16(end, uint16(len(members)))
	end = binary.LittleEndian.AppendUint32(end, uint32(len(out)-cdStart))
	end = binary.LittleEndian.AppendUint32(end, uint32(cdStart))
	end = binary.LittleEndian.AppendUint16(end, uint16(len(comment)))
	return append(append(out, end...), comment...)
}

func deflate(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

// paddedRecord is a record of n bytes, most of them whitespace: it
// compresses about a thousandfold.
func paddedRecord(n int) []byte {
	return append(append([]byte(`{"id":"a",`), bytes.Repeat([]byte(" "), n-len(`{"id":"a","x":1}`))...), `"x":1}`...)
}

// Members that share bytes are how a 657 KB upload inflated to 1 GB: each
// stays under the ratio, and only the upload's total stopped them. They are
// refused before anything is inflated.
func TestReadZipRefusesOverlappingMembers(t *testing.T) {
	t.Parallel()
	// Under the 1 MiB a member must produce before its own ratio counts.
	kernel := paddedRecord(900 << 10)
	deflated := deflate(t, kernel)
	crc := crc32.ChecksumIEEE(kernel)

	// Full overlap: every central entry points at the one local header. The
	// archive's comment gives it the bytes that a count of its members'
	// headers would miss it by.
	full := localHeader("kernel.json", 8, crc, len(deflated), len(kernel))
	full = append(full, deflated...)
	var fullMembers []rawMember
	for i := range 40 {
		fullMembers = append(fullMembers, rawMember{fmt.Sprintf("m%02d.json", i), 0, 8, crc, len(deflated), len(kernel)})
	}

	// Quoted overlap: a stored member whose data holds the next member's
	// local header and data.
	inner := append(localHeader("b.json", 8, crc, len(deflated), len(kernel)), deflated...)
	quoted := localHeader("a.json", 0, crc32.ChecksumIEEE(inner), len(inner), len(inner))
	innerAt := len(quoted)
	quoted = append(quoted, inner...)
	quotedMembers := []rawMember{
		{"a.json", 0, 0, crc32.ChecksumIEEE(inner), len(inner), len(inner)},
		{"b.json", innerAt, 8, crc, len(deflated), len(kernel)},
	}

	// More members than bytes: each needs a local header of 30 bytes
	// besides its central entry, and 2,000 of them share one.
	tiny := []byte(`{"id":"a"}`)
	crowd := append(localHeader("t.json", 0, crc32.ChecksumIEEE(tiny), len(tiny), len(tiny)), tiny...)
	var crowdMembers []rawMember
	for i := range 2000 {
		crowdMembers = append(crowdMembers, rawMember{fmt.Sprintf("%04d.json", i), 0, 0, crc32.ChecksumIEEE(tiny), len(tiny), len(tiny)})
	}

	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"full overlap", rawZip(full, fullMembers, bytes.Repeat([]byte("c"), 60_000)),
			"ingest: malformed upload: upload.zip:m01.json overlaps upload.zip:m00.json: ZIP members that share bytes are a zip bomb's construction"},
		{"quoted overlap", rawZip(quoted, quotedMembers, bytes.Repeat([]byte("c"), 60_000)),
			"ingest: malformed upload: upload.zip:b.json overlaps upload.zip:a.json: ZIP members that share bytes are a zip bomb's construction"},
		{"full overlap, more members than bytes", rawZip(crowd, crowdMembers, nil),
			"ingest: malformed upload: upload.zip:1294.json: 1295 members need at least 110075 bytes of headers, more than the archive's 110068: they share bytes, as in a zip bomb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res := read(t, tt.input, "upload.zip", "", Limits{})
			require.Less(t, time.Since(start), time.Second)
			require.ErrorIs(t, res.err, ErrInput)
			require.ErrorContains(t, res.err, tt.want)
			require.Empty(t, res.docs, "nothing is inflated")
		})
	}
}

// The ratio bounds the whole archive too: many members that each inflate
// less than the 1 MiB a member's own ratio waits for add up.
func TestReadZipBoundsTheWholeArchivesRatio(t *testing.T) {
	t.Parallel()
	doc := paddedRecord(900 << 10)
	var entries []zipEntry
	for i := range 40 {
		entries = append(entries, zipEntry{name: fmt.Sprintf("m%02d.json", i), data: doc})
	}
	input := zipped(t, entries...)
	// The member that takes the declared total over ratio × archive size.
	over := 0
	for total := 0; total <= ratioFloor || float64(total) <= DefaultMaxCompressionRatio*float64(len(input)); over++ {
		total += len(doc)
	}
	over--
	require.Less(t, over, 40)

	res := read(t, input, "upload.zip", "", Limits{})
	limitErr, ok := errors.AsType[*LimitError](res.err)
	require.True(t, ok, "want a *LimitError, got %v", res.err)
	require.Equal(t, "MaxCompressionRatio", limitErr.Limit)
	require.Equal(t, fmt.Sprintf("upload.zip:m%02d.json", over), limitErr.Source)
	require.Len(t, res.docs, over, "the members before it are read")

	// A higher ratio lets the same archive through.
	res = read(t, input, "upload.zip", "", Limits{MaxCompressionRatio: 2000})
	require.NoError(t, res.err)
	require.Len(t, res.docs, 40)
}
