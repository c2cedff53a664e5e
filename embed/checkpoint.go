package embed

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/fnv"
	"io"
	"math"
)

// A checkpoint is little-endian binary:
//
//	magic "PFFTRNSE", version uint32
//	hyperparameters, each uint64 (float32 ones as their bits)
//	entities, relations, train triples uint32, dataset fingerprint uint64
//	epoch uint32, step uint64, rng state uint64, learning rate scale float32
//	early stopping: evaluated, stopped uint8; best epoch, evaluations since uint32;
//	  best MRR, MR, Hits@1, @3, @10 float64, queries uint32
//	entity and relation matrices, their optimizer state, and, if evaluated
//	  and the best model is kept, the best entity and relation matrices,
//	  all float32
//	CRC-32 (IEEE) of everything before it, uint32
const (
	checkpointMagic = "PFFTRNSE"
	// checkpointVersion 2: Sampler, Optimizer and EntityConstraint were
	// renumbered so that their zero values are the new defaults, and the
	// logistic loss skips negligible negatives; a version 1 checkpoint would
	// resume with different settings. Version 3 added the validation
	// sample, the learning rate's decay and ReturnLast.
	checkpointVersion = 3
)

// hyperparameter is a setting that shapes the trajectory of training, so a
// resumed run must use the value the checkpoint was made with.
type hyperparameter struct {
	name  string
	value uint64
	float bool // value holds float32 bits
}

func (h hyperparameter) String() string {
	if h.float {
		return fmt.Sprint(math.Float32frombits(uint32(h.value)))
	}
	return fmt.Sprint(h.value)
}

func (c Config) hyperparameters() []hyperparameter {
	f := func(name string, v float32) hyperparameter {
		return hyperparameter{name: name, value: uint64(math.Float32bits(v)), float: true}
	}
	return []hyperparameter{
		{name: "Dim", value: uint64(c.Dim)},
		{name: "Norm", value: uint64(c.Norm)},
		{name: "Loss", value: uint64(c.Loss)},
		{name: "EntityConstraint", value: uint64(c.EntityConstraint)},
		f("Margin", c.Margin),
		{name: "Negatives", value: uint64(c.Negatives)},
		{name: "Sampler", value: uint64(c.Sampler)},
		f("AdversarialTemperature", c.AdversarialTemperature),
		{name: "Optimizer", value: uint64(c.Optimizer)},
		f("LearningRate", c.LearningRate),
		{name: "BatchSize", value: uint64(c.BatchSize)},
		{name: "Seed", value: c.Seed},
		{name: "ValidSample", value: uint64(c.ValidSample)},
		f("LRDecay", c.LRDecay),
		{name: "ReturnLast", value: boolBits(c.ReturnLast)},
	}
}

func boolBits(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// fingerprint identifies a training set, so that a checkpoint is not resumed
// on different data.
func fingerprint(entities, relations int, train []Triple) uint64 {
	h := fnv.New64a()
	var buf []byte
	buf = binary.LittleEndian.AppendUint64(buf, uint64(entities))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(relations))
	h.Write(buf)
	for _, t := range train {
		buf = buf[:0]
		for _, v := range [...]int32{t.Head, t.Relation, t.Tail} {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
		}
		h.Write(buf)
	}
	return h.Sum64()
}

// matrices returns the trainer's float arrays in checkpoint order.
func (t *Trainer) matrices() [][]float32 {
	out := [][]float32{t.model.entities, t.model.relations}
	out = append(out, t.entOpt.arrays()...)
	out = append(out, t.relOpt.arrays()...)
	if t.keepsBest() {
		out = append(out, t.early.entities, t.early.relations)
	}
	return out
}

// checkpointWriter writes the trainer's state as it is between two epochs.
type checkpointWriter struct{ t *Trainer }

func (c checkpointWriter) WriteTo(w io.Writer) (int64, error) { return c.t.writeCheckpoint(w) }

func (t *Trainer) writeCheckpoint(w io.Writer) (int64, error) {
	if t.interrupted {
		return 0, errors.New("embed: checkpoint: the trainer was interrupted mid-epoch")
	}
	bw := &binWriter{w: bufio.NewWriterSize(w, 1<<16), crc: crc32.NewIEEE()}
	bw.bytes([]byte(checkpointMagic))
	bw.u32(checkpointVersion)
	for _, h := range t.cfg.hyperparameters() {
		bw.u64(h.value)
	}
	bw.u32(uint32(t.model.NumEntities()))
	bw.u32(uint32(t.model.NumRelations()))
	bw.u32(uint32(len(t.train)))
	bw.u64(t.fingerprint)
	bw.u32(uint32(t.epoch))
	bw.u64(uint64(t.step))
	bw.u64(t.rng.state)
	bw.u32(math.Float32bits(t.lrScale))
	e := &t.early
	bw.bool(e.evaluated)
	bw.bool(e.stopped)
	bw.u32(uint32(e.bestEpoch))
	bw.u32(uint32(e.sinceBest))
	for _, v := range [...]float64{e.best.MRR, e.best.MR, e.best.Hits1, e.best.Hits3, e.best.Hits10} {
		bw.u64(math.Float64bits(v))
	}
	bw.u32(uint32(e.best.Queries))
	for _, m := range t.matrices() {
		bw.floats(m)
	}
	bw.u32(bw.crc.Sum32())
	if bw.err == nil {
		bw.err = bw.w.Flush()
	}
	if bw.err != nil {
		return bw.n, fmt.Errorf("embed: write checkpoint: %w", bw.err)
	}
	return bw.n, nil
}

// ResumeTrainer continues training from a checkpoint written by a Trainer on
// the same dataset with the same hyperparameters. Epochs, Workers,
// validation, patience and callbacks may differ. A resumed run with the same
// Workers gives the same model, bit for bit, as one never interrupted.
func ResumeTrainer(ds *Dataset, cfg Config, r io.Reader) (*Trainer, error) {
	t, err := newTrainer(ds, cfg)
	if err != nil {
		return nil, fmt.Errorf("embed: resume trainer: %w", err)
	}
	if err := t.readCheckpoint(r); err != nil {
		return nil, fmt.Errorf("embed: resume trainer: %w", err)
	}
	return t, nil
}

func (t *Trainer) readCheckpoint(r io.Reader) error {
	br := &binReader{r: bufio.NewReaderSize(r, 1<<16), crc: crc32.NewIEEE()}
	if magic := br.bytes(len(checkpointMagic)); br.err == nil && string(magic) != checkpointMagic {
		return errors.New("not a TransE checkpoint")
	}
	if v := br.u32(); br.err == nil && v != checkpointVersion {
		return fmt.Errorf("checkpoint version %d, want %d", v, checkpointVersion)
	}
	for _, h := range t.cfg.hyperparameters() {
		saved := h
		saved.value = br.u64()
		if br.err == nil && saved.value != h.value {
			return fmt.Errorf("checkpoint has %s %v, config %v", h.name, saved, h)
		}
	}
	nEnt, nRel, nTrain, fp := br.u32(), br.u32(), br.u32(), br.u64()
	if br.err == nil && (int(nEnt) != t.model.NumEntities() || int(nRel) != t.model.NumRelations() ||
		int(nTrain) != len(t.train) || fp != t.fingerprint) {
		return fmt.Errorf("checkpoint is of a different dataset (%d entities, %d relations, %d train triples)", nEnt, nRel, nTrain)
	}
	t.epoch = int(br.u32())
	t.step = int64(br.u64())
	t.rng.state = br.u64()
	t.lrScale = math.Float32frombits(br.u32())
	e := &t.early
	e.evaluated, e.stopped = br.bool(), br.bool()
	e.bestEpoch, e.sinceBest = int(br.u32()), int(br.u32())
	for _, v := range [...]*float64{&e.best.MRR, &e.best.MR, &e.best.Hits1, &e.best.Hits3, &e.best.Hits10} {
		*v = math.Float64frombits(br.u64())
	}
	e.best.Queries = int(br.u32())
	if br.err != nil {
		return br.err
	}
	if t.keepsBest() {
		e.entities = make([]float32, len(t.model.entities))
		e.relations = make([]float32, len(t.model.relations))
	}
	for _, m := range t.matrices() {
		br.floats(m)
	}
	sum := br.crc.Sum32()
	if saved := br.u32(); br.err == nil && saved != sum {
		return errors.New("checkpoint is corrupt: checksum mismatch")
	}
	return br.err
}

// binWriter writes little-endian values, keeping the first error and a
// running CRC.
type binWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
	n   int64
	err error
	buf []byte
}

func (b *binWriter) bytes(p []byte) {
	if b.err != nil {
		return
	}
	b.crc.Write(p)
	n, err := b.w.Write(p)
	b.n += int64(n)
	b.err = err
}

func (b *binWriter) u32(v uint32) { b.bytes(binary.LittleEndian.AppendUint32(b.buf[:0], v)) }
func (b *binWriter) u64(v uint64) { b.bytes(binary.LittleEndian.AppendUint64(b.buf[:0], v)) }

func (b *binWriter) bool(v bool) {
	var x byte
	if v {
		x = 1
	}
	b.bytes([]byte{x})
}

func (b *binWriter) floats(v []float32) {
	for len(v) > 0 {
		chunk := v[:min(len(v), 4096)]
		b.buf = b.buf[:0]
		for _, x := range chunk {
			b.buf = binary.LittleEndian.AppendUint32(b.buf, math.Float32bits(x))
		}
		b.bytes(b.buf)
		v = v[len(chunk):]
	}
}

// binReader mirrors binWriter; after the first error it returns zeros.
type binReader struct {
	r   *bufio.Reader
	crc hash.Hash32
	err error
	buf []byte
}

func (b *binReader) bytes(n int) []byte {
	if b.err != nil {
		return make([]byte, n)
	}
	if cap(b.buf) < n {
		b.buf = make([]byte, n)
	}
	p := b.buf[:n]
	if _, err := io.ReadFull(b.r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		b.err = fmt.Errorf("checkpoint is truncated: %w", err)
		clear(p)
		return p
	}
	b.crc.Write(p)
	return p
}

func (b *binReader) u32() uint32 { return binary.LittleEndian.Uint32(b.bytes(4)) }
func (b *binReader) u64() uint64 { return binary.LittleEndian.Uint64(b.bytes(8)) }
func (b *binReader) bool() bool  { return b.bytes(1)[0] != 0 }

func (b *binReader) floats(v []float32) {
	for len(v) > 0 {
		chunk := v[:min(len(v), 4096)]
		p := b.bytes(4 * len(chunk))
		for i := range chunk {
			chunk[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
		}
		v = v[len(chunk):]
	}
}
