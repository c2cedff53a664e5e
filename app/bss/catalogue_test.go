package bss

import (
	"errors"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func testCatalogue(t testing.TB) *Catalogue {
	t.Helper()
	c, err := LoadCatalogue()
	require.NoError(t, err)
	return c
}

// TestResolveDocumentedOperations checks every operation of
// bss-operations.md against what the catalogue sends.
func TestResolveDocumentedOperations(t *testing.T) {
	t.Parallel()
	cat := testCatalogue(t)
	const m = "15471723980"
	tests := []struct {
		name, method string
		args         map[string]any
		system, verb string
		path         string
		query        url.Values
		header       map[string]string
		body         string // JSON; "" for none
		effect       Effect
	}{
		{
			name: "enquiry by msisdn", method: "line.get_customer_enquiry", args: map[string]any{"msisdn": m},
			system: "bias", verb: "GET", path: "bias/bssfsdCustomerEnquiry/v1/customer",
			query: url.Values{"includeTerminatedContracts": {"true"}, "includeContracts": {"true"},
				"communicationIdType": {"E.164"}, "communicationId": {"55" + m}},
			effect: EffectRead,
		},
		{
			name: "enquiry by msisdn given with 55", method: "line.get_customer_enquiry", args: map[string]any{"msisdn": "55" + m},
			system: "bias", verb: "GET", path: "bias/bssfsdCustomerEnquiry/v1/customer",
			query: url.Values{"includeTerminatedContracts": {"true"}, "includeContracts": {"true"},
				"communicationIdType": {"E.164"}, "communicationId": {"55" + m}},
			effect: EffectRead,
		},
		{
			name: "enquiry by customer id", method: "line.get_customer_enquiry", args: map[string]any{"customer_id": "199351819"},
			system: "bias", verb: "GET", path: "bias/bssfsdCustomerEnquiry/v1/customer",
			query: url.Values{"customerId": {"199351819"}}, effect: EffectRead,
		},
		{
			name: "individual party", method: "line.get_individual_party", args: map[string]any{"external_id": "userPartyExternalId_4728038528"},
			system: "bae", verb: "GET", path: "bae/bssfIndividualPartyEnquiry/v1/individualParty/",
			query: url.Values{"externalId": {"userPartyExternalId_4728038528"}}, effect: EffectRead,
		},
		{
			name: "read contract", method: "line.read_contract", args: map[string]any{"customer_id": "C1", "contract_id": "K1"},
			system: "cpm", verb: "GET", path: "cpm/business/v1/readContract/customer/C1/contract/K1",
			query: url.Values{"validAt": {"*"}}, effect: EffectRead,
		},
		{
			name: "contract status by ids", method: "line.set_contract_status",
			args:   map[string]any{"customer_id": "C1", "contract_id": "K1", "status": "ContractSuspended"},
			system: "bae", verb: "PATCH", path: "bae/bssfSubscriptionManagement/v1/customer/C1/contract/K1",
			body: `{"status":[{"status":"ContractSuspended"}]}`, effect: EffectWrite,
		},
		{
			name: "contract status by msisdn", method: "line.set_contract_status",
			args:   map[string]any{"msisdn": m, "status": "ContractActive"},
			system: "bias", verb: "POST", path: "bias/vivoUpdateContractStatus/v1/updateStatus",
			body:   `{"communicationId":"` + m + `","communicationIdType":"E.164","status":[{"status":"ContractActive"}]}`,
			effect: EffectWrite,
		},
		{
			name: "activate product", method: "line.set_product_status",
			args: map[string]any{"msisdn": m, "activate": true, "product_offering_external_id": "BONUS",
				"product_external_id": "BNCTADIG100MB0036uEK"},
			system: "bias", verb: "POST", path: "bias/vivoActivateProduct/v1/communicationId/" + m + "/communicationIdType/E.164",
			body:   `{"product":[{"productOfferingExternalId":"BONUS","externalId":"BNCTADIG100MB0036uEK","status":[{"status":"ProductActive"}]}]}`,
			effect: EffectWrite,
		},
		{
			name: "terminate product (legacy args, msisdn and a string false)", method: "line.set_product_status",
			args: map[string]any{"msisdn": m, "activate": "False", "product_id": "P1",
				"customer_id": "C1", "contract_id": "K1"},
			system: "bae", verb: "PATCH", path: "bae/bssfSubscriptionManagement/v1/customer/C1/contract/K1",
			body: `{"product":[{"id":"P1","status":[{"status":"ProductTerminated"}]}]}`, effect: EffectWrite,
		},
		{
			name: "soft cancel control", method: "line.set_soft_cancel_control", args: map[string]any{"msisdn": m},
			system: "bias", verb: "POST", path: "bias/vivoUpdateContractStatus/v1/updateStatus",
			body:   `{"communicationId":"` + m + `","communicationIdType":"E.164","status":[{"status":"CtrlCancelado"}]}`,
			effect: EffectWrite,
		},
		{
			name: "soft cancel postpaid", method: "line.set_soft_cancel_postpaid",
			args:   map[string]any{"msisdn": m, "reason": "Cancelamento da linha Pos"},
			system: "bias", verb: "POST", path: "bias/vivoDeactivateContract/v1/communicationId/" + m + "/communicationIdType/E.164",
			body: `{"reason":"Cancelamento da linha Pos"}`, effect: EffectWrite,
		},
		{
			name: "consumer list", method: "line.set_consumer_list",
			args: map[string]any{"provider_customer_external_id": "746814538", "provider_contract_external_id": "9777818804",
				"provider_product_external_id": "PRVMV8315505696395",
				"consumers":                    []any{map[string]any{"consumerContractExternalId": "727386610"}}},
			system: "bias", verb: "POST", path: "bias/bssfsdSubscriptionManagement/v1/rmil-manage-consumer-list/",
			header: map[string]string{"ERICSSON.External-User-Id": "BKO"},
			body: `{"providerCustomerExternalId":"746814538","providerContractExternalId":"9777818804",
				"providerProductExternalId":"PRVMV8315505696395","consumer":[{"consumerContractExternalId":"727386610"}]}`,
			effect: EffectWrite,
		},
		{
			name: "create client keeps the document's type", method: "line.set_create_client",
			args:   map[string]any{"data": map[string]any{"externalId": "900", "n": 3.5}},
			system: "bias", verb: "POST", path: "bias/vivoCreateClient/v1/customer",
			header: map[string]string{"ERICSSON.External-User-Id": "BKO"},
			body:   `{"externalId":"900","n":3.5}`, effect: EffectWrite,
		},
		{
			name: "delete contract", method: "line.delete_contract", args: map[string]any{"customer_id": "C1", "contract_id": "K1"},
			system: "bae", verb: "DELETE", path: "bae/bssfSubscriptionManagement/v1/customer/C1/contract/K1",
			effect: EffectDestructive,
		},
		{
			name: "party terminated", method: "line.set_party_terminated", args: map[string]any{"party_id": "PTY1"},
			system: "cpm", verb: "POST", path: "cpm/business/v1/updateParty/party/PTY1",
			header: map[string]string{"ERICSSON.Cascade-Termination": "true"},
			body:   `{"resource":{"statuses":[{"status":"PartyTerminated"}]}}`, effect: EffectDestructive,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := cat.Resolve(tt.method, tt.args)
			require.NoError(t, err)
			require.Equal(t, tt.method, req.Operation)
			require.Equal(t, tt.system, req.System)
			require.Equal(t, tt.verb, req.Method)
			require.Equal(t, tt.path, req.Path)
			require.Equal(t, tt.effect, req.Effect)
			q, err := url.ParseQuery(req.Query)
			require.NoError(t, err)
			if tt.query == nil {
				tt.query = url.Values{}
			}
			require.Equal(t, tt.query, q)
			for k, v := range tt.header {
				require.Equal(t, []string{v}, req.Header[k], "header %s, as written", k)
			}
			if tt.body == "" {
				require.Nil(t, req.Body)
			} else {
				require.JSONEq(t, tt.body, string(req.Body))
			}
			if req.IsWrite() {
				require.NotEmpty(t, req.v.already, "every write declares its already-in-state answers")
				if req.Operation != "line.set_party_terminated" {
					require.NotNil(t, req.Verify, "every write but the party's can be verified")
					require.NotEmpty(t, req.Verify.Args)
				}
			} else {
				require.Nil(t, req.Verify)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	t.Parallel()
	cat := testCatalogue(t)
	tests := []struct {
		name, method string
		args         map[string]any
		want         string
	}{
		{"unknown method", "line.nope", nil, `unknown method "line.nope"`},
		{"unknown args named", "line.delete_contract",
			map[string]any{"customer_id": "C", "contract_id": "K", "contrat": "x", "force": true},
			"line.delete_contract: unknown args contrat, force"},
		{"missing per variant", "line.set_contract_status", map[string]any{"customer_id": "C", "status": "S"},
			"missing args: variant bae_by_ids needs contract_id; variant bias_by_msisdn needs msisdn"},
		{"empty string is missing", "line.delete_contract", map[string]any{"customer_id": "C", "contract_id": " "},
			"variant by_ids needs contract_id"},
		{"null is missing", "line.delete_contract", map[string]any{"customer_id": "C", "contract_id": nil},
			"variant by_ids needs contract_id"},
		{"when value named", "line.set_product_status", map[string]any{"product_id": "P", "customer_id": "C", "contract_id": "K"},
			"variant terminate needs activate=false"},
		{"bad msisdn", "line.get_customer_enquiry", map[string]any{"msisdn": "12ab"}, `msisdn "12ab": not a number`},
		{"short msisdn", "line.get_customer_enquiry", map[string]any{"msisdn": "12345"}, "want a national number of 10 or 11 digits"},
		{"object in a path", "line.delete_contract", map[string]any{"customer_id": map[string]any{"a": 1}, "contract_id": "K"},
			"arg customer_id: is an object"},
		{"dot-dot in a path", "line.delete_contract", map[string]any{"customer_id": "..", "contract_id": "K"},
			`".." cannot be a path segment`},
		{"header injection", "line.get_individual_party", map[string]any{"external_id": "a\r\nX: y"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := cat.Resolve(tt.method, tt.args)
			if tt.want == "" {
				// Query values are escaped, so this one is harmless.
				require.NoError(t, err)
				require.Equal(t, "externalId=a%0D%0AX%3A+y", req.Query)
				return
			}
			require.ErrorContains(t, err, tt.want)
			if tt.method != "line.nope" {
				var ae *ArgsError
				require.True(t, errors.As(err, &ae), "an *ArgsError: %v", err)
			} else {
				require.ErrorIs(t, err, ErrUnknownMethod)
			}
		})
	}
}

func TestPathArgsAreEscaped(t *testing.T) {
	t.Parallel()
	req, err := testCatalogue(t).Resolve("line.delete_contract", map[string]any{"customer_id": "a/b?c", "contract_id": 42})
	require.NoError(t, err)
	require.Equal(t, "bae/bssfSubscriptionManagement/v1/customer/a%2Fb%3Fc/contract/42", req.Path)
}

func TestRequestCarriesItsVerifySpec(t *testing.T) {
	t.Parallel()
	req, err := testCatalogue(t).Resolve("line.set_product_status", map[string]any{
		"activate": false, "product_id": "P", "customer_id": "C", "contract_id": "K"})
	require.NoError(t, err)
	require.Equal(t, &VerifySpec{
		Method: "line.read_contract",
		Args:   map[string]any{"customer_id": "C", "contract_id": "K"},
		Expr:   `found && current_status(find(result.product, {id: args.product_id})) == "ProductTerminated"`,
	}, req.Verify)
}

func TestFirstFittingVariantWins(t *testing.T) {
	t.Parallel()
	req, err := testCatalogue(t).Resolve("line.set_contract_status",
		map[string]any{"customer_id": "C", "contract_id": "K", "msisdn": "15471723980", "status": "S"})
	require.NoError(t, err)
	require.Equal(t, "bae_by_ids", req.Variant)
}

func TestMethodsForLinters(t *testing.T) {
	t.Parallel()
	cat := testCatalogue(t)
	effects := map[string]Effect{}
	for _, m := range cat.Methods() {
		effects[m.Name] = m.Effect
	}
	require.Equal(t, map[string]Effect{
		"line.get_customer_enquiry":     "read",
		"line.get_individual_party":     "read",
		"line.read_contract":            "read",
		"line.set_contract_status":      "write",
		"line.set_product_status":       "write",
		"line.set_soft_cancel_control":  "write",
		"line.set_soft_cancel_postpaid": "write",
		"line.set_consumer_list":        "write",
		"line.set_create_client":        "write",
		"line.delete_contract":          "destructive",
		"line.set_party_terminated":     "destructive",
	}, effects)
	m, ok := cat.Method("line.set_product_status")
	require.True(t, ok)
	require.Equal(t, []string{"activate", "contract_id", "customer_id", "msisdn", "product_external_id",
		"product_id", "product_offering_external_id"}, m.Params)
	require.Len(t, m.Variants, 2)
	require.Equal(t, map[string]any{"activate": true}, m.Variants[0].When)
	require.True(t, m.Variants[0].Verifiable)
	_, ok = cat.Method("line.get_contract")
	require.False(t, ok, "local methods are the interpreter's")
	require.Equal(t, []string{"bae", "bias", "cpm"}, cat.Systems())
}

func TestOverrideFile(t *testing.T) {
	t.Parallel()
	override := []byte(`
methods:
  line.read_contract:
    description: CPM moved its API.
    variants:
      - id: v2
        requires: [customer_id, contract_id]
        system: cpm
        method: GET
        path: cpm/business/v2/contracts/{contract_id}
        query: {customer: "{customer_id}"}
        effect: read
  line.set_party_terminated:
    remove: true
  line.ping:
    variants:
      - id: ping
        system: bias
        method: GET
        path: bias/ping
        effect: read
`)
	cat, err := LoadCatalogue(override)
	require.NoError(t, err)
	req, err := cat.Resolve("line.read_contract", map[string]any{"customer_id": "C", "contract_id": "K"})
	require.NoError(t, err)
	require.Equal(t, "cpm/business/v2/contracts/K", req.Path)
	require.Equal(t, "customer=C", req.Query)
	_, ok := cat.Method("line.set_party_terminated")
	require.False(t, ok)
	req, err = cat.Resolve("line.ping", nil)
	require.NoError(t, err)
	require.Equal(t, "bias/ping", req.Path)
	// Verifies referring to the replaced read still compile against it.
	_, ok = cat.Method("line.delete_contract")
	require.True(t, ok)
}

func TestCatalogueErrorsSayWhere(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, yaml, want string }{
		{"typo in a field", "methods:\n  line.x:\n    variants:\n      - id: a\n        sytem: bias\n", "field sytem not found"},
		{"bad effect", variantYAML("effect: maybe"), `methods.line.x.variants[0] (a): effect "maybe"`},
		{"GET write", variantYAML("effect: write"), "effect write with method GET"},
		{"undeclared placeholder", variantYAML("effect: read\n        query: {q: \"{who}\"}"), "query.q: {who} is not in requires or optional"},
		{"optional in path", "methods:\n  line.x:\n    variants:\n      - id: a\n        optional: [k]\n        system: bias\n        method: GET\n        path: x/{k}\n        effect: read\n",
			"path: {k} must be a required arg"},
		{"unclosed brace", variantYAML("effect: read\n        query: {q: \"{x\"}"), "unclosed '{'"},
		{"unknown filter", "methods:\n  line.x:\n    variants:\n      - id: a\n        requires: [m]\n        system: bias\n        method: GET\n        path: x/{m|upper}\n        effect: read\n",
			`unknown filter "upper"`},
		{"verify with a write", "methods:\n  line.x:\n    variants:\n      - id: a\n        system: bias\n        method: POST\n        path: x\n        effect: write\n        verify: {method: line.delete_contract, expr: found}\n",
			"verify: method line.delete_contract is a destructive; verify with a read"},
		{"verify expression does not compile", "methods:\n  line.x:\n    variants:\n      - id: a\n        system: bias\n        method: POST\n        path: x\n        effect: write\n        verify: {method: line.read_contract, expr: 'found &&'}\n",
			"verify: expr:"},
		{"verify uses an unknown name", "methods:\n  line.x:\n    variants:\n      - id: a\n        system: bias\n        method: POST\n        path: x\n        effect: write\n        verify: {method: line.read_contract, expr: 'resutl == nil'}\n",
			"unknown name resutl"},
		{"bad already regexp", "methods:\n  line.x:\n    variants:\n      - id: a\n        system: bias\n        method: POST\n        path: x\n        effect: write\n        already_done:\n          - status: [409]\n            body: \"(\"\n",
			"already_done[0].body"},
		{"already on a 2xx", "methods:\n  line.x:\n    variants:\n      - id: a\n        system: bias\n        method: POST\n        path: x\n        effect: write\n        already_done: [{status: [200]}]\n",
			"status 200: want an error status"},
		{"no variants", "methods:\n  line.x: {description: x}\n", "methods.line.x: no variants"},
		{"bad version", "version: 2\n", "version 2: want 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadCatalogue([]byte(tt.yaml))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func variantYAML(extra string) string {
	return "methods:\n  line.x:\n    variants:\n      - id: a\n        system: bias\n        method: GET\n        path: x\n        " + extra + "\n"
}

func TestTemplateRendering(t *testing.T) {
	t.Parallel()
	args := map[string]any{"s": "a b", "n": 3.0, "big": 15471723980.0, "b": false, "o": map[string]any{"k": "v"}, "m": "5515471723980"}
	tests := []struct {
		tmpl  string
		want  any
		ok    bool
		error string
	}{
		{"{s}", "a b", true, ""},
		{"{n}", 3.0, true, ""}, // a whole placeholder keeps its type
		{"x{n}", "x3", true, ""},
		{"{big}", 15471723980.0, true, ""},
		{"id-{big}", "id-15471723980", true, ""},
		{"{b}", false, true, ""},
		{"{o.k}", "v", true, ""},
		{"{o}", map[string]any{"k": "v"}, true, ""},
		{"{m|national}", "15471723980", true, ""},
		{"{m|e164}", "5515471723980", true, ""},
		{"{{literal}}", "{literal}", true, ""},
		{"{absent}", nil, false, ""},
		{"a{o.nope}", "", false, ""},
		{"x{o}", nil, true, "is an object"},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			t.Parallel()
			tm, err := parseTemplate(tt.tmpl)
			require.NoError(t, err)
			v, ok, err := tm.value(args)
			if tt.error != "" {
				require.ErrorContains(t, err, tt.error)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.ok, ok)
			if ok {
				require.Equal(t, tt.want, v)
			}
		})
	}
}

func TestMSISDNForms(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, national, e164, err string }{
		{"15471723980", "15471723980", "5515471723980", ""},
		{"5515471723980", "15471723980", "5515471723980", ""},
		{"+55 15471723980", "15471723980", "5515471723980", ""},
		{"1547172398", "1547172398", "551547172398", ""},
		{"55912345678", "55912345678", "5555912345678", ""}, // DDD 55 is national
		{"123", "", "", "want a national number"},
		{"", "", "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			n, err := msisdnNational(tt.in)
			e, err2 := msisdnE164(tt.in)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.Error(t, err2)
				return
			}
			require.NoError(t, err)
			require.NoError(t, err2)
			require.Equal(t, tt.national, n)
			require.Equal(t, tt.e164, e)
		})
	}
	require.True(t, SameMSISDN("5515471723980", "15471723980"))
	require.False(t, SameMSISDN("15471723981", "15471723980"))
}
