// Package train trains the graph-search transformer of package nn on
// examples streamed from package task, and evaluates it per lookahead.
//
// # Run
//
// A Config fixes a run: model shape, training distribution, batch,
// optimizer, learning-rate schedule, seed and shard count. New draws the
// initial State; Run performs optimizer steps until Config.Steps, calling
// hooks after each step and evaluation, appending JSON Lines records to a
// log, and saving checkpoints. Batch i holds examples i·B … i·B+B−1 of one
// seeded generator and is produced on a separate goroutine while step i−1
// trains. Everything depends only on the configuration, so a run resumed
// from a checkpoint continues bit for bit, on any number of threads.
//
// # Optimizers
//
// SignMomentum is the update that the training code of Saparov et al.
// (ICLR 2025) performs: it builds a SophiaG optimizer but never updates its
// Hessian estimate, and with a zero estimate SophiaG reduces to
//
//	θ ← θ·(1 − lr·wd)
//	m ← β·m + (1−β)·g
//	θ ← θ − lr·clip(m/1e−15, −1, 1)       (lr·sign(m) unless |m| < 1e−15)
//
// AdamW follows PyTorch's torch.optim.AdamW. Weight decay applies to every
// parameter, LayerNorm gains and biases included.
//
// # Held-out data
//
// TestSets builds the reserved test sets of a configuration (one per
// lookahead, plus a naive set); the training stream never emits an input
// whose token sequence is in them. Accuracy is exact match of the argmax
// with the single correct next vertex, reported with a 95 % Wilson score
// interval.
//
// # Checkpoints
//
// A checkpoint is one file: magic, version, a JSON header with the whole
// Config, step and tensor layout, then the float32 weights and optimizer
// moments, then a CRC-32. WriteCheckpoint replaces the file atomically;
// ReadCheckpoint rejects damaged or truncated files with an error wrapping
// ErrCorruptCheckpoint.
package train
