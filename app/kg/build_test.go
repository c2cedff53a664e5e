package kg

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

func build(t *testing.T, doc string) *Graph {
	t.Helper()
	g, err := Builder{Now: testNow}.Build([]byte(doc))
	require.NoError(t, err)
	return g
}

// facts renders triples as "pred(subject, object) pointer".
func facts(g *Graph) []string {
	var fs []string
	for _, t := range g.Triples {
		fs = append(fs, fmt.Sprintf("%s(%s, %s) %s", t.Predicate, t.Subject, t.Object, t.Pointer))
	}
	return fs
}

// find returns the triples of a predicate.
func find(g *Graph, pred string) []Triple {
	var ts []Triple
	for _, t := range g.Triples {
		if t.Predicate == pred {
			ts = append(ts, t)
		}
	}
	return ts
}

func TestBuildEntities(t *testing.T) {
	t.Parallel()
	g := build(t, `{"id":"C","account":[{"id":"A","customerBillCycleSpecification":[{"id":"B"}]}],
		"contract":[{"id":"K","product":[{"id":"P","price":[{"id":"PR","comprisedOf":[{"id":"PC"}]}],
		"sharingProvider":{"consumerList":[{"id":"E"}]}}],
		"resource":[{"id":"R"}],"relatedPartyInteractionRole":[{"id":"ROLE"}]}]}`)
	require.Equal(t, "C", g.Root)
	require.Equal(t, map[string]EntityInfo{
		"C":    {"customer", ""},
		"A":    {"account", "/account/0"},
		"B":    {"billCycle", "/account/0/customerBillCycleSpecification/0"},
		"K":    {"contract", "/contract/0"},
		"P":    {"product", "/contract/0/product/0"},
		"PR":   {"price", "/contract/0/product/0/price/0"},
		"PC":   {"priceComponent", "/contract/0/product/0/price/0/comprisedOf/0"},
		"E":    {"consumerListEntry", "/contract/0/product/0/sharingProvider/consumerList/0"},
		"R":    {"resource", "/contract/0/resource/0"},
		"ROLE": {"partyRole", "/contract/0/relatedPartyInteractionRole/0"},
	}, g.Entities)
	require.Equal(t, []string{
		"type(C, customer) ",
		"account(C, A) /account/0",
		"type(A, account) /account/0",
		"customerBillCycleSpecification(A, B) /account/0/customerBillCycleSpecification/0",
		"type(B, billCycle) /account/0/customerBillCycleSpecification/0",
		"contract(C, K) /contract/0",
		"type(K, contract) /contract/0",
		"product(K, P) /contract/0/product/0",
		"type(P, product) /contract/0/product/0",
		"price(P, PR) /contract/0/product/0/price/0",
		"type(PR, price) /contract/0/product/0/price/0",
		"comprisedOf(PR, PC) /contract/0/product/0/price/0/comprisedOf/0",
		"type(PC, priceComponent) /contract/0/product/0/price/0/comprisedOf/0",
		"sharingProvider.consumerList(P, E) /contract/0/product/0/sharingProvider/consumerList/0",
		"type(E, consumerListEntry) /contract/0/product/0/sharingProvider/consumerList/0",
		"resource(K, R) /contract/0/resource/0",
		"type(R, resource) /contract/0/resource/0",
		"relatedPartyInteractionRole(K, ROLE) /contract/0/relatedPartyInteractionRole/0",
		"type(ROLE, partyRole) /contract/0/relatedPartyInteractionRole/0",
	}, facts(g))
	for _, e := range find(g, "contract") {
		require.Equal(t, Entity, e.ObjectKind)
		require.Equal(t, ClassEdge, e.Class)
	}
}

func TestBuildLiterals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		doc    string
		want   []string
		absent []string
	}{
		{
			name:   "scalars",
			doc:    `{"id":"C","externalId":"123","enabled":true,"count":7,"none":null}`,
			want:   []string{"externalId(C, 123) /externalId", "enabled(C, true) /enabled", "count(C, 7) /count"},
			absent: []string{"none", "id(C"},
		},
		{
			name: "objects without an id are flattened, arrays are transparent",
			doc:  `{"id":"C","homeTimeZone":[{"timeZone":"America/Sao_Paulo"},{"timeZone":"UTC"}],"a":{"b":{"c":"d"}}}`,
			want: []string{
				"homeTimeZone.timeZone(C, America/Sao_Paulo) /homeTimeZone/0/timeZone",
				"homeTimeZone.timeZone(C, UTC) /homeTimeZone/1/timeZone",
				"a.b.c(C, d) /a/b/c",
			},
		},
		{
			name: "catalog objects are flattened although they carry an id",
			doc:  `{"id":"C","contract":[{"id":"K","contractSpecification":{"id":"9fc2d0a1-7b8f-4ab5-b451-d0135675f6ad"}}]}`,
			want: []string{"contractSpecification.id(K, 9fc2d0a1-7b8f-4ab5-b451-d0135675f6ad) /contract/0/contractSpecification/id"},
		},
		{
			name: "validFor is one interval",
			doc: `{"id":"C","validFor":{"startDateTime":"2025-05-29T13:05:56.037-03:00","endDateTime":"2025-06-01T00:00:00.000-03:00"},
				"open":{"startDateTime":"2025-05-29T13:05:56.037-03:00"},"period":[{"endDateTime":"2025-06-01T00:00:00.000-03:00"}]}`,
			want: []string{
				"validFor(C, 2025-05-29T13:05:56.037-03:00/2025-06-01T00:00:00.000-03:00) /validFor",
				"open(C, 2025-05-29T13:05:56.037-03:00/..) /open",
				"period(C, ../2025-06-01T00:00:00.000-03:00) /period/0",
			},
		},
		{
			name: "sentinel dates are dropped",
			doc: `{"id":"C","born":"1970-01-01T22:59:59.151-03:00","until":"9999-12-31T12:00:00.000Z",
				"validFor":{"startDateTime":"1970-01-01T22:59:59.151-03:00","endDateTime":"9999-12-31T12:00:00.000Z"},
				"since":{"startDateTime":"1970-01-01T22:59:59.151-03:00","endDateTime":"2025-06-01T00:00:00.000-03:00"}}`,
			want:   []string{"since(C, ../2025-06-01T00:00:00.000-03:00) /since"},
			absent: []string{"born", "until", "validFor"},
		},
		{
			name: "pointers escape ~ and /",
			doc:  `{"id":"C","a/b":{"c~d":"x"}}`,
			want: []string{"a/b.c~d(C, x) /a~1b/c~0d"},
		},
		{
			name: "an object whose id is not a string is flattened",
			doc:  `{"id":"C","thing":{"id":7,"name":"n"}}`,
			want: []string{"thing.id(C, 7) /thing/id", "thing.name(C, n) /thing/name"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := facts(build(t, tc.doc))
			require.Subset(t, fs, tc.want)
			for _, a := range tc.absent {
				for _, f := range fs {
					require.False(t, strings.HasPrefix(f, a), "unexpected %s", f)
				}
			}
		})
	}
}

func TestCurrentStatus(t *testing.T) {
	t.Parallel()
	// now is 2025-07-01T12:00Z.
	for _, tc := range []struct {
		name    string
		history string
		want    string // pointer index of the chosen entry, or "" for none
		status  string
	}{
		{"one entry", `[{"status":"A","validFor":{"startDateTime":"2024-01-01T00:00:00Z"}}]`, "0", "A"},
		{"no validFor", `[{"status":"A"}]`, "0", "A"},
		{"the entry that covers now", `[
			{"status":"A","validFor":{"startDateTime":"2024-01-01T00:00:00Z","endDateTime":"2025-01-01T00:00:00Z"}},
			{"status":"B","validFor":{"startDateTime":"2025-01-01T00:00:00Z"}}]`, "1", "B"},
		{"order does not matter", `[
			{"status":"B","validFor":{"startDateTime":"2025-01-01T00:00:00Z"}},
			{"status":"A","validFor":{"startDateTime":"2024-01-01T00:00:00Z","endDateTime":"2025-01-01T00:00:00Z"}}]`, "0", "B"},
		{"a future entry waits", `[
			{"status":"A","validFor":{"startDateTime":"2024-01-01T00:00:00Z"}},
			{"status":"B","validFor":{"startDateTime":"2026-01-01T00:00:00Z"}}]`, "0", "A"},
		{"offsets are compared as instants", `[
			{"status":"A","validFor":{"startDateTime":"2025-07-01T08:30:00.000-03:00"}},
			{"status":"B","validFor":{"startDateTime":"2025-07-01T12:10:00.000Z"}}]`, "0", "A"},
		{"among covering entries the latest start", `[
			{"status":"A","validFor":{"startDateTime":"2024-01-01T00:00:00Z"}},
			{"status":"B","validFor":{"startDateTime":"2025-01-01T00:00:00Z"}}]`, "1", "B"},
		{"all ended: the latest start", `[
			{"status":"B","validFor":{"startDateTime":"2025-01-01T00:00:00Z","endDateTime":"2025-02-01T00:00:00Z"}},
			{"status":"A","validFor":{"startDateTime":"2024-01-01T00:00:00Z","endDateTime":"2025-01-01T00:00:00Z"}}]`, "0", "B"},
		{"a sentinel start is the beginning of time", `[
			{"status":"B","validFor":{"startDateTime":"2024-01-01T00:00:00Z"}},
			{"status":"A","validFor":{"startDateTime":"1970-01-01T23:34:59.000-03:00"}}]`, "0", "B"},
		{"a sentinel end is never", `[
			{"status":"A","validFor":{"startDateTime":"2024-01-01T00:00:00Z","endDateTime":"9999-12-31T12:00:00.000Z"}}]`, "0", "A"},
		{"ties go to the later entry", `[
			{"status":"A","validFor":{"startDateTime":"2024-01-01T00:00:00Z"}},
			{"status":"B","validFor":{"startDateTime":"2024-01-01T00:00:00Z"}}]`, "1", "B"},
		{"entries without a status string are skipped", `[{"status":7},{"reason":"x"},"text"]`, "", ""},
		{"an unreadable start is the beginning of time", `[
			{"status":"A","validFor":{"startDateTime":"yesterday"}},
			{"status":"B","validFor":{"startDateTime":"2024-01-01T00:00:00Z"}}]`, "1", "B"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := build(t, `{"id":"C","status":`+tc.history+`}`)
			current := find(g, PredStatus)
			if tc.want == "" {
				require.Empty(t, current)
				return
			}
			require.Len(t, current, 1)
			require.Equal(t, Triple{
				Subject: "C", Predicate: PredStatus, Object: tc.status, ObjectKind: Literal,
				Pointer: "/status/" + tc.want + "/status", Class: ClassCategory,
			}, current[0])
		})
	}
}

func TestStatusHistoryIsKept(t *testing.T) {
	t.Parallel()
	g := build(t, `{"id":"C","status":[
		{"reason":"r","status":"A","validFor":{"startDateTime":"2024-01-01T00:00:00Z","endDateTime":"2025-01-01T00:00:00Z"}},
		{"status":"B","validFor":{"startDateTime":"2025-01-01T00:00:00Z"}}]}`)
	require.Equal(t, []string{
		"type(C, customer) ",
		"status.reason(C, r) /status/0/reason",
		"status.status(C, A) /status/0/status",
		"status.validFor(C, 2024-01-01T00:00:00Z/2025-01-01T00:00:00Z) /status/0/validFor",
		"status.status(C, B) /status/1/status",
		"status.validFor(C, 2025-01-01T00:00:00Z/..) /status/1/validFor",
		"status(C, B) /status/1/status",
	}, facts(g))
}

func TestBuildJudgesStatusesAtNow(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"id":"C","status":[
		{"status":"A","validFor":{"startDateTime":"2024-01-01T00:00:00Z","endDateTime":"2025-01-01T00:00:00Z"}},
		{"status":"B","validFor":{"startDateTime":"2025-01-01T00:00:00Z"}}]}`)
	for now, want := range map[time.Time]string{
		time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC): "A",
		time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC): "B",
	} {
		g, err := Builder{Now: now}.Build(doc)
		require.NoError(t, err)
		require.Equal(t, want, find(g, PredStatus)[0].Object)
	}
	g, err := Build(doc) // the clock
	require.NoError(t, err)
	require.Equal(t, "B", find(g, PredStatus)[0].Object)
}

func TestCharacteristics(t *testing.T) {
	t.Parallel()
	g := build(t, `{"id":"C","characteristic":[
		{"charSpecId":"s1","charSpecExternalId":"clientCategory","validFor":{"startDateTime":"2025-05-29T13:05:56.037-03:00"},"value":[{"value":"pos"}]},
		{"charSpecId":"s2","charSpecExternalId":"initialValue","value":[{"value":"9920707413","unitOfMeasure":"byte"}]},
		{"charSpecId":"s3","charSpecExternalId":"addPBWithNoRO","value":[{}]},
		{"charSpecId":"s4","charSpecExternalId":"actions","value":[{}],"comprisedOf":[
			{"charSpecId":"s3","value":[{}],"comprisedOf":[{"charSpecId":"s2","value":[{"value":"1"}]}]},
			{"charSpecId":"s9","value":[{"value":"x"}]}]},
		{"charSpecId":"s5","charSpecExternalId":"status","value":[{"value":"weird"}]},
		{"charSpecId":"s6","value":[{"value":"anonymous"}]},
		{"value":[{"value":"nameless"}]}]}`)
	require.Equal(t, []string{
		"type(C, customer) ",
		"characteristic(C, clientCategory) /characteristic/0",
		"clientCategory.validFor(C, 2025-05-29T13:05:56.037-03:00/..) /characteristic/0/validFor",
		"clientCategory(C, pos) /characteristic/0/value/0/value",
		"characteristic(C, initialValue) /characteristic/1",
		"initialValue(C, 9920707413) /characteristic/1/value/0/value",
		"initialValue.unitOfMeasure(C, byte) /characteristic/1/value/0/unitOfMeasure",
		"characteristic(C, addPBWithNoRO) /characteristic/2",
		"characteristic(C, actions) /characteristic/3",
		"actions.comprisedOf(C, addPBWithNoRO) /characteristic/3/comprisedOf/0",
		"actions.addPBWithNoRO.comprisedOf(C, initialValue) /characteristic/3/comprisedOf/0/comprisedOf/0",
		"actions.addPBWithNoRO.initialValue(C, 1) /characteristic/3/comprisedOf/0/comprisedOf/0/value/0/value",
		"actions.comprisedOf(C, s9) /characteristic/3/comprisedOf/1",
		"actions.s9(C, x) /characteristic/3/comprisedOf/1/value/0/value",
		"characteristic(C, characteristic.status) /characteristic/4",
		"characteristic.status(C, weird) /characteristic/4/value/0/value",
		"characteristic(C, s6) /characteristic/5",
		"s6(C, anonymous) /characteristic/5/value/0/value",
		"characteristic.value.value(C, nameless) /characteristic/6/value/0/value",
	}, facts(g))
}

func TestReferences(t *testing.T) {
	t.Parallel()
	g := build(t, `{"id":"C","account":[{"id":"A"}],"contract":[{"id":"K","product":[
		{"id":"P","sharingConsumer":{"providerContractId":"K","providerProductId":"GONE"},
		 "baRefForBillCycleAlignedRecurrence":{"id":"A","externalId":"ba"},
		 "sharingProvider":{"billingAccount":[{"id":"NOACCOUNT"}]}}],
		"relatedPartyInteractionRole":[{"partyRoleId":"C"}]}]}`)
	edges := map[string]Triple{}
	for _, t := range g.Triples {
		if t.ObjectKind == Entity {
			edges[t.Predicate+" "+t.Object] = t
		}
	}
	for _, tc := range []struct {
		edge, subject, pointer string
		class                  Class
	}{
		{"sharingConsumer.providerContractId K", "P", "/contract/0/product/0/sharingConsumer/providerContractId", ClassEdge},
		{"sharingConsumer.providerProductId GONE", "P", "/contract/0/product/0/sharingConsumer/providerProductId", ClassDangling},
		{"baRefForBillCycleAlignedRecurrence A", "P", "/contract/0/product/0/baRefForBillCycleAlignedRecurrence/id", ClassEdge},
		{"sharingProvider.billingAccount NOACCOUNT", "P", "/contract/0/product/0/sharingProvider/billingAccount/0/id", ClassDangling},
		{"relatedPartyInteractionRole.partyRoleId C", "K", "/contract/0/relatedPartyInteractionRole/0/partyRoleId", ClassEdge},
	} {
		e, ok := edges[tc.edge]
		require.True(t, ok, tc.edge)
		require.Equal(t, tc.subject, e.Subject, tc.edge)
		require.Equal(t, tc.pointer, e.Pointer, tc.edge)
		require.Equal(t, tc.class, e.Class, tc.edge)
	}
	require.Equal(t, []Triple{
		{Subject: "P", Predicate: PredDangling, Object: "GONE", Pointer: "/contract/0/product/0/sharingConsumer/providerProductId", Class: ClassDangling},
		{Subject: "P", Predicate: PredDangling, Object: "NOACCOUNT", Pointer: "/contract/0/product/0/sharingProvider/billingAccount/0/id", Class: ClassDangling},
	}, find(g, PredDangling))
	require.Contains(t, facts(g), "baRefForBillCycleAlignedRecurrence.externalId(P, ba) /contract/0/product/0/baRefForBillCycleAlignedRecurrence/externalId")
	_, defined := g.Entities["NOACCOUNT"]
	require.False(t, defined, "a reference defines no entity")
	require.Len(t, find(g, PredType), 4)
}

func TestClasses(t *testing.T) {
	t.Parallel()
	g := build(t, `{"id":"C","externalId":"199351819","paymentContext":"Postpaid","enabled":true,
		"billCycleSpecExternalId":"24","productOfferingId":"33736dcc-a7f0-499e-80b5-244a4767e1fa",
		"relatedPartyId":"11BEF2C328A72C5E5B77518B1018F134","resourceNumber":"5579584924337",
		"consumerListEntryExternalId":"SC_4367006638470","partyRoleExternalId":"userExtId_1",
		"name":"Vivo Familia 150GB","quota":"11148936439","code":"12","flag":0,"when":"2025-05-29T13:05:56.037-03:00",
		"validFor":{"startDateTime":"2025-05-29T13:05:56.037-03:00"}}`)
	want := map[string]Class{
		"type": ClassCategory, "externalId": ClassValue, "paymentContext": ClassCategory, "enabled": ClassCategory,
		"billCycleSpecExternalId": ClassCategory, "productOfferingId": ClassCategory, "relatedPartyId": ClassValue,
		"resourceNumber": ClassValue, "consumerListEntryExternalId": ClassValue, "partyRoleExternalId": ClassValue,
		"name": ClassCategory, "quota": ClassValue, "code": ClassCategory, "flag": ClassCategory, "when": ClassValue,
		"validFor": ClassValue,
	}
	for _, tr := range g.Triples {
		require.Equal(t, want[tr.Predicate].String(), tr.Class.String(), tr.Predicate)
	}
	require.Len(t, g.Triples, len(want))
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string]string{
		``:                   "kg: parse record: offset 0: unexpected end of input",
		`{"id":"C",}`:        "kg: parse record: offset 10: expected a member name",
		`[{"id":"C"}]`:       "kg: record is not a JSON object",
		`{"externalId":"1"}`: "kg: record has no customer id",
		`{"id":""}`:          "kg: record has no customer id",
		`{"id":12}`:          "kg: record has no customer id",
	} {
		g, err := Build([]byte(doc))
		require.EqualError(t, err, want, doc)
		require.Nil(t, g)
	}
}

func TestMSISDNs(t *testing.T) {
	t.Parallel()
	g := build(t, `{"id":"C","contract":[
		{"id":"K1","resource":[{"id":"R1","resourceNumber":"5511900000001","resourceSpecificationExternalId":"LrsExtId_MSISDN"},
		                      {"id":"R2","resourceNumber":"724100000000001","resourceSpecificationExternalId":"LrsExtId_IMSI"}]},
		{"id":"K2","resource":[{"id":"R3","resourceNumber":"5511900000002","resourceSpecificationExternalId":"LrsExtId_MSISDN"}]},
		{"id":"K3","resource":[{"id":"R4","resourceNumber":"5511900000001","resourceSpecificationExternalId":"LrsExtId_MSISDN"}]}],
		"resourceNumber":"5511999999999","resourceSpecificationExternalId":"LrsExtId_MSISDN"}`)
	require.Equal(t, []string{"5511900000001", "5511900000002"}, g.MSISDNs())
	require.Empty(t, build(t, `{"id":"C"}`).MSISDNs())
}

func TestMSISDNFromFileName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"customer_enquiry_5579584924337.txt":           "5579584924337",
		"/data/in/customer_enquiry_5579584924337.txt":  "5579584924337",
		"customer_enquiry_.txt":                        "",
		"customer_enquiry_55795849x4337.txt":           "",
		"customer_enquiry_5579584924337.json":          "",
		"enquiry_5579584924337.txt":                    "",
		"customer_enquiry_5579584924337.txt/other.txt": "",
	} {
		got, ok := MSISDNFromFileName(name)
		require.Equal(t, want, got, name)
		require.Equal(t, want != "", ok, name)
	}
}

func TestIsID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"A4C123B1612DD272D1371C17149D4395":     true,
		"28f219e9cb0eb53f16947ccf25ec84d8":     true,
		"119a72d1-74c9-4f6a-8c01-1cdd9474031b": true,
		"A4C123B1612DD272D1371C17149D439":      false,
		"A4C123B1612DD272D1371C17149D43955":    false,
		"G4C123B1612DD272D1371C17149D4395":     false,
		" A4C123B1612DD272D1371C17149D439":     false,
		"119a72d1-74c9-4f6a-8c01-1cdd9474031":  false,
		"119a72d174c9-4f6a-8c01-1cdd9474031b-": false,
		"":                                     false,
	} {
		require.Equal(t, want, IsID(id), id)
	}
}

func TestContractsLinkTheirMSISDNs(t *testing.T) {
	t.Parallel()
	g := build(t, `{"id":"C","contract":[
		{"id":"K","resource":[{"id":"I","resourceSpecificationExternalId":"LrsExtId_IMSI"},{"id":"M","resourceSpecificationExternalId":"LrsExtId_MSISDN"}]},
		{"id":"L","resource":[{"id":"J","resourceSpecificationExternalId":"LrsExtId_IMSI"}]}]}`)
	require.Equal(t, []Triple{{Subject: "K", Predicate: PredMSISDN, Object: "M", ObjectKind: Entity, Pointer: "/contract/0/resource/1", Class: ClassEdge}},
		find(g, PredMSISDN), "a contract without an MSISDN resource has no msisdn edge")
}
