package flows

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLegacyLoadsAndLints(t *testing.T) {
	t.Parallel()
	f := legacyFile(t)
	var names []string
	for _, fl := range f.Flows {
		names = append(names, fl.Name)
	}
	require.Equal(t, []string{"terminate_product", "activate_product", "Cancelar", "Hard_Cancel",
		"Soft_Cancel_Control", "Soft_Cancel_Postpaid", "Criar Cliente", "Contratos", "Enquiry"}, names)
	diags := Lint(f, legacyCatalog())
	require.False(t, diags.HasErrors(), diags.String())
	// failed_products is an input column, which lint cannot know.
	for _, d := range diags {
		require.Equal(t, CodeUnknownVar, d.Code, d.String())
		require.Contains(t, d.Message, `"failed_products"`)
	}
	require.Equal(t, 1, diags.ExitCode())
}

// contract is what line.get_contract answers for a line.
func contract(paymentContext string) map[string]any {
	return map[string]any{
		"customer_id": "C1",
		"contract":    map[string]any{"id": "K1", "externalId": "X1", "paymentContext": paymentContext},
	}
}

func TestLegacyCancelar(t *testing.T) {
	t.Parallel()
	f := legacyFile(t)
	in := Input{MSISDN: "15471723981"}
	getContract := seen{Key: "Cancelar[0]", Method: "line.get_contract", Args: map[string]any{"search": map[string]any{"externalId": "15471723981"}}}
	softControl := seen{Key: "Cancelar[1]/Soft_Cancel_Control[0]", Method: "line.set_soft_cancel_control", Args: map[string]any{"msisdn": "15471723981"}}
	hard := func(prefix string) []seen {
		return []seen{
			{Key: prefix + "/Hard_Cancel[0]", Method: "line.get_individual_party", Args: map[string]any{"external_id": "userPartyExternalId_X1"}},
			{Key: prefix + "/Hard_Cancel[1]", Method: "line.delete_contract", Args: map[string]any{"customer_id": "C1", "contract_id": "K1"}},
			{Key: prefix + "/Hard_Cancel[2]", Method: "line.set_party_terminated", Args: map[string]any{"party_id": "P1"}},
		}
	}
	party := map[string]any{"id": "P1", "status": "PartyActive"}
	tests := []struct {
		name    string
		answers map[string]any
		calls   []seen
		status  Status
	}{
		{
			name:    "control, soft cancel applied: the contract is never deleted",
			answers: map[string]any{"line.get_contract": contract("Control"), "line.set_soft_cancel_control": writeResult{Applied: true}},
			calls:   []seen{getContract, softControl},
			status:  Succeeded,
		},
		{
			name: "prepaid, soft cancel rejected: hard cancel",
			answers: map[string]any{"line.get_contract": contract("Prepaid"), "line.get_individual_party": party,
				"line.set_soft_cancel_control": writeResult{Outcome: "rejected"}},
			calls:  append([]seen{getContract, softControl}, hard("Cancelar[1]/Soft_Cancel_Control[1]")...),
			status: Succeeded,
		},
		{
			name:    "control, soft cancel unknown: the line fails, nothing deleted",
			answers: map[string]any{"line.get_contract": contract("Control"), "line.set_soft_cancel_control": &StepError{Code: CodeUnknown, Message: "no answer"}},
			calls:   []seen{getContract, softControl},
			status:  Failed,
		},
		{
			name:    "postpaid, soft cancel applied",
			answers: map[string]any{"line.get_contract": contract("Postpaid"), "line.set_soft_cancel_postpaid": writeResult{Applied: true}},
			calls: []seen{getContract, {Key: "Cancelar[2]/Soft_Cancel_Postpaid[0]", Method: "line.set_soft_cancel_postpaid",
				Args: map[string]any{"msisdn": "15471723981", "reason": "Cancelamento da linha Pos - Migração Pos‑Pago → Controle Fatura"}}},
			status: Succeeded,
		},
		{
			name: "postpaid, soft cancel rejected, no party: delete but no party termination",
			answers: map[string]any{"line.get_contract": contract("Postpaid"),
				"line.set_soft_cancel_postpaid": writeResult{Outcome: "rejected"}},
			calls: append([]seen{getContract, {Key: "Cancelar[2]/Soft_Cancel_Postpaid[0]", Method: "line.set_soft_cancel_postpaid",
				Args: map[string]any{"msisdn": "15471723981", "reason": "Cancelamento da linha Pos - Migração Pos‑Pago → Controle Fatura"}}},
				hard("Cancelar[2]/Soft_Cancel_Postpaid[1]")[:2]...),
			status: Succeeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt := &fakeRuntime{answer: byMethod(tt.answers)}
			res := run(t, f, "Cancelar", in, rt)
			require.Equal(t, tt.status, res.Status, "%+v", res.Err)
			require.Equal(t, tt.calls, rt.calls)
		})
	}
}

func TestLegacyCancelarIsDestructive(t *testing.T) {
	t.Parallel()
	f := legacyFile(t)
	cat := legacyCatalog()
	require.True(t, CanDestroy(f, "Cancelar", cat))
	require.False(t, CanDestroy(f, "Enquiry", cat))
	require.True(t, CanDestroy(f, "Soft_Cancel_Control", cat), "through Hard_Cancel")
	require.False(t, CanDestroy(f, "Criar Cliente", cat))
	var got []string
	for _, w := range Writes(f, "Cancelar", cat) {
		got = append(got, fmt.Sprintf("%v %s %s", w.Via, w.Method.Name, w.Method.Effect))
	}
	require.Equal(t, []string{
		"[Cancelar Soft_Cancel_Control] line.set_soft_cancel_control write",
		"[Cancelar Soft_Cancel_Control Hard_Cancel] line.delete_contract destructive",
		"[Cancelar Soft_Cancel_Control Hard_Cancel] line.set_party_terminated destructive",
		"[Cancelar Soft_Cancel_Postpaid] line.set_soft_cancel_postpaid write",
		"[Cancelar Soft_Cancel_Postpaid Hard_Cancel] line.delete_contract destructive",
		"[Cancelar Soft_Cancel_Postpaid Hard_Cancel] line.set_party_terminated destructive",
	}, got)
	// A method the catalog does not know counts as destructive.
	require.True(t, CanDestroy(f, "Criar Cliente", Methods{}))
}

func TestLegacyEnquiry(t *testing.T) {
	t.Parallel()
	f := legacyFile(t)
	doc := map[string]any{"customer": map[string]any{"id": "C1"}}
	byMSISDN := seen{Key: "Enquiry[0]", Method: "line.get_customer_enquiry", Args: map[string]any{"msisdn": "15471723980"}}
	byID := seen{Key: "Enquiry[1]", Method: "line.get_customer_enquiry", Args: map[string]any{"customer_id": "15471723980"}}
	save := seen{Key: "Enquiry[2]", Method: "line.save_object", Args: map[string]any{"obj": doc, "var_name": "enquiry"}}
	tests := []struct {
		name   string
		answer func(StepRef, Call) (any, error)
		calls  []seen
	}{
		{
			name:   "found by MSISDN: no fallback",
			answer: func(StepRef, Call) (any, error) { return doc, nil },
			calls:  []seen{byMSISDN, save},
		},
		{
			name: "not found by MSISDN (nil): the fallback runs",
			answer: func(_ StepRef, c Call) (any, error) {
				if _, ok := c.Args["customer_id"]; ok {
					return doc, nil
				}
				return nil, nil
			},
			calls: []seen{byMSISDN, byID, save},
		},
		{
			name: "not found by MSISDN (empty list): the fallback runs",
			answer: func(_ StepRef, c Call) (any, error) {
				if _, ok := c.Args["customer_id"]; ok {
					return doc, nil
				}
				return []any{}, nil
			},
			calls: []seen{byMSISDN, byID, save},
		},
		{
			name:   "found nowhere: nothing saved",
			answer: func(StepRef, Call) (any, error) { return nil, nil },
			calls:  []seen{byMSISDN, byID},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt := &fakeRuntime{answer: tt.answer}
			res := run(t, f, "Enquiry", Input{MSISDN: "15471723980"}, rt)
			require.Equal(t, Succeeded, res.Status)
			require.Equal(t, tt.calls, rt.calls)
		})
	}
}

func TestLegacyOthers(t *testing.T) {
	t.Parallel()
	f := legacyFile(t)
	info := contract("Control")
	products := []any{
		map[string]any{"id": "P1", "product_offering_external_id": "O1", "product_external_id": "E1"},
		map[string]any{"id": "P2", "product_offering_external_id": "O2", "product_external_id": "E2"},
	}
	in := Input{MSISDN: "155", Columns: map[string]any{"failed_products": products, "info": info}}
	tests := []struct {
		flow  string
		calls []seen
	}{
		{"terminate_product", []seen{
			{Key: "terminate_product[0]#0", Method: "line.set_product_status", Args: map[string]any{
				"msisdn": "155", "activate": false, "product_id": "P1", "customer_id": "C1", "contract_id": "K1"}},
			{Key: "terminate_product[0]#1", Method: "line.set_product_status", Args: map[string]any{
				"msisdn": "155", "activate": false, "product_id": "P2", "customer_id": "C1", "contract_id": "K1"}},
		}},
		{"activate_product", []seen{
			{Key: "activate_product[0]#0", Method: "line.set_product_status", Args: map[string]any{
				"msisdn": "155", "activate": true, "product_offering_external_id": "O1", "product_external_id": "E1"}},
			{Key: "activate_product[0]#1", Method: "line.set_product_status", Args: map[string]any{
				"msisdn": "155", "activate": true, "product_offering_external_id": "O2", "product_external_id": "E2"}},
		}},
		{"Criar Cliente", []seen{
			{Key: "Criar Cliente[0]", Method: "line.set_create_client", Args: map[string]any{"data": "155"}},
		}},
		{"Contratos", []seen{
			{Key: "Contratos[0]", Method: "line.get_contract", Args: map[string]any{"search": map[string]any{"externalId": "155"}}},
			// "{{ info }}" passes the map itself.
			{Key: "Contratos[1]", Method: "line.save_object", Args: map[string]any{"obj": info, "var_name": "contracts"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.flow, func(t *testing.T) {
			t.Parallel()
			rt := &fakeRuntime{answer: byMethod(map[string]any{"line.get_contract": info})}
			res := run(t, f, tt.flow, in, rt)
			require.Equal(t, Succeeded, res.Status, "%+v", res.Err)
			require.Equal(t, tt.calls, rt.calls)
		})
	}
}

func TestLegacyManifestFlowsExist(t *testing.T) {
	t.Parallel()
	f := legacyFile(t)
	for _, name := range []string{"Enquiry", "Cancelar", "Contratos"} { // legacy-manifest.yaml's sequences
		require.NotNil(t, f.Flow(name), name)
	}
}
