package bss

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func loadEnquiry(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	return doc
}

func TestGetContract(t *testing.T) {
	t.Parallel()
	family := loadEnquiry(t, "customer-enquiry-family.json")
	tests := []struct {
		name   string
		search map[string]any
		want   string // contract id; "" for no single match
	}{
		{"by external id", map[string]any{"externalId": "727386610"}, "27B9A615C1A5EC6CC16DB755F6C6E9FE"},
		{"by a number given as a number", map[string]any{"externalId": 727386610.0}, "27B9A615C1A5EC6CC16DB755F6C6E9FE"},
		{"by a resource deep inside", map[string]any{"resource": []any{map[string]any{
			"resourceSpecificationExternalId": "LrsExtId_MSISDN", "resourceNumber": "5591206943596"}}},
			"2C4D7A6C92F01F1C2D54265F7AA444A1"},
		{"several match: none", map[string]any{"paymentContext": "Postpaid"}, ""},
		{"none match", map[string]any{"externalId": "nope"}, ""},
		{"leading zeros matter", map[string]any{"externalId": "0727386610"}, ""},
		{"shape mismatch", map[string]any{"status": "ContractActive"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := GetContract(family, tt.search)
			if tt.want == "" {
				require.False(t, ok)
				return
			}
			require.True(t, ok)
			require.Equal(t, "EEE65F53E9421CE50211670EAE679F02", got["customer_id"])
			require.Equal(t, tt.want, got["contract"].(map[string]any)["id"])
		})
	}
	// A list of customers (an enquiry answered as a list) works too.
	got, ok := GetContract([]any{family}, map[string]any{"externalId": "727386610"})
	require.True(t, ok)
	require.Equal(t, "EEE65F53E9421CE50211670EAE679F02", got["customer_id"])
	_, ok = GetContract(nil, map[string]any{})
	require.False(t, ok)
}

func TestGetProductAndFindLine(t *testing.T) {
	t.Parallel()
	family := loadEnquiry(t, "customer-enquiry-family.json")
	line, ok := FindLine(family, "37648176649") // national form of 5537648176649
	require.True(t, ok)
	contract := line["contract"].(map[string]any)
	require.Equal(t, "727386610", contract["externalId"])

	p, ok := GetProduct(line, map[string]any{"productOfferingExternalId": "TECHNICAL_I"})
	require.True(t, ok, "the {customer_id, contract} wrapper is accepted")
	require.Equal(t, "E97CD4C694E538FD34A0848C8A72F6B8", p["id"])
	require.Equal(t, "ProductTerminated", CurrentStatus(p), "the current status is the last")
	_, ok = GetProduct(contract, map[string]any{"productOfferingExternalId": "EXCEDENTE"})
	require.False(t, ok, "two EXCEDENTE products: ambiguous")

	_, ok = FindLine(family, "5599999999999")
	require.False(t, ok)
	require.Equal(t, "", CurrentStatus(nil))
	require.Equal(t, "X", CurrentStatus(map[string]any{"status": "X"}))
}
