package sink

import (
	"errors"
	"testing"
)

func TestAtPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"field error", Errorf("url", "scheme %q is not http or https", "ftp"), `webhook_outputs[1].url: scheme "ftp" is not http or https`},
		{"index path", Errorf("[2]", "bad"), `webhook_outputs[1][2]: bad`},
		{"plain error", errors.New("cannot connect"), `webhook_outputs[1]: cannot connect`},
		{"joined", errors.Join(Errorf("colour", "unknown field"), Errorf("size", "unknown field")),
			"webhook_outputs[1].colour: unknown field\nwebhook_outputs[1].size: unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AtPath("webhook_outputs[1]", tc.err)
			if got.Error() != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if AtPath("x", nil) != nil {
		t.Fatal("AtPath(nil) != nil")
	}
}
