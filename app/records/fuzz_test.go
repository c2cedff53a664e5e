package records_test

import (
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/records"
)

func FuzzPrepare(f *testing.F) {
	f.Add([]byte(`{"id":"A","contract":[{"resource":[{"id":"r","resourceSpecificationExternalId":"LrsExtId_MSISDN","resourceNumber":"5511"}]}]}`))
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte(` [ ] `))
	f.Add([]byte(`{"id":"A","contract":{"resource":7}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := records.Prepare(ingest.Document{Source: "f", Data: data})
		if err != nil {
			return
		}
		require.True(t, json.Valid(rec.Document))
		require.NotEmpty(t, rec.CustomerID)
		require.Equal(t, sha256.Sum256(rec.Document), rec.ContentHash)
		require.NotNil(t, rec.MSISDNs)
	})
}
