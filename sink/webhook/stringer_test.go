package webhook_test

import (
	"fmt"
	"strings"
	"testing"

	commoncfg "github.com/prometheus/common/config"

	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

func TestConfigPrintsWithoutSecrets(t *testing.T) {
	u, err := webhook.ParseURL("https://alice:pw-in-url@collector.example/hook?token=tok-in-query")
	if err != nil {
		t.Fatal(err)
	}
	c := webhook.Config{URL: u, HTTPConfig: &commoncfg.HTTPClientConfig{BearerToken: "bearer-secret"}}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprint(&c)} {
		for _, secret := range []string{"pw-in-url", "tok-in-query", "bearer-secret"} {
			if strings.Contains(s, secret) {
				t.Fatalf("printed configuration leaks %q:\n%s", secret, s)
			}
		}
	}
}
