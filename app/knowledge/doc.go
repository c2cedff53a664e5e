// Package knowledge keeps what validation knows: JSON Schemas, Horn rule
// sets, expression check sets and constraint sets, each versioned in
// PostgreSQL with one active version per kind. It lints uploads with line
// and column (rule sets also against the stored corpus: rules that can
// never fire), and its Source hands out the validator built from the active
// versions, rebuilt only when they change.
//
// A rule or check set adds to the embedded defaults (mode add) or replaces
// them (mode replace), the same meaning pff validate gives --rules and
// --no-defaults. With no active rule set the embedded default rules apply,
// and likewise for checks; with no active schema records are not checked
// against one, and with no constraint set against no constraints. The
// defaults are never copied into the database, so a new PFF release ships
// new defaults to every deployment that has not chosen its own.
package knowledge
