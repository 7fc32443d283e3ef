package train

import (
	"fmt"
	"math"
	"strings"

	"qkv/tensor"
)

// OptimizerKind selects the update rule.
type OptimizerKind int

const (
	// SignMomentum is decoupled weight decay plus a step of lr along the
	// sign of the momentum. The training code of Saparov et al. (ICLR
	// 2025) builds a SophiaG optimizer but never updates its Hessian
	// estimate, which reduces SophiaG to this rule.
	SignMomentum OptimizerKind = iota
	// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter),
	// with PyTorch's bias correction.
	AdamW
)

var optimizerNames = []string{"sign-momentum", "adamw"}

func (k OptimizerKind) String() string {
	if int(k) < len(optimizerNames) {
		return optimizerNames[k]
	}
	return fmt.Sprintf("OptimizerKind(%d)", int(k))
}

// ParseOptimizer parses an optimizer name: sign-momentum or adamw.
func ParseOptimizer(s string) (OptimizerKind, error) {
	for i, name := range optimizerNames {
		if strings.EqualFold(s, name) {
			return OptimizerKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown optimizer %q: use %s", s, strings.Join(optimizerNames, " or "))
}

// MarshalText and UnmarshalText store the kind by name in JSON.
func (k OptimizerKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func (k *OptimizerKind) UnmarshalText(b []byte) error {
	v, err := ParseOptimizer(string(b))
	*k = v
	return err
}

// OptimizerConfig holds the hyper-parameters of both rules.
type OptimizerConfig struct {
	Kind        OptimizerKind `json:"kind"`
	WeightDecay float64       `json:"weight_decay"` // decoupled, on every parameter
	Beta1       float64       `json:"beta1"`        // momentum decay
	Beta2       float64       `json:"beta2"`        // AdamW second-moment decay
	Eps         float64       `json:"eps"`          // AdamW denominator offset
}

// Optimizer updates a parameter vector from its gradient. State vectors
// have the length of the parameters.
type Optimizer[T tensor.Float] struct {
	Config OptimizerConfig
	Step   int64 // updates applied so far
	M      []T   // first moment (momentum)
	V      []T   // second moment; nil for sign-momentum
}

// NewOptimizer returns an optimizer with zero state for n parameters.
func NewOptimizer[T tensor.Float](cfg OptimizerConfig, n int) (*Optimizer[T], error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o := &Optimizer[T]{Config: cfg, M: make([]T, n)}
	if cfg.Kind == AdamW {
		o.V = make([]T, n)
	}
	return o, nil
}

func (c OptimizerConfig) validate() error {
	switch {
	case c.Kind != SignMomentum && c.Kind != AdamW:
		return fmt.Errorf("unknown optimizer %v", c.Kind)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("weight decay %v is invalid: use a finite value ≥ 0", c.WeightDecay)
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("beta1 %v is invalid: use 0 ≤ beta1 < 1", c.Beta1)
	case c.Kind == AdamW && !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("beta2 %v is invalid: use 0 ≤ beta2 < 1", c.Beta2)
	case c.Kind == AdamW && !(c.Eps > 0):
		return fmt.Errorf("eps %v is invalid: use a value > 0", c.Eps)
	}
	return nil
}

// signFloor is the momentum magnitude below which a sign-momentum step
// shrinks in proportion: the original optimizer divides |m| by
// ρ·batch·h + 1e−15 with h = 0 and clips the ratio at 1.
const signFloor = 1e-15

// Update applies one step with learning rate lr to params using grad.
func (o *Optimizer[T]) Update(params, grad []T, lr float64) error {
	if len(params) != len(o.M) || len(grad) != len(o.M) {
		return fmt.Errorf("optimizer has state for %d parameters, got %d parameters and %d gradients", len(o.M), len(params), len(grad))
	}
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("learning rate %v is invalid: use a finite value ≥ 0", lr)
	}
	o.Step++
	c := o.Config
	decay := T(1 - lr*c.WeightDecay)
	b1 := T(c.Beta1)
	switch c.Kind {
	case SignMomentum:
		// θ ← θ·(1 − lr·wd); m ← β·m + (1−β)·g; θ ← θ − lr·clip(m/1e−15, ±1).
		step := T(lr)
		for i, g := range grad {
			params[i] *= decay
			m := b1*o.M[i] + (1-b1)*g
			o.M[i] = m
			ratio := max(-1, min(1, float64(m)/signFloor))
			params[i] -= step * T(ratio)
		}
	case AdamW:
		// θ ← θ·(1 − lr·wd); m, v moving averages of g and g²;
		// θ ← θ − (lr/(1−β1ᵗ))·m / (√v/√(1−β2ᵗ) + eps).
		b2 := T(c.Beta2)
		bc1 := 1 - math.Pow(c.Beta1, float64(o.Step))
		bc2 := 1 - math.Pow(c.Beta2, float64(o.Step))
		stepSize := T(lr / bc1)
		rbc2 := T(1 / math.Sqrt(bc2))
		eps := T(c.Eps)
		for i, g := range grad {
			params[i] *= decay
			m := b1*o.M[i] + (1-b1)*g
			v := b2*o.V[i] + (1-b2)*g*g
			o.M[i], o.V[i] = m, v
			params[i] -= stepSize * m / (T(math.Sqrt(float64(v)))*rbc2 + eps)
		}
	}
	return nil
}

// ScheduleKind selects how the learning rate changes with training.
type ScheduleKind int

const (
	// Constant keeps the base learning rate.
	Constant ScheduleKind = iota
	// WarmupCosine ramps linearly from 0 to the peak rate over the
	// warm-up examples, decays along a cosine from the peak to the base
	// rate over the decay examples, then stays at the base rate.
	WarmupCosine
)

var scheduleNames = []string{"constant", "warmup-cosine"}

func (k ScheduleKind) String() string {
	if int(k) < len(scheduleNames) {
		return scheduleNames[k]
	}
	return fmt.Sprintf("ScheduleKind(%d)", int(k))
}

// ParseSchedule parses a schedule name: constant or warmup-cosine.
func ParseSchedule(s string) (ScheduleKind, error) {
	for i, name := range scheduleNames {
		if strings.EqualFold(s, name) {
			return ScheduleKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown learning-rate schedule %q: use %s", s, strings.Join(scheduleNames, " or "))
}

func (k ScheduleKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func (k *ScheduleKind) UnmarshalText(b []byte) error {
	v, err := ParseSchedule(string(b))
	*k = v
	return err
}

// Schedule gives the learning rate as a function of examples seen.
type Schedule struct {
	Kind           ScheduleKind `json:"kind"`
	LR             float64      `json:"lr"`              // base rate
	PeakLR         float64      `json:"peak_lr"`         // WarmupCosine peak
	WarmupExamples int64        `json:"warmup_examples"` // WarmupCosine ramp length
	DecayExamples  int64        `json:"decay_examples"`  // WarmupCosine decay length
}

// Rate returns the learning rate after seen training examples.
func (s Schedule) Rate(seen int64) float64 {
	if s.Kind != WarmupCosine {
		return s.LR
	}
	if seen < s.WarmupExamples {
		return s.PeakLR * float64(seen) / float64(s.WarmupExamples)
	}
	t := seen - s.WarmupExamples
	if t >= s.DecayExamples {
		return s.LR
	}
	frac := float64(t) / float64(s.DecayExamples)
	return s.LR + (s.PeakLR-s.LR)*0.5*(1+math.Cos(math.Pi*frac))
}

func (s Schedule) validate() error {
	switch {
	case !(s.LR >= 0) || math.IsInf(s.LR, 0):
		return fmt.Errorf("learning rate %v is invalid: use a finite value ≥ 0", s.LR)
	case s.Kind == WarmupCosine && (!(s.PeakLR >= 0) || math.IsInf(s.PeakLR, 0)):
		return fmt.Errorf("peak learning rate %v is invalid: use a finite value ≥ 0", s.PeakLR)
	case s.Kind == WarmupCosine && (s.WarmupExamples < 0 || s.DecayExamples < 0):
		return fmt.Errorf("warm-up (%d) and decay (%d) lengths must be ≥ 0 examples", s.WarmupExamples, s.DecayExamples)
	}
	return nil
}
