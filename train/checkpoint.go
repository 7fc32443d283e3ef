package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"

	"qkv/nn"
)

// Checkpoint file layout, all integers little-endian:
//
//	magic      8 bytes  "QKVCKPT\n"
//	version    uint32   checkpointVersion
//	headerLen  uint32   length of the JSON header in bytes
//	header     JSON     checkpointHeader
//	params     float32 × header.NumParams
//	m          float32 × header.NumParams   (optimizer first moment)
//	v          float32 × header.NumParams   (AdamW only)
//	crc        uint32   CRC-32 (IEEE) of every preceding byte
//
// The data stream needs no saved state: batch i is generated from the
// run seed and i alone, so the step count is enough to resume it.
const (
	checkpointMagic   = "QKVCKPT\n"
	checkpointVersion = 1

	// maxHeaderLen bounds the JSON header, which holds a few hundred
	// bytes of settings, so a corrupted length cannot demand gigabytes.
	maxHeaderLen = 1 << 20
)

// checkpointHeader is the self-describing part of a checkpoint.
type checkpointHeader struct {
	Config    Config         `json:"config"`
	Step      int64          `json:"step"`       // optimizer steps taken
	Seen      int64          `json:"seen"`       // training examples consumed
	OptStep   int64          `json:"opt_step"`   // the optimizer's own step count
	NumParams int            `json:"num_params"` // length of each vector
	Tensors   []nn.ParamSpec `json:"tensors"`    // layout of params, for other readers
	HasV      bool           `json:"has_v"`      // an AdamW second moment follows m
}

// State is everything a run needs to continue: configuration, weights,
// optimizer state and position in the data stream.
type State struct {
	Config Config
	Step   int64 // optimizer steps taken
	Seen   int64 // training examples consumed
	Model  *nn.SearchModel[float32]
	Opt    *Optimizer[float32]
}

// WriteCheckpoint writes st to path atomically: the bytes go to a
// temporary file in the same directory, which is synced and renamed over
// path, so a crash leaves either the old file or the new one.
func WriteCheckpoint(path string, st *State) error {
	var buf bytes.Buffer
	if err := encodeCheckpoint(&buf, st); err != nil {
		return fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	return nil
}

func encodeCheckpoint(w *bytes.Buffer, st *State) error {
	h := checkpointHeader{
		Config:    st.Config,
		Step:      st.Step,
		Seen:      st.Seen,
		OptStep:   st.Opt.Step,
		NumParams: len(st.Model.Params),
		Tensors:   st.Config.Model.ParamSpecs(),
		HasV:      st.Opt.V != nil,
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return err
	}
	w.WriteString(checkpointMagic)
	binary.Write(w, binary.LittleEndian, uint32(checkpointVersion))
	binary.Write(w, binary.LittleEndian, uint32(len(hj)))
	w.Write(hj)
	vectors := [][]float32{st.Model.Params, st.Opt.M}
	if st.Opt.V != nil {
		vectors = append(vectors, st.Opt.V)
	}
	for _, v := range vectors {
		writeFloats(w, v)
	}
	binary.Write(w, binary.LittleEndian, crc32.ChecksumIEEE(w.Bytes()))
	return nil
}

func writeFloats(w *bytes.Buffer, v []float32) {
	var b [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		w.Write(b[:])
	}
}

// ErrCorruptCheckpoint is wrapped by every error about a checkpoint file
// whose contents are damaged, truncated or not a checkpoint at all.
var ErrCorruptCheckpoint = errors.New("corrupt checkpoint")

// ReadCheckpoint loads a checkpoint written by WriteCheckpoint.
func ReadCheckpoint(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	st, err := decodeCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	return st, nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptCheckpoint, fmt.Sprintf(format, args...))
}

func decodeCheckpoint(data []byte) (*State, error) {
	if len(data) < len(checkpointMagic) || string(data[:len(checkpointMagic)]) != checkpointMagic {
		return nil, corrupt("the file does not start with %q; it is not a qkv checkpoint", checkpointMagic[:7])
	}
	if len(data) < len(checkpointMagic)+12 {
		return nil, corrupt("file is truncated after %d bytes", len(data))
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	r := bytes.NewReader(body[len(checkpointMagic):])
	var version, hlen uint32
	binary.Read(r, binary.LittleEndian, &version)
	binary.Read(r, binary.LittleEndian, &hlen)
	if version != checkpointVersion {
		return nil, corrupt("format version %d is not supported; this build reads version %d", version, checkpointVersion)
	}
	if hlen > maxHeaderLen || int(hlen) > r.Len() {
		return nil, corrupt("header length %d exceeds the file (truncated or damaged)", hlen)
	}
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, corrupt("checksum mismatch (stored %08x, computed %08x); the file is truncated or damaged", sum, got)
	}
	hj := make([]byte, hlen)
	io.ReadFull(r, hj)
	var h checkpointHeader
	if err := json.Unmarshal(hj, &h); err != nil {
		return nil, corrupt("header: %v", err)
	}
	if err := h.Config.Validate(); err != nil {
		return nil, corrupt("stored configuration: %v", err)
	}
	if want := h.Config.Model.NumParams(); h.NumParams != want {
		return nil, corrupt("header lists %d parameters, its model configuration needs %d", h.NumParams, want)
	}
	vectors := 2
	if h.HasV {
		vectors = 3
	}
	if r.Len() != vectors*4*h.NumParams {
		return nil, corrupt("weights take %d bytes, want %d", r.Len(), vectors*4*h.NumParams)
	}
	read := func() []float32 {
		v := make([]float32, h.NumParams)
		var b [4]byte
		for i := range v {
			io.ReadFull(r, b[:])
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[:]))
		}
		return v
	}
	params := read()
	model, err := nn.BindSearchModel(h.Config.Model, params)
	if err != nil {
		return nil, corrupt("%v", err)
	}
	opt, err := NewOptimizer[float32](h.Config.Optimizer, h.NumParams)
	if err != nil {
		return nil, corrupt("optimizer: %v", err)
	}
	if h.HasV != (opt.V != nil) {
		return nil, corrupt("optimizer %v does not match the stored state", h.Config.Optimizer.Kind)
	}
	opt.Step = h.OptStep
	opt.M = read()
	if h.HasV {
		opt.V = read()
	}
	for i, v := range params {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, corrupt("parameter %d is %v", i, v)
		}
	}
	return &State{Config: h.Config, Step: h.Step, Seen: h.Seen, Model: model, Opt: opt}, nil
}
