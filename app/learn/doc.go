// Package learn is PFF's learning pipeline: it turns the corpus of records
// into a knowledge graph, trains TransE models on it (package embed) and
// keeps them in the model registry with their embeddings in pgvector, and
// uses the active model to judge facts: the plausibility of a triple, the
// likeliest completions of a half-known one, and the facts of a record that
// do not fit what records like it say.
//
// Entities of records (customers, contracts, products, ...) are unique to
// their record, so a model cannot have seen the entities of a record it is
// asked about. It has seen the categorical values (statuses, types,
// offerings) and the relations, and that is enough: an entity's vector is
// folded in from its facts, head + relation ≈ tail solved for the head and
// averaged over the entity's other facts. Each categorical fact of a record
// is then scored by a model that did not see it (leave one out), as one
// distribution over the relation's values (distribution.go): the doubt and
// the suggestions come from it, and facts without evidence are abstained on.
// Calibration fits the same procedure on whole records held out of
// training, so its probabilities mean what they say for records the model
// has never seen; the quality gate (gate.go) refits its scale, measures its
// calibration and its false alarms on stored records it did not train on,
// and admits a model to validation only when it flags few clean ones.
package learn
