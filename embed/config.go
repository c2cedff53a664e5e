package embed

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// Norm is the vector norm TransE takes of h + r − t.
type Norm uint8

const (
	L1 Norm = iota // sum of absolute values: the default, as in the TransE paper
	L2             // Euclidean
)

func (n Norm) String() string {
	switch n {
	case L1:
		return "L1"
	case L2:
		return "L2"
	}
	return fmt.Sprintf("Norm(%d)", uint8(n))
}

// Loss is the training objective for a positive triple at distance d⁺ and
// its negatives at distances d⁻_i with weights w_i summing to 1.
type Loss uint8

const (
	// MarginRanking is Σ_i w_i·max(0, γ + d⁺ − d⁻_i), as in the TransE paper.
	MarginRanking Loss = iota
	// Logistic is −log σ(γ − d⁺) − Σ_i w_i·log σ(d⁻_i − γ), as in RotatE
	// (Sun et al. 2019): it never saturates, so easy negatives still teach a
	// little and hard ones a lot.
	Logistic
)

func (l Loss) String() string {
	switch l {
	case MarginRanking:
		return "margin"
	case Logistic:
		return "logistic"
	}
	return fmt.Sprintf("Loss(%d)", uint8(l))
}

// Sampler chooses which side of a training triple a negative corrupts.
type Sampler uint8

const (
	// Bernoulli ("bern", Wang et al. 2014) corrupts the head of a triple of
	// relation r with probability tph/(tph+hpt), where tph is the mean number
	// of tails per head of r and hpt of heads per tail. It makes fewer false
	// negatives on one-to-many and many-to-one relations.
	Bernoulli Sampler = iota
	// Uniform corrupts the head or the tail with equal probability.
	Uniform
)

func (s Sampler) String() string {
	switch s {
	case Uniform:
		return "uniform"
	case Bernoulli:
		return "bern"
	}
	return fmt.Sprintf("Sampler(%d)", uint8(s))
}

// Optimizer is the update rule. All but DenseAdam update only the embedding
// rows a batch touches, and their state lags for rows it does not ("lazy"
// updates, as PyTorch's SparseAdam).
type Optimizer uint8

const (
	Adagrad Optimizer = iota // Duchi et al. 2011, ε = 1e-10
	Adam                     // Kingma and Ba 2015, β1 = 0.9, β2 = 0.999, ε = 1e-8
	SGD                      // plain stochastic gradient descent
	// RowAdagrad is Adagrad with one accumulator per row, the mean of the
	// row's squared gradients, instead of one per coordinate, as
	// PyTorch-BigGraph and DGL-KE train large graphs: its state is 1/dim
	// of Adagrad's, which on a graph of 400,000 entities at dimension 128
	// is 1.6 MB instead of 200 MB.
	RowAdagrad
	// DenseAdam is Adam that moves every row at every step, as PyTorch's
	// torch.optim.Adam does with dense gradients: rows a batch does not
	// touch decay their moments and keep moving by them. It costs a pass
	// over all the embeddings per step.
	DenseAdam
)

func (o Optimizer) String() string {
	switch o {
	case Adam:
		return "adam"
	case Adagrad:
		return "adagrad"
	case SGD:
		return "sgd"
	case RowAdagrad:
		return "adagrad-row"
	case DenseAdam:
		return "adam-dense"
	}
	return fmt.Sprintf("Optimizer(%d)", uint8(o))
}

func (o Optimizer) defaultLearningRate() float32 {
	switch o {
	case RowAdagrad:
		return 0.1
	case Adam, DenseAdam:
		return 0.001
	case SGD:
		return 0.01
	}
	return 0.1
}

// Constraint bounds the entity embeddings, which stops the margin loss from
// being lowered by merely spreading entities apart.
type Constraint uint8

const (
	// UnitBall scales entity vectors longer than 1 back to 1.
	UnitBall Constraint = iota
	// UnitSphere rescales every entity vector to L2 norm 1 after each
	// update, as in the TransE paper.
	UnitSphere
	// Unconstrained leaves entity vectors as the optimizer makes them.
	Unconstrained
	// EpochSphere rescales every entity vector to L2 norm 1 once, after
	// each epoch, and not at initialisation, as the PyTorch reference
	// (and many implementations after it) does: within an epoch the
	// vectors move freely.
	EpochSphere
)

func (c Constraint) String() string {
	switch c {
	case UnitSphere:
		return "sphere"
	case UnitBall:
		return "ball"
	case Unconstrained:
		return "none"
	case EpochSphere:
		return "epoch-sphere"
	}
	return fmt.Sprintf("Constraint(%d)", uint8(c))
}

// Config configures training. The zero value of every field selects its
// default; where zero is a meaningful setting, a negative value selects it.
type Config struct {
	// Dim is the embedding dimension; default 128.
	Dim int
	// Norm is the distance ‖h + r − t‖; default L1.
	Norm Norm
	// Loss is the objective; default MarginRanking.
	Loss Loss
	// Margin is γ in the loss; default 5.
	Margin float32
	// Negatives is the number of corruptions per positive triple; default 32.
	Negatives int
	// Sampler picks the corrupted side; default Bernoulli.
	Sampler Sampler
	// AdversarialTemperature α > 0 weights each positive's negatives by
	// softmax(−α·d(negative)) instead of uniformly, so that hard negatives
	// count more (self-adversarial sampling, Sun et al. 2019). Default 0: off.
	AdversarialTemperature float32
	// EntityConstraint bounds the entity vectors; default UnitBall.
	EntityConstraint Constraint
	// Optimizer is the update rule; default Adagrad.
	Optimizer Optimizer
	// LearningRate defaults to 0.1 for Adagrad, 0.001 for Adam and 0.01 for SGD.
	LearningRate float32
	// BatchSize is the number of positive triples per update; default 256.
	BatchSize int
	// Epochs is the maximum number of passes over the training triples;
	// default 100.
	Epochs int
	// Workers is the number of goroutines; default runtime.GOMAXPROCS(0).
	// Training is deterministic for a given Seed and Workers.
	Workers int
	// Seed seeds initialisation and sampling.
	Seed uint64

	// EvalEvery is the number of epochs between evaluations of filtered MRR
	// on the validation triples (and after the last epoch); default 10,
	// negative for none. Training returns the best model evaluated.
	EvalEvery int
	// Patience stops training after this many evaluations in a row without a
	// better validation MRR; default 3, negative to never stop early.
	Patience int
	// ValidSample is how many validation triples each evaluation ranks: a
	// seeded sample drawn once, so that every evaluation ranks the same
	// ones. Default 0: all of them.
	ValidSample int
	// LRDecay multiplies the learning rate after every evaluation that does
	// not improve on the best validation MRR (0 < LRDecay < 1), a schedule
	// that lowers the rate when learning stalls. Default 0: a constant rate.
	LRDecay float32
	// ReturnLast returns the last model rather than the best one evaluated,
	// and so keeps no copy of the best embeddings, which on a large graph
	// are as large as the model. Early stopping still stops training when
	// validation MRR has stopped improving.
	ReturnLast bool
	// Progress, if set, is called after every epoch, and also within an
	// epoch, at most every ProgressInterval, if that is positive.
	Progress         func(Progress)
	ProgressInterval time.Duration

	// Checkpoint, if set, is called every CheckpointEvery epochs and after
	// the last one with the number of epochs done and the trainer's state;
	// state.WriteTo writes a checkpoint that ResumeTrainer continues from.
	// An error stops training.
	Checkpoint func(epoch int, state io.WriterTo) error
	// CheckpointEvery defaults to 10.
	CheckpointEvery int
}

// resolved returns c with defaults filled in, or an error for invalid values.
func (c Config) resolved() (Config, error) {
	setDefault(&c.Dim, 128)
	setDefault(&c.Margin, 5)
	setDefault(&c.Negatives, 32)
	setDefault(&c.BatchSize, 256)
	setDefault(&c.Epochs, 100)
	setDefault(&c.Workers, runtime.GOMAXPROCS(0))
	setDefault(&c.EvalEvery, 10)
	setDefault(&c.Patience, 3)
	setDefault(&c.CheckpointEvery, 10)
	setDefault(&c.LearningRate, c.Optimizer.defaultLearningRate())
	switch {
	case c.Dim < 1, c.Negatives < 1, c.BatchSize < 1, c.Epochs < 1, c.Workers < 1, c.CheckpointEvery < 1:
		return c, fmt.Errorf("dim %d, negatives %d, batch size %d, epochs %d, workers %d and checkpoint interval %d must be positive",
			c.Dim, c.Negatives, c.BatchSize, c.Epochs, c.Workers, c.CheckpointEvery)
	case c.Loss > Logistic:
		return c, fmt.Errorf("unknown loss %v", c.Loss)
	case c.Norm > L2:
		return c, fmt.Errorf("unknown norm %v", c.Norm)
	case c.Sampler > Uniform:
		return c, fmt.Errorf("unknown sampler %v", c.Sampler)
	case c.Optimizer > DenseAdam:
		return c, fmt.Errorf("unknown optimizer %v", c.Optimizer)
	case c.EntityConstraint > EpochSphere:
		return c, fmt.Errorf("unknown entity constraint %v", c.EntityConstraint)
	case c.ValidSample < 0:
		return c, fmt.Errorf("validation sample %d is negative", c.ValidSample)
	case !(c.LRDecay >= 0 && c.LRDecay < 1):
		return c, fmt.Errorf("learning rate decay %g must be in [0, 1)", c.LRDecay)
	case !(c.Margin > 0), !(c.LearningRate > 0), !(c.AdversarialTemperature >= 0):
		return c, fmt.Errorf("margin %g and learning rate %g must be positive, adversarial temperature %g non-negative",
			c.Margin, c.LearningRate, c.AdversarialTemperature)
	}
	return c, nil
}

func setDefault[T int | float32](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}
