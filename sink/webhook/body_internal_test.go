package webhook

import (
	"bytes"
	"io"
	"testing"

	"github.com/eventrecorder/eventrecorder/sink"
)

// TestArrayBodyReadsAsTheArray checks that a batch body read in chunks of
// any size, or written out whole, is exactly the JSON array of its values,
// and that Len, the Content-Length, counts down to zero with it. The
// transport reads bodies in chunks that split values and separators
// anywhere, and a retry reads a fresh body from the start.
func TestArrayBodyReadsAsTheArray(t *testing.T) {
	values := []string{`{"a":1}`, `{"b":"two"}`, ``, `{"c":[3]}`, `7`}
	var msgs []sink.Message[int]
	var want bytes.Buffer
	want.WriteByte('[')
	for i, v := range values {
		if i > 0 {
			want.WriteByte(',')
		}
		want.WriteString(v)
		msgs = append(msgs, sink.Message[int]{Event: i, Value: []byte(v)})
	}
	want.WriteByte(']')
	for n := 1; n <= want.Len()+1; n++ {
		for _, count := range []int{1, 2, len(msgs)} {
			sub := msgs[:count]
			w := wantArray(sub)
			b := newArrayBody[int](sub, len(w), nil)
			var got []byte
			p := make([]byte, n)
			for {
				if b.Len() != len(w)-len(got) {
					t.Fatalf("chunks of %d, %d values: Len %d after %d bytes, want %d", n, count, b.Len(), len(got), len(w)-len(got))
				}
				k, err := b.Read(p)
				got = append(got, p[:k]...)
				if err == io.EOF {
					break
				}
				if err != nil || k == 0 {
					t.Fatalf("chunks of %d: Read = %d, %v", n, k, err)
				}
			}
			if !bytes.Equal(got, w) {
				t.Fatalf("chunks of %d, %d values: read %q, want %q", n, count, got, w)
			}
		}
	}
	var out bytes.Buffer
	if n, err := newArrayBody[int](msgs, want.Len(), nil).WriteTo(&out); err != nil || n != int64(want.Len()) || !bytes.Equal(out.Bytes(), want.Bytes()) {
		t.Fatalf("WriteTo = %d, %v, wrote %q; want %q", n, err, out.Bytes(), want.Bytes())
	}
}

func wantArray(msgs []sink.Message[int]) []byte {
	b := []byte{'['}
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, m.Value...)
	}
	return append(b, ']')
}
