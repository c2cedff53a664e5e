// Package embed learns TransE knowledge-graph embeddings (Bordes et al.
// 2013) in pure Go, evaluates them by link prediction and turns their
// distances into calibrated probabilities.
//
// TransE embeds entities and relations in the same space so that a true fact
// relation(head, tail) has head + relation ≈ tail: the smaller the distance
// ‖head + relation − tail‖ (L1 or L2), the more plausible the fact.
//
// # Data
//
// A [Dataset] holds train, valid and test triples indexed by entity and
// relation vocabularies. [LoadDataset] reads the standard benchmark layout
// (DIR/train.tsv, valid.tsv, test.tsv, one head<TAB>relation<TAB>tail per
// line) and reports bad input by file and line; [Dataset.WriteDir] writes it
// back. [SplitTriples] splits a graph deterministically and without leaks.
//
// # Training
//
// [NewTrainer] and [Trainer.Train] minimise the margin ranking loss
// max(0, γ + d(positive) − d(negative)) over k corruptions per training
// triple, uniform or Bernoulli, optionally weighted self-adversarially (Sun
// et al. 2019), with SGD, Adagrad or Adam updating only the rows a batch
// touches. [Config]'s zero value is a sensible default.
//
// Each batch runs in two parallel phases. First every worker computes the
// gradient of its share of the batch into its own sparse buffers, reading but
// not writing the embeddings. Then every worker sums, in a fixed order, the
// gradients of the rows it owns (row mod workers) and applies the update to
// them. No memory is written by one goroutine while another touches it, so
// training passes the race detector, and it is deterministic: the same seed
// and number of workers give the same embeddings bit for bit.
//
// Training evaluates on the validation triples every few epochs, keeps the
// best model and stops when it stops improving. Checkpoints (a versioned,
// checksummed binary format) let [ResumeTrainer] continue exactly where a run
// stopped.
//
// # Using a model
//
// [Model.Evaluate] computes MRR, MR and Hits@1/3/10 under the filtered
// protocol. [Model.Distance] scores a fact, [Model.TopTails] and
// [Model.TopHeads] complete one, and [Model.Entity] and [Model.Relation]
// expose the vectors, say to store them elsewhere; [NewModel] rebuilds a
// model from them. [Model.Calibrate] fits Platt scaling on held-out facts, so
// that [Calibration.Probability] turns a distance into the probability that
// the fact is true.
package embed
