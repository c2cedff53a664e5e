package httpapi

import (
	"encoding/json"
	"time"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// The examples of the OpenAPI document and /docs: real shapes, made-up
// values. A test validates each against the schema of its route.

var exampleTime = time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

var (
	loginExample          = loginRequest{Username: "ops", Password: "correct horse battery staple"}
	tokenExample          = accounts.Token{AccessToken: "eyJhbGciOiJIUzI1NiIs...", TokenType: "bearer", ExpiresIn: 1800}                             // #nosec G101 -- an example for the API's documentation
	changePasswordExample = accounts.ChangePasswordRequest{CurrentPassword: "correct horse battery staple", NewPassword: "a new, longer passphrase"} // #nosec G101 -- an example for the API's documentation
	userExample           = store.User{ID: "8d1f3c2a-5b7e-4c9d-a1f0-2e6b9c4d7a13", Username: "ops", Email: "ops@example.com",
		Role: "operator", Active: true, CreatedAt: exampleTime, UpdatedAt: exampleTime}
	createUserExample = accounts.CreateUserRequest{Username: "ops", Email: "ops@example.com", Role: "operator",
		Password: "correct horse battery staple"}
	updateUserExample    = accounts.UpdateUserRequest{Role: ptr("admin")}
	apiKeyExample        = store.APIKey{ID: "k7d2x9", UserID: userExample.ID, Username: "ops", Name: "nightly export", CreatedAt: exampleTime}
	revokedAPIKeyExample = store.APIKey{ID: "k7d2x9", UserID: userExample.ID, Username: "ops", Name: "nightly export",
		CreatedAt: exampleTime, RevokedAt: ptr(exampleTime)}
	createAPIKeyExample  = accounts.CreateAPIKeyRequest{Username: "ops", Name: "nightly export"}
	createdAPIKeyExample = accounts.CreatedAPIKey{Key: "pff_k7d2x9_4n5q...", APIKey: apiKeyExample}
	auditExample         = store.AuditEntry{ID: 1201, OccurredAt: exampleTime, ActorID: ptr(userExample.ID), Actor: "user:" + userExample.ID,
		Method: "POST", Route: "/api/v1/users", Action: "Create a user", Status: "succeeded", StatusCode: ptr(201),
		RequestID: "3f9a0c1d2e4b5a6c7d8e9f00", Detail: json.RawMessage(`{}`), ClientIP: "203.0.113.7"}
)

// recordExample is a customer-enquiry record, cut down to one line.
var recordExample = map[string]any{
	"id": "A4C123B1612DD272D1371C17149D4395", "externalId": "199351819",
	"status": []any{map[string]any{"status": "CustomerActive", "validFor": map[string]any{"startDateTime": "2024-01-02T10:00:00-03:00"}}},
	"contract": []any{map[string]any{
		"id": "7F3A19C2B0D84E6FA1C2D3E4F5061728", "externalId": "15471723980", "paymentContext": "Postpaid",
		"status":   []any{map[string]any{"status": "ContractActive", "validFor": map[string]any{"startDateTime": "2024-01-02T10:00:00-03:00"}}},
		"resource": []any{map[string]any{"id": "R1", "resourceSpecificationExternalId": "LrsExtId_MSISDN", "resourceNumber": "5515471723980"}},
	}},
}

var (
	uploadResultExample = records.Result{Received: 3, WriteResult: store.WriteResult{Inserted: 2, Updated: 1},
		Rejected: []records.Rejection{}}
	reportExample = validation.Report{Record: "A4C123B1612DD272D1371C17149D4395", Decision: validation.Reject, Score: 0.04,
		Explanation: "1 rule violated: an active contract has no MSISDN resource",
		Violations: []validation.Violation{{Source: "rule", ID: "active_contract_without_msisdn", Category: "active_contract_without_msisdn",
			Confidence: 0.96, Description: "an active contract has no MSISDN resource", Pointers: []string{"/contract/0"}}},
		Satisfied: 41, Versions: validation.Versions{Rules: "default", Checks: "default"}, JudgedAt: exampleTime}
	storedRecordExample = store.Record{ID: 42, CustomerID: "A4C123B1612DD272D1371C17149D4395", Version: 2, Current: true,
		MSISDNs: []string{"5515471723980"}, ContentHash: "9b2c...e41f", Source: "upload/customer_enquiry_15471723980.txt",
		CreatedAt: exampleTime, Decision: ptr("REJECT"), Score: ptr(0.04)}
	storedReportExample = store.Report{ID: 77, RecordID: 42, Latest: true, Decision: "REJECT", Score: 0.04,
		Violated: []string{"active_contract_without_msisdn"}, Report: mustJSON(reportExample),
		Versions: json.RawMessage(`{"rules":"default","checks":"default"}`), CreatedAt: exampleTime}
	triplesExample = records.Triples{RecordID: 42, Graph: &kg.Graph{Root: "A4C123B1612DD272D1371C17149D4395",
		Entities: map[string]kg.EntityInfo{"A4C123B1612DD272D1371C17149D4395": {Type: "customer", Pointer: ""}},
		Triples: []kg.Triple{{Subject: "A4C123B1612DD272D1371C17149D4395", Predicate: "status", Object: "CustomerActive",
			Pointer: "/status/0/status"}}}}
	recordStatsExample = store.RecordStats{Records: 14550, Unvalidated: 12, Decisions: map[string]int64{"ACCEPT": 13020, "REVIEW": 908, "REJECT": 610},
		MostViolated: []store.RuleCount{{Rule: "active_contract_without_msisdn", Records: 231}}}
)

func mustJSON(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // examples are constants of the program
	}
	return data
}

var (
	activeKnowledgeExample = knowledge.Active{
		Rules:    &store.ActiveKnowledge{Kind: "rules", ID: 3, Name: "mined", Version: 2, SHA256: "5e8f...a0c1", Mode: "add"},
		Versions: validation.Versions{Rules: "mined@2", Checks: "default"},
	}
	inferredSchemaExample = map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
		"required": []string{"id"}, "properties": map[string]any{"id": map[string]any{"type": "string"}}}
)

func knowledgeExample(kind knowledge.Kind) store.Knowledge {
	k := store.Knowledge{ID: 3, Kind: string(kind), Name: "ops", Version: 2, SHA256: "5e8f...a0c1", CreatedBy: "user:" + userExample.ID,
		CreatedAt: exampleTime, Active: true, Mode: "add"}
	switch kind {
	case knowledge.KindSchema:
		k.Format, k.Content = "json", `{"type":"object","required":["id"]}`
	case knowledge.KindConstraints:
		k.Format, k.Content = "json", `{"constraints": [{"id": "presence-1", "kind": "presence", "type": "contract", "when": {"status": "ContractActive"}, "relation": "msisdn", "support": 2173, "confidence": 0.9995}]}`
	case knowledge.KindRules:
		k.Format, k.Content = "tsv", "120\t118\t0.983\tstatus(X,ContractActive) <= paymentContext(X,Postpaid)\n"
	case knowledge.KindFlows:
		k.Format, k.Content = "yaml", "Enquiry:\n  - method: line.get_customer_enquiry\n    args: {msisdn: \"{{msisdn}}\"}\n    save_as: enquiry\n"
	case knowledge.KindOperations:
		k.Format, k.Content = "yaml", "methods:\n  line.get_individual_party:\n    remove: true\n"
	default:
		k.Format, k.Content = "yaml", "- id: msisdn_digits\n  on: resource\n  check: resourceNumber matches '^55[0-9]{10,11}$'\n"
	}
	k.Size = len(k.Content)
	return k
}

func withoutContent(k store.Knowledge) store.Knowledge {
	k.Content = ""
	return k
}

func createKnowledgeExample(kind knowledge.Kind) knowledge.CreateRequest {
	k := knowledgeExample(kind)
	return knowledge.CreateRequest{Name: k.Name, Format: k.Format, Content: k.Content}
}

var (
	jobExample = jobs.View{ID: 901, Kind: "validate_records", State: "completed", Args: json.RawMessage(`{"record_ids":[42,43]}`),
		Output: json.RawMessage(`{"validated":2,"decisions":{"ACCEPT":1,"REJECT":1}}`), Attempt: 1, MaxAttempts: 25,
		CreatedAt: exampleTime, ScheduledAt: exampleTime, AttemptedAt: ptr(exampleTime), FinalizedAt: ptr(exampleTime.Add(80 * time.Millisecond))}
	queuedExample  = learn.Queued{JobID: 902}
	kgStatsExample = store.KGStats{Build: &store.KGBuild{ID: 5, Fingerprint: "c0ffee...", Records: 14550, Triples: 5590000,
		Learnable: 3590000, MaxValues: 1000, BuiltAt: exampleTime}, Triples: 5590000, Facts: 6120000,
		ByClass: map[string]int64{"entity": 2100000, "category": 1490000, "value": 2000000},
		Learning: store.LearningStats{Entities: 415000, Relations: 96, Triples: 3590000,
			Degrees:      []store.DegreeBucket{{Min: 1, Max: 1, Entities: 120000}, {Min: 2, Max: 3, Entities: 200000}},
			TopRelations: []store.RelationCount{{Relation: "status", Triples: 610000}}}}
	modelExample = store.Model{ID: 7, Version: "20261206-0001", State: "active", Source: "corpus", Fingerprint: "c0ffee...", Dim: 64, Norm: "L1",
		Hyperparameters: json.RawMessage(`{"dim":64,"epochs":50}`), Metrics: json.RawMessage(`{"test":{"mrr":0.41}}`),
		Calibration: json.RawMessage(`{}`), Progress: json.RawMessage(`{}`), Entities: 415000, Relations: 96, JobID: ptr(int64(903)),
		CreatedBy: "user:" + userExample.ID, CreatedAt: exampleTime, TrainedAt: ptr(exampleTime), ActivatedAt: ptr(exampleTime)}
	qualityExample = learn.Quality{MeasuredAt: exampleTime, Records: 300, CleanFlagged: 0, MaxCleanFlagged: 0.01, MinConfidence: 0.9,
		Recall: map[gen.Kind]learn.KindRecall{gen.UnknownStatus: {Injected: 300, Found: 12, Recall: 0.04}}, Scale: 1.7, ECE: 0.03,
		Reliability: []learn.Bin{{Lo: 0.9, Hi: 1, Facts: 41200, Confidence: 0.97, Accuracy: 0.96}}, Facts: 82400, Abstained: 310, Passed: true}
	activationExample = learn.Activation{Model: modelExample, Quality: qualityExample}
	scoreExample      = learn.ScoreResult{Model: "20261206-0001",
		Triples:     []learn.ScoredTriple{{Head: "contract:7F3A", Relation: "status", Tail: "ContractActive", Distance: 3.2, Probability: 0.97}},
		Calibration: &learn.CalibrationFit{A: -1.9, B: 6.1, Brier: 0.05, LogLoss: 0.18, ECE: 0.02, Positives: 5000, Negatives: 5000}}
	completionExample = learn.Completion{Model: "20261206-0001",
		Candidates: []learn.Candidate{{Entity: "ContractActive", Distance: 3.2, Probability: 0.97}}}
	similarityExample = learn.Similarity{Model: "20261206-0001",
		Entities: []store.Neighbor{{Entity: "PO_Controle_15GB", Kind: "value", Distance: 0.08}}}
)

// detailedHealthExample is a healthy process with workers and no Redis.
var detailedHealthExample = detailedHealth{Status: healthy, Timestamp: "2026-12-06T09:30:00Z", Version: "v1.4.0",
	Checks: map[string]checkResult{"postgres": {Status: healthy, LatencyMS: 0.4}, "river": {Status: healthy, Mode: "workers", Workers: ptr(10)},
		"redis": {Status: disabled}}, ResponseTimeMS: 0.6}

// Fix flows.
var (
	startExample = executions.StartRequest{Flow: "Cancelar", Mode: executions.ModePlan, Canary: 10, MaxFailureRatio: 0.05,
		Lines: []executions.LineInput{{MSISDN: "15471723980"}, {MSISDN: "15471723981", Columns: map[string]any{"ticket": "INC-4411"}}}}
	executionExample = store.Execution{ID: 12, Name: "cancel-migrated-lines", FlowsID: 9, FlowsName: "legacy", FlowsVersion: 3,
		Mode: "plan", State: "running", Canary: 10, MaxFailureRatio: 0.05, Lines: 2, Done: 1, Succeeded: 1, LastEvent: 9,
		CreatedBy: "user:" + userExample.ID, CreatedAt: exampleTime, StartedAt: ptr(exampleTime)}
	lineExample = store.Line{ID: 7, ExecutionID: 12, LineNo: 1, MSISDN: "15471723980", Flow: "Cancelar", Columns: json.RawMessage(`{}`),
		State: "succeeded", Artefacts: json.RawMessage(`{}`), Writes: 1, StartedAt: ptr(exampleTime), FinishedAt: ptr(exampleTime.Add(time.Second))}
	lineDetailExample = executions.LineDetail{Line: lineExample, Steps: []store.Step{{LineID: 7, Key: "Cancelar[0]", Seq: 1,
		Method: "line.get_contract", Effect: "read", Args: json.RawMessage(`{"search":{"externalId":"15471723980"}}`), State: "completed",
		Outcome: "success", Value: json.RawMessage(`{"customer_id":"A4C1","contract":{"id":"7F3A","paymentContext":"Postpaid"}}`),
		Attempts: 0, CreatedAt: exampleTime, CompletedAt: ptr(exampleTime)}}}
	eventExample = store.Event{Seq: 9, LineID: ptr(int64(7)), Kind: "line",
		Data: json.RawMessage(`{"line_id":7,"line_no":1,"msisdn":"15471723980","state":"succeeded"}`), CreatedAt: exampleTime}
	lintExample = lintReport{OK: true, Problems: []knowledge.Problem{{Line: 4, Column: 11, Severity: "note",
		Message: "failed_products is saved by no step: it must come from the line's input columns"}}}
)
