// Package embed learns TransE knowledge-graph embeddings (Bordes et al.
// 2013) in pure Go, evaluates them by link prediction and turns their
// distances into calibrated probabilities.
//
// TransE embeds entities and relations in one vector space so that a true
// fact relation(head, tail) has head + relation ≈ tail: the smaller the
// distance ‖head + relation − tail‖ (L1 or L2), the more plausible the fact.
//
// # Data
//
// A [Dataset] holds train, valid and test triples indexed by entity and
// relation vocabularies ([Vocab]). [LoadDataset] reads the standard
// benchmark layout (DIR/train.tsv, valid.tsv and test.tsv, one
// head<TAB>relation<TAB>tail per line) and reports bad input by file and
// line; [Dataset.WriteDir] writes it back. [NewDataset] indexes triples held
// in memory, and [SplitTriples] splits a graph deterministically and without
// leaks, for instance the knowledge graph of a corpus.
//
// # Training
//
// A [Trainer] minimises, over k corruptions of each training triple, either
// the margin ranking loss of the TransE paper or the logistic loss of RotatE
// (Sun et al. 2019), each optionally weighting the corruptions
// self-adversarially. Corruptions replace the head or the tail, uniformly or
// Bernoulli-style. SGD, Adagrad (per coordinate or, [RowAdagrad], per row)
// and Adam update only the rows a batch touches. The learning rate can decay
// when validation stalls ([Config.LRDecay]).
// [Config]'s zero value is a sensible default; every field documents its own.
//
//	tr, err := embed.NewTrainer(ds, embed.Config{Epochs: 200, Progress: report})
//	...
//	res, err := tr.Train(ctx) // res.Model is the best model on ds.Valid
//
// Each batch runs in two parallel phases. First every worker computes the
// gradient of its share of the batch into its own sparse buffers, reading but
// not writing the embeddings. Then every worker sums, in a fixed order, the
// gradients of the rows it owns (row mod workers) and applies the update to
// them. No memory is written by one goroutine while another touches it, so
// training is race-free by construction, and it is deterministic: the same
// seed and number of workers give the same embeddings, bit for bit.
//
// Training evaluates on the validation triples every few epochs, keeps the
// best model and stops when validation MRR stops improving. Checkpoints, a
// versioned and checksummed binary format written through
// [Config.Checkpoint], let [ResumeTrainer] continue a run exactly: resumed
// and uninterrupted runs end with identical models. Cancelling the context
// stops training within one batch.
//
// # Using a model
//
// [Model.Evaluate] computes MRR, MR and Hits@1/3/10 for head and tail
// prediction under the filtered protocol, with tied candidates sharing their
// mean rank. [Model.Distance] scores a fact, [Model.TopTails] and
// [Model.TopHeads] complete one by exact search, and [Model.Entity] and
// [Model.Relation] expose the vectors, say to store them in pgvector;
// [NewModel] rebuilds a model from them. [Model.Calibrate] fits Platt
// scaling on held-out facts against corruptions and reports its Brier score,
// log loss and calibration error, so that [Calibration.Probability] turns a
// distance into the probability that the fact is true.
//
// # Performance
//
// The vector kernels are portable Go with independent accumulators; on
// amd64 processors with AVX2 the hot ones (L1 distances, the sign steps of
// the L1 gradient, Adam and Adagrad) run as assembly that adds in exactly
// the same order, so a model is the same bits wherever it was trained, and
// the build needs neither cgo nor a GOEXPERIMENT. Training is bound by
// memory more than arithmetic: it reads the rows of random entities and
// updates scattered rows. Each shard therefore draws the negatives of the
// next positive ahead and prefetches their rows, and each worker updates
// the rows it owns (a contiguous range) in ascending order, prefetching a
// few ahead. BENCHMARKS.md has the figures.
//
// For large graphs, [Config.ValidSample] validates on a fixed sample,
// [Config.ReturnLast] keeps no copy of the best model, [RowAdagrad] keeps one
// optimizer value per row, and [SplitIndexed] and [NewIndexedDataset] build
// a dataset from ids without named triples.
package embed
