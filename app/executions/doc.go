// Package executions runs fix flows on customer lines, durably: an
// execution pins a flow file version and holds its lines; each line runs as
// one job, and keeps a journal of its steps, so a line that resumes after a
// crash replays the journal and never repeats a completed step.
//
// # Writes
//
// A write is recorded as an intent before it is sent, with an
// Idempotency-Key made of the execution, the line and the step (its key
// names the call path and the loop iteration), and completed after. A line
// that finds an intent it did not complete (its worker died) resends it only
// if the operation is idempotent; otherwise it asks BSS (the operation's
// verify) and resends only what was not applied; when BSS cannot tell, the
// line stops in needs_review for a person. Nothing is retried blindly.
//
// # Modes and controls
//
// A plan runs the reads for real and records the writes without sending
// them; applying the plan runs the lines again, and a line whose writes
// differ from its plan stops in needs_review before sending them. Cancel
// takes effect at the next step boundary; pause puts running lines back in
// the queue at theirs; a canary pauses after N lines, and a failure ratio
// pauses an execution going wrong. Executions of flows that can destroy
// (delete a contract, terminate a party), or of many lines, start only
// after a second person approves; approve steps in a flow park a line until
// someone approves it.
package executions
