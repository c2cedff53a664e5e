// Package knowledge keeps what validation knows: JSON Schemas, Horn rule
// sets and expression check sets, each versioned in PostgreSQL with one
// active version per kind. It lints uploads with line and column, and its
// Source hands out the validator built from the active versions, rebuilt
// only when they change.
//
// With no active rule set the embedded default rules apply, and likewise for
// checks; with no active schema records are not checked against one. The
// defaults are never copied into the database, so a new PFF release ships
// new defaults to every deployment that has not chosen its own.
package knowledge
