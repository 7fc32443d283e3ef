package train

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeCheckpoint checks that no byte string makes the checkpoint
// reader panic, and that whatever it accepts encodes back to the same
// bytes.
func FuzzDecodeCheckpoint(f *testing.F) {
	st, err := New(tinyConfig())
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := encodeCheckpoint(&buf, st); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(checkpointMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeCheckpoint(data)
		if err != nil {
			return
		}
		var again bytes.Buffer
		if err := encodeCheckpoint(&again, got); err != nil {
			t.Fatalf("re-encoding an accepted checkpoint: %v", err)
		}
		if got.Model == nil || len(got.Model.Params) != got.Config.Model.NumParams() {
			t.Fatalf("accepted checkpoint has an inconsistent model")
		}
	})
}

// FuzzReadLog checks that no log content makes ReadLog panic.
func FuzzReadLog(f *testing.F) {
	f.Add([]byte(`{"kind":"step","step":1,"seen":8,"loss":2.5,"accuracy":0.1,"elapsed_sec":1}` + "\n" +
		`{"kind":"eval","step":1,"seen":8,"elapsed_sec":1,"eval":[{"name":"lookahead-1","lookahead":1,"correct":3,"count":4,"accuracy":0.75,"low":0.3,"high":0.95}]}` + "\n"))
	f.Add([]byte("{\"kind\":\"step\"}\n{broken"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "train.jsonl")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		lg, err := ReadLog(path)
		if err != nil {
			return
		}
		names := map[string]bool{}
		for _, n := range lg.GroupNames {
			names[n] = true
		}
		for _, e := range lg.Evals {
			for _, g := range e.Groups {
				if !names[g.Name] {
					t.Fatalf("group %q missing from GroupNames %q", g.Name, lg.GroupNames)
				}
			}
		}
	})
}
