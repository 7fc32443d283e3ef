package task

import "testing"

func FuzzParseText(f *testing.F) {
	for _, tc := range knownExamples {
		f.Add(tc.text)
	}
	f.Add("PAD PAD E 1 2 Q 1 2 P 1")
	f.Add("E 1 2 Q 1 2 P 1 2")
	f.Fuzz(func(t *testing.T, s string) {
		ex, err := ParseText(s)
		if err != nil {
			return
		}
		// A parsed example prints back to text that parses to the same
		// example, and annotating it never panics.
		again, err := ParseText(ex.Text())
		if err != nil {
			t.Fatalf("ParseText(Text()) of %q: %v", s, err)
		}
		if again.Text() != ex.Text() {
			t.Fatalf("round trip changed %q into %q", ex.Text(), again.Text())
		}
		if err := ex.Annotate(nil); err == nil {
			if len(ex.Labels) == 0 || ex.Lookahead < 0 {
				t.Fatalf("annotated %q: labels %v, lookahead %d", s, ex.Labels, ex.Lookahead)
			}
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add(16, []byte{4, 4, 3, 1, 2, 5, 1, 2, 2, 1})
	f.Add(128, []byte{44, 43, 7, 37, 45, 7, 37, 42, 7})
	f.Fuzz(func(t *testing.T, n int, raw []byte) {
		v, err := NewVocab(n % 300)
		if err != nil {
			return
		}
		ids := make([]int32, len(raw))
		for i, b := range raw {
			ids[i] = int32(b)
		}
		ex, err := Decode(v, ids)
		if err != nil {
			return
		}
		toks, err := ex.Tokens(v)
		if err != nil {
			t.Fatalf("Tokens of a decoded example: %v", err)
		}
		back, err := Decode(v, toks)
		if err != nil || back.Text() != ex.Text() {
			t.Fatalf("Decode(Tokens()) = %q, %v; want %q", back.Text(), err, ex.Text())
		}
	})
}
