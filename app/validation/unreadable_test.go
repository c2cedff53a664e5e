package validation

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/store/storetest"
)

// What ingest accepts, validation must read: as uploaded, and as PostgreSQL
// gives it back (jsonb writes 1e300 as 301 digits). A number beyond a
// float64 (1e400) was accepted, and its record then never got a report.
func TestValidationReadsWhatIngestAccepts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, storetest.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(ctx) })
	v := defaultValidator(t, Config{})

	long := strings.Repeat("é", 5_000) // 10,000 bytes
	values := []string{
		// numbers
		"1e400", "-1e400", "1.7976931348623159e308", "1e-400", "-2e-324", "1E+9999",
		"1.7976931348623157e308", "-1.7976931348623157e308", "5e-324", "1e308", "1e-300",
		"0e9999", "-0.0e-9999", "0", "-0", "123456789012345678901234567890", "1e99999",
		// strings
		`"` + long + `"`, `"\u0000"`, "\"\xff\"", `"\ud800"`, `"\ud83d\ude00"`, `"a\u2028b"`,
		// structure
		strings.Repeat("[", 62) + strings.Repeat("]", 62), strings.Repeat("[", 63) + strings.Repeat("]", 63),
	}
	accepted := 0
	for _, value := range values {
		for _, doc := range []string{
			`{"id":"A4C123B1612DD272D1371C17149D4395","n":` + value + `}`,
			`{"id":"A4C123B1612DD272D1371C17149D4395","contract":[{"id":"c1","status":[{"status":"x","n":[1,` + value + `]}]}]}`,
		} {
			var docs [][]byte
			var reasons []string
			err := ingest.Read(ctx, strings.NewReader(doc), "record.json", "", ingest.Limits{},
				func(d ingest.Document) error { docs = append(docs, d.Data); return nil },
				func(r ingest.Rejection) { reasons = append(reasons, r.Reason) })
			require.NoError(t, err)
			if len(docs) == 0 {
				require.Len(t, reasons, 1)
				require.Regexp(t, `at line 1, column \d+$`, reasons[0], "a rejection says where")
				continue
			}
			accepted++
			_, err = v.Validate(ctx, docs[0])
			require.NoError(t, err, "as uploaded: %.80s", doc)
			var stored []byte
			require.NoError(t, conn.QueryRow(ctx, `SELECT $1::jsonb::text`, string(docs[0])).Scan(&stored))
			_, err = v.Validate(ctx, stored)
			require.NoError(t, err, "as stored: %.80s", doc)
		}
	}
	require.Greater(t, accepted, 20)
}

// A document validation cannot read is a *RecordError that says where and
// why, and still gets a report, so that its record is never left without
// one.
func TestUnreadableRecordsGetAReport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := defaultValidator(t, Config{})
	tests := []struct {
		name         string
		doc          string
		line, column int
		reason       string
	}{
		{"a number beyond float64", `{"id":"A","n":1e400}`, 1, 15, "number 1e400 is out of range of a 64-bit float"},
		{"a negative one, deeper, on a later line", "{\"id\":\"A\",\n  \"x\": [1, {\"n\": -1e400}]}", 2, 18, "number -1e400 is out of range of a 64-bit float"},
		{"as PostgreSQL writes it", `{"id":"A","n":1` + strings.Repeat("0", 400) + `}`, 1, 15, "number 10000000000000000000000000000000… (401 characters) is out of range of a 64-bit float"},
		{"not JSON", `{"id":"A",}`, 1, 11, "invalid character '}' looking for beginning of object key string"},
		{"no customer id", `{"id":7}`, 0, 0, "record has no customer id"},
		{"not an object", `[1]`, 0, 0, "record is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Validate(ctx, []byte(tt.doc))
			var recErr *RecordError
			require.ErrorAs(t, err, &recErr)
			require.Equal(t, tt.reason, recErr.Reason)
			require.Equal(t, [2]int{tt.line, tt.column}, [2]int{recErr.Line, recErr.Column})
			if tt.line > 0 {
				require.Equal(t, tt.doc[recErr.Offset:recErr.Offset+1], lineOf(tt.doc, tt.line)[tt.column-1:tt.column])
			}

			r := v.FailedReport("A", err)
			require.Equal(t, Reject, r.Decision)
			require.Zero(t, r.Score)
			require.Equal(t, "A", r.Record)
			require.Equal(t, err.Error(), r.Error)
			require.Equal(t, "REJECT: the record could not be validated: "+err.Error()+".", r.Explanation)
			require.Contains(t, r.Text(), "record A: REJECT, score 0.000\n")
		})
	}

	// Any other failure is no judgement of the record: a person looks.
	v = defaultValidator(t, Config{Plausibility: doubter{err: errors.New("model down")}})
	_, err := v.Validate(ctx, []byte(record))
	require.Error(t, err)
	r := v.FailedReport("A", err)
	require.Equal(t, Review, r.Decision)
	require.Zero(t, r.Score)
	require.Equal(t, "REVIEW: the record could not be validated: "+err.Error()+".", r.Explanation)
}

func lineOf(doc string, line int) string {
	return strings.Split(doc, "\n")[line-1]
}

// The position is found however the number is written.
func TestRecordErrorPositions(t *testing.T) {
	t.Parallel()
	v := defaultValidator(t, Config{})
	doc := []byte("{\"id\":\"A\",\"a\":1e400,\n\"b\":\t-1e400 }")
	_, err := v.Validate(context.Background(), doc)
	var recErr *RecordError
	require.ErrorAs(t, err, &recErr)
	require.Equal(t, int64(bytes.Index(doc, []byte("1e400"))), recErr.Offset, "the first one")
	require.Equal(t, "validation: line 1, column 15: number 1e400 is out of range of a 64-bit float", err.Error())
}
