package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"qkv/nn"
	"qkv/task"
)

// New returns the initial state of a run: weights drawn from cfg.Seed and
// zero optimizer state.
func New(cfg Config) (*State, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	m, err := nn.NewSearchModel[float32](cfg.Model, rng)
	if err != nil {
		return nil, err
	}
	opt, err := NewOptimizer[float32](cfg.Optimizer, len(m.Params))
	if err != nil {
		return nil, err
	}
	return &State{Config: cfg, Model: m, Opt: opt}, nil
}

// StepInfo describes the state after one optimizer step.
type StepInfo struct {
	Step     int64   // steps taken, 1-based after the first step
	Steps    int64   // total steps of the run
	Seen     int64   // training examples consumed
	Loss     float64 // mean training cross-entropy of this step's batch
	Accuracy float64 // share of the batch predicted exactly (argmax = label)
	LR       float64 // learning rate used for this step
	// ExamplesPerSec is the training throughput since this Run call
	// started, data generation included.
	ExamplesPerSec float64
	Elapsed        time.Duration // since this Run call started
}

// RunOptions controls Run. Every field is optional.
type RunOptions struct {
	// Checkpoint is the file the state is saved to every
	// Config.CheckpointEvery steps, at the end, and when ctx is
	// cancelled. Empty: no checkpoints.
	Checkpoint string
	// Log receives one JSON object per line: a "step" record every
	// LogEvery steps and an "eval" record per evaluation.
	Log      io.Writer
	LogEvery int64
	// OnStep is called after every step.
	OnStep func(StepInfo)
	// OnEval is called after every periodic evaluation.
	OnEval func(step int64, ev *Evaluation)
	// Evaluator runs the periodic evaluation; nil skips it.
	Evaluator *Evaluator
	// Reserved lists the examples the training stream must skip: the
	// held-out test sets.
	Reserved *task.Reserved
}

// logRecord is one line of the JSON Lines log.
type logRecord struct {
	Kind           string        `json:"kind"` // "step" or "eval"
	Step           int64         `json:"step"`
	Seen           int64         `json:"seen"`
	Loss           *float64      `json:"loss,omitempty"`
	Accuracy       *float64      `json:"accuracy,omitempty"`
	LR             *float64      `json:"lr,omitempty"`
	ExamplesPerSec *float64      `json:"examples_per_sec,omitempty"`
	ElapsedSec     float64       `json:"elapsed_sec"`
	Eval           []GroupResult `json:"eval,omitempty"`
}

// Run trains st until st.Config.Steps steps are done or ctx is
// cancelled; either way it saves a checkpoint when opts.Checkpoint is
// set. It returns ctx.Err() after a cancellation.
func Run(ctx context.Context, st *State, opts RunOptions) error {
	src, err := newStream(st.Config, opts.Reserved)
	if err != nil {
		return err
	}
	return runWith(ctx, st, opts, src.at)
}

// runWith is Run with the data stream given as a function of the step.
func runWith(ctx context.Context, st *State, opts RunOptions, batchAt func(step int64) (nn.Batch, error)) error {
	cfg := st.Config
	bp, err := nn.NewBackprop(st.Model, cfg.Shards)
	if err != nil {
		return err
	}
	grad := make([]float32, len(st.Model.Params))
	batches, stop := prefetch(ctx, st.Step, cfg.Steps, batchAt)
	defer stop()

	save := func() error {
		if opts.Checkpoint == "" {
			return nil
		}
		return WriteCheckpoint(opts.Checkpoint, st)
	}
	logLine := func(r logRecord) error {
		if opts.Log == nil {
			return nil
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = opts.Log.Write(append(b, '\n'))
		return err
	}
	start := time.Now()
	startSeen := st.Seen
	evaluate := func() error {
		if opts.Evaluator == nil {
			return nil
		}
		ev, err := opts.Evaluator.Evaluate(st.Model, cfg.Shards)
		if err != nil {
			return err
		}
		if opts.OnEval != nil {
			opts.OnEval(st.Step, ev)
		}
		return logLine(logRecord{Kind: "eval", Step: st.Step, Seen: st.Seen, ElapsedSec: time.Since(start).Seconds(), Eval: ev.Groups})
	}

	for st.Step < cfg.Steps {
		var item batchItem
		select {
		case <-ctx.Done():
			if err := save(); err != nil {
				return errors.Join(ctx.Err(), err)
			}
			return ctx.Err()
		case item = <-batches:
		}
		if item.err != nil {
			return fmt.Errorf("data for step %d: %w", st.Step+1, item.err)
		}

		clear(grad)
		stats, err := bp.Gradient(item.batch, grad)
		if err != nil {
			return fmt.Errorf("step %d: %w", st.Step+1, err)
		}
		lr := cfg.Schedule.Rate(st.Seen)
		if err := st.Opt.Update(st.Model.Params, grad, lr); err != nil {
			return fmt.Errorf("step %d: %w", st.Step+1, err)
		}
		st.Step++
		st.Seen += int64(len(item.batch.Tokens))

		elapsed := time.Since(start)
		info := StepInfo{
			Step: st.Step, Steps: cfg.Steps, Seen: st.Seen,
			Loss: stats.Loss, Accuracy: float64(stats.Correct) / float64(stats.Count),
			LR: lr, Elapsed: elapsed,
			ExamplesPerSec: float64(st.Seen-startSeen) / max(elapsed.Seconds(), 1e-9),
		}
		if opts.OnStep != nil {
			opts.OnStep(info)
		}
		if opts.LogEvery > 0 && st.Step%opts.LogEvery == 0 {
			if err := logLine(logRecord{Kind: "step", Step: st.Step, Seen: st.Seen,
				Loss: &info.Loss, Accuracy: &info.Accuracy, LR: &info.LR,
				ExamplesPerSec: &info.ExamplesPerSec, ElapsedSec: elapsed.Seconds()}); err != nil {
				return fmt.Errorf("write log: %w", err)
			}
		}
		if cfg.EvalEvery > 0 && st.Step%cfg.EvalEvery == 0 && st.Step < cfg.Steps {
			if err := evaluate(); err != nil {
				return err
			}
		}
		if cfg.CheckpointEvery > 0 && st.Step%cfg.CheckpointEvery == 0 && st.Step < cfg.Steps {
			if err := save(); err != nil {
				return err
			}
		}
	}
	if err := evaluate(); err != nil {
		return err
	}
	return save()
}

type batchItem struct {
	batch nn.Batch
	err   error
}

// prefetchDepth is the number of batches generated ahead of training.
const prefetchDepth = 4

// prefetch generates the batches of steps from+1..to on a separate
// goroutine, in order, so data generation overlaps training. stop ends
// the goroutine.
func prefetch(ctx context.Context, from, to int64, batchAt func(int64) (nn.Batch, error)) (<-chan batchItem, func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan batchItem, prefetchDepth)
	go func() {
		for s := from; s < to; s++ {
			b, err := batchAt(s)
			select {
			case ch <- batchItem{b, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ch, cancel
}
