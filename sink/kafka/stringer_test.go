package kafka_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/sink/kafka"
)

func TestConfigPrintsWithoutSecrets(t *testing.T) {
	c := kafka.Config{Brokers: []string{"k:9092"}, Topic: "t", SASL: &kafka.SASLConfig{Mechanism: kafka.SASLPlain, Username: "u", Password: "hunter2"}}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprint(&c)} {
		if strings.Contains(s, "hunter2") || !strings.Contains(s, "topic: t") {
			t.Fatalf("printed configuration leaks the password or lost the topic:\n%s", s)
		}
	}
}
