package checks

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/rules"
)

var now = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

// sample is a customer with an active postpaid line (one plan, an MSISDN, a
// status history), a terminated line that kept an active product and shares
// the MSISDN, and a third active line with two plans and no MSISDN.
const sample = `{
  "id": "A4C123B1612DD272D1371C17149D4395",
  "status": [{"status": "CustomerActive", "validFor": {"startDateTime": "1970-01-01T22:59:59.151-03:00"}}],
  "contract": [
    {
      "id": "928B5B7A767C76FB008F86BEBB2737F6",
      "paymentContext": "Postpaid",
      "status": [
        {"status": "ContractSuspended", "validFor": {"startDateTime": "2024-01-01T00:00:00.000-03:00", "endDateTime": "2024-02-01T00:00:00.000-03:00"}},
        {"status": "ContractActive", "validFor": {"startDateTime": "2024-02-01T00:00:00.000-03:00", "endDateTime": "9999-12-31T12:00:00.000Z"}}
      ],
      "product": [
        {"id": "ED46725A2A7B860DCD6C8A1F8B46287C", "productOfferingExternalId": "FRANQUIA_PLANO",
         "status": [{"status": "ProductActive", "validFor": {"startDateTime": "2024-02-01T00:00:00.000-03:00"}}],
         "characteristic": [{"charSpecExternalId": "initialValue", "value": [{"value": "11148936439", "unitOfMeasure": "byte"}]}]},
        {"id": "702824C1C099724CAF4941D4072014B3", "productOfferingExternalId": "FRANQUIA_PLANO",
         "status": [
           {"status": "ProductActive", "validFor": {"startDateTime": "2024-01-01T00:00:00.000-03:00", "endDateTime": "2024-03-01T00:00:00.000-03:00"}},
           {"status": "ProductTerminated", "validFor": {"startDateTime": "2024-03-01T00:00:00.000-03:00"}}
         ],
         "characteristic": [{"charSpecExternalId": "initialValue", "value": [{"value": "10GB", "unitOfMeasure": "byte"}]}]}
      ],
      "resource": [
        {"id": "199BFCA8B6F3A6A9421CC1C93016F1C4", "resourceNumber": "5579584924337", "resourceSpecificationExternalId": "LrsExtId_MSISDN",
         "status": [{"status": "ResourceActive"}], "validFor": {"startDateTime": "2025-05-29T13:05:56.037-03:00", "endDateTime": "2025-05-28T13:05:56.037-03:00"}}
      ]
    },
    {
      "id": "2C4D7A6C92F01F1C2D54265F7AA444A1",
      "status": [{"status": "ContractTerminated", "validFor": {"startDateTime": "2025-01-01T00:00:00.000-03:00"}}],
      "product": [
        {"id": "0EC19515C6007DF2E05A0591A8BF8A5B", "productOfferingExternalId": "BONUS", "status": [{"status": "ProductActive"}]}
      ],
      "resource": [
        {"id": "576309277446316576309277446316A", "resourceNumber": "5579584924337", "resourceSpecificationExternalId": "LrsExtId_MSISDN",
         "status": [{"status": "ResourceActive"}]}
      ]
    },
    {
      "id": "8F732BF69D89F06AF603D2207EEFAA1D ",
      "status": [{"status": "ContractActiv", "validFor": {"startDateTime": "2019-01-01T00:00:00.000-03:00", "endDateTime": "2020-01-01T00:00:00.000-03:00"}},
                 {"status": "ContractActive", "validFor": {"startDateTime": "2020-01-01T00:00:00.000-03:00"}}],
      "product": [
        {"id": "E7DC5B1B2485107C4214A137956E3D62", "productOfferingExternalId": "FRANQUIA_PLANO_FAMILIA", "status": [{"status": "ProductActive"}]},
        {"id": "0F9106A0DC9945CB318999735CA833DB", "productOfferingExternalId": "FRANQUIA_PLANO", "status": [{"status": "ProductActive"}]}
      ],
      "resource": [
        {"id": "05b4d756-7b1f-4c6a-9675-9ecb99edd4d1", "resourceNumber": "001131270493720", "resourceSpecificationExternalId": "LrsExtId_IMSI", "status": [{"status": "ResourceActive"}]}
      ]
    }
  ]
}`

func decode(t testing.TB, s string) any {
	t.Helper()
	var doc any
	require.NoError(t, json.Unmarshal([]byte(s), &doc))
	return doc
}

func compileOne(t *testing.T, target, expression string) *Set {
	t.Helper()
	s, err := Compile([]Check{{ID: "c", Category: "k", Confidence: 0.9, Target: target, Expr: expression}})
	require.NoError(t, err)
	return s
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	doc := decode(t, sample)
	tests := []struct {
		name, target, expr string
		violations         []string
		satisfied, na      int
	}{
		{
			name:   "an active postpaid contract has exactly one active plan",
			target: "contract",
			expr:   `!isActive(this) || this.paymentContext != "Postpaid" || activeProducts(this, "FRANQUIA_PLANO") == 1`,
			// Line 2 is terminated; line 3 is not postpaid.
			satisfied: 1,
		},
		{
			name:       "plans are counted by offering prefix, active only",
			target:     "contract",
			expr:       `!isActive(this) || activeProducts(this, "FRANQUIA_PLANO") == 1`,
			violations: []string{"/contract/2"},
		},
		{
			name:       "an active contract has an MSISDN resource",
			target:     "contract",
			expr:       `!isActive(this) || any(this.resource ?? [], .resourceSpecificationExternalId == "LrsExtId_MSISDN")`,
			violations: []string{"/contract/2"},
		},
		{
			name:       "validFor ends after it starts",
			target:     "validFor",
			expr:       `!endsBeforeStart(this)`,
			violations: []string{"/contract/0/resource/0/validFor"},
		},
		{
			name:       "active product in a terminated contract",
			target:     "product",
			expr:       `!isActive(this) || currentStatus(parent) != "ContractTerminated"`,
			violations: []string{"/contract/1/product/0"},
		},
		{
			name:       "status vocabulary, every history entry",
			target:     "status",
			expr:       `this.status in ["CustomerActive", "ContractActive", "ContractSuspended", "ContractTerminated", "ProductActive", "ProductTerminated", "ResourceActive"]`,
			violations: []string{"/contract/2/status/0"},
		},
		{
			name:       "byte quotas are numbers",
			target:     "characteristic",
			expr:       `all(this.value ?? [], .unitOfMeasure != "byte" || isNumber(.value))`,
			violations: []string{"/contract/0/product/1/characteristic/0"},
		},
		{
			name:   "one MSISDN on one active line; a terminated line does not count",
			target: "resource",
			expr:   `this.resourceSpecificationExternalId != "LrsExtId_MSISDN" || !isActive(parent) || activeLinesWithMsisdn(this.resourceNumber) <= 1`,
			// Two contracts hold 5579584924337, one of them terminated.
			satisfied: 1,
		},
		{
			name:       "entity ids",
			target:     "entity",
			expr:       `isId(this.id)`,
			violations: []string{"/contract/1/resource/0", "/contract/2"},
		},
		{
			name:       "parentEntity skips objects without an id",
			target:     "validFor",
			expr:       `parentEntity.id != "928B5B7A767C76FB008F86BEBB2737F6"`,
			violations: []string{"/contract/0/status/0/validFor", "/contract/0/status/1/validFor"},
		},
		{
			name:       "the record, its pointer and sentinel dates",
			target:     "customer",
			expr:       `pointer == "" && this == root && parent == nil && isSentinel(this.status[0].validFor.startDateTime) && !isSentinel(this.id)`,
			violations: nil,
			satisfied:  1,
		},
		{
			name:       "characteristics by name",
			target:     "product",
			expr:       `characteristic(this, "initialValue") in [nil, "11148936439"]`,
			violations: []string{"/contract/0/product/1"},
		},
		{
			name:   "not applicable",
			target: "account",
			expr:   `false`,
			na:     1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := compileOne(t, tt.target, tt.expr).Evaluate(doc, now)
			require.Empty(t, res.Errors)
			var got []string
			for _, v := range res.Violations {
				require.Equal(t, "c", v.Check.ID)
				got = append(got, v.Pointer)
			}
			require.Equal(t, tt.violations, got)
			require.Equal(t, tt.satisfied, res.Satisfied, "satisfied")
			require.Equal(t, tt.na, res.NotApplicable, "not applicable")
		})
	}
}

func TestCurrentStatus(t *testing.T) {
	t.Parallel()
	entry := func(status, start, end string) string {
		vf := map[string]string{}
		if start != "" {
			vf["startDateTime"] = start
		}
		if end != "" {
			vf["endDateTime"] = end
		}
		b, _ := json.Marshal(map[string]any{"status": status, "validFor": vf})
		return string(b)
	}
	tests := []struct {
		name    string
		entries []string
		want    string
	}{
		{"none", nil, ""},
		{"one", []string{entry("A", "", "")}, "A"},
		{"the one covering now", []string{entry("A", "2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"), entry("B", "2024-06-01T00:00:00Z", "")}, "B"},
		{"covering beats later start", []string{entry("A", "2024-01-01T00:00:00Z", ""), entry("B", "2030-01-01T00:00:00Z", "")}, "A"},
		{"none covers: latest start", []string{entry("A", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"), entry("B", "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z")}, "B"},
		{"sentinel end never ends", []string{entry("A", "2024-01-01T00:00:00Z", "9999-12-31T12:00:00.000Z")}, "A"},
		{"sentinel start is the beginning of time", []string{entry("A", "1970-01-01T22:59:59.151-03:00", ""), entry("B", "2024-01-01T00:00:00Z", "")}, "B"},
		{"ties go to the later entry", []string{entry("A", "", ""), entry("B", "", "")}, "B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := decode(t, fmt.Sprintf(`{"status": [%s]}`, joinJSON(tt.entries)))
			r := &record{now: now}
			require.Equal(t, tt.want, r.currentStatus(doc))
		})
	}
}

func joinJSON(items []string) string {
	out := ""
	for i, s := range items {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	for v, want := range map[any]bool{"123": true, "-1.5": true, 12.0: true, "10GB": false, "1,5": false, "": false, "12 345": false, "-": false, "1.": false, nil: false} {
		require.Equal(t, want, isNumber(v), "isNumber(%#v)", v)
	}
	for v, want := range map[any]bool{"A4C123B1612DD272D1371C17149D4395": true, "05b4d756-7b1f-4c6a-9675-9ecb99edd4d1": true, " A4C123B1612DD272D1371C17149D4395": false, "A4C123B1612DD272D1371C17149D439G": false, 1.0: false} {
		require.Equal(t, want, isID(v), "isId(%#v)", v)
	}
	vf := func(start, end string) any { return map[string]any{"startDateTime": start, "endDateTime": end} }
	require.True(t, endsBeforeStart(vf("2025-05-29T13:05:56.037-03:00", "2025-05-29T16:05:55.000Z")))
	require.False(t, endsBeforeStart(vf("2025-05-29T13:05:56.037-03:00", "2025-05-29T16:05:56.037Z")), "the same instant")
	require.False(t, endsBeforeStart(vf("2025-05-29T13:05:56.037-03:00", "1970-01-01T00:00:00Z")), "sentinel end")
	require.False(t, endsBeforeStart(vf("9999-12-31T12:00:00.000Z", "2025-05-29T13:05:56.037-03:00")), "sentinel start")
	require.False(t, endsBeforeStart(vf("yesterday", "2025-05-29T13:05:56.037-03:00")), "unreadable")
	require.False(t, endsBeforeStart(nil))
}

func TestEvaluateErrorsAndNonObjects(t *testing.T) {
	t.Parallel()
	s := compileOne(t, "contract", `all(this.missing, # > 1)`)
	res := s.Evaluate(decode(t, sample), now)
	require.Len(t, res.Errors, 3)
	require.Empty(t, res.Violations)
	require.Zero(t, res.Satisfied)
	require.ErrorContains(t, res.Errors[0], `check "c" at "/contract/0"`)

	res = s.Evaluate([]any{1}, now)
	require.Equal(t, Result{NotApplicable: 1}, res)
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	_, err := Compile([]Check{
		{ID: "a", Target: "contract", Expr: "1 + 1", Pos: rules.Position{File: "f", Line: 2}},
		{ID: "a", Target: "contract", Expr: "true"},
		{ID: "b", Expr: "true"},
		{ID: "c", Target: "x", Confidence: 2, Expr: "true"},
		{Target: "x", Expr: "true"},
		{ID: "d", Target: "x", Expr: "isActive(this, 1)"},
	})
	require.Error(t, err)
	for _, msg := range []string{
		`check "a": expected bool, but got int`,
		`duplicate check id "a"`,
		`check "b" has no target`,
		`check "c": confidence 2 outside [0, 1]`,
		`check has no id`,
		`check "d": too many arguments to call isActive`,
	} {
		require.ErrorContains(t, err, msg)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	a := compileOne(t, "contract", "true")
	b := compileOne(t, "contract", "true")
	c := compileOne(t, "contract", "!false")
	require.Equal(t, a.Version(), b.Version())
	require.NotEqual(t, a.Version(), c.Version())
}

func TestEvaluateConcurrently(t *testing.T) {
	t.Parallel()
	doc := decode(t, sample)
	s := compileOne(t, "contract", `!isActive(this) || activeProducts(this, "FRANQUIA_PLANO") == 1`)
	want := s.Evaluate(doc, now)
	for range 8 {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			require.Equal(t, want, s.Evaluate(doc, now))
		})
	}
}
