// Package validation combines a JSON Schema, Horn rules, expression checks,
// learned constraints and, optionally, a learned plausibility model into one
// report per record: what is wrong, where, how sure we are, and whether to
// accept the record.
//
// # Score
//
// The score is the probability that nothing in the record is wrong, under
// two assumptions: each finding's confidence c is the probability that it is
// real, and findings are independent:
//
//	score = Π (1 − c_i)   over the record's findings i
//
// A finding is
//   - a violated rule, check or constraint, counted once however many places
//     violate it, because those violations share one cause of error, the rule;
//   - a schema keyword that fails (a pattern, a required member, ...),
//     counted once, at Config.SchemaConfidence;
//   - a fact the plausibility model doubts, each on its own, at the model's
//     probability that the fact is wrong.
//
// A record with no findings scores 1. The decision compares the score with
// two thresholds: ACCEPT at or above Thresholds.Accept, REJECT below
// Thresholds.Reject, REVIEW between. A record on which some check could not
// be evaluated is never accepted without review.
//
// The model's findings alone never reject (ModelPolicy, default
// ModelReviews): a record whose score falls below Thresholds.Reject only
// because of them goes to REVIEW. The schema, rules, checks and constraints
// reject; the model earns a vote on what to look at, not a veto. A
// deployment that trusts its model can let its findings score like the
// others (ModelScores, config learn.model_findings: score).
//
// A record that cannot be validated at all still gets a report, from
// FailedReport, with the reason as its Error: REJECT when the document
// itself is at fault (a *RecordError, which says where), REVIEW when
// something else failed, such as the plausibility model.
//
// The defaults, embedded from defaults/rules.json and defaults/checks.yaml,
// detect each fault kind the generator (app/gen) injects; every default rule
// and check has that kind as its category.
package validation
