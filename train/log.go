package train

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// StepRecord is a "step" line of the training log.
type StepRecord struct {
	Step     int64
	Seen     int64
	Loss     float64
	Accuracy float64
}

// EvalRecord is an "eval" line of the training log.
type EvalRecord struct {
	Step   int64
	Groups []GroupResult
}

// Log is a parsed JSON Lines training log. After a resume the log holds
// the records of every session in order.
type Log struct {
	Steps      []StepRecord
	Evals      []EvalRecord
	GroupNames []string // test-set names in order of first appearance
}

// ReadLog parses a training log written by Run. It rejects a malformed
// line, naming its number; a last line cut short by a crash is skipped.
func ReadLog(path string) (*Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read training log: %w", err)
	}
	defer f.Close()
	lg := &Log{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	var pending error
	for line := 1; sc.Scan(); line++ {
		if pending != nil {
			return nil, pending
		}
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r logRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			// Only the last line may be incomplete.
			pending = fmt.Errorf("training log %s line %d: %w", path, line, err)
			continue
		}
		switch r.Kind {
		case "step":
			if r.Loss == nil || r.Accuracy == nil {
				return nil, fmt.Errorf("training log %s line %d: step record without loss or accuracy", path, line)
			}
			lg.Steps = append(lg.Steps, StepRecord{Step: r.Step, Seen: r.Seen, Loss: *r.Loss, Accuracy: *r.Accuracy})
		case "eval":
			lg.Evals = append(lg.Evals, EvalRecord{Step: r.Step, Groups: r.Eval})
			for _, g := range r.Eval {
				if !seen[g.Name] {
					seen[g.Name] = true
					lg.GroupNames = append(lg.GroupNames, g.Name)
				}
			}
		default:
			return nil, fmt.Errorf("training log %s line %d: unknown record kind %q", path, line, r.Kind)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read training log %s: %w", path, err)
	}
	return lg, nil
}
