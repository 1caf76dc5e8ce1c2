// Package deps is a temporary anchor that keeps every dependency in go.mod
// while the packages that use them are written.
package deps

import (
	_ "github.com/IBM/sarama"
	_ "github.com/dave/jennifer/jen"
	_ "github.com/hashicorp/go-retryablehttp"
	_ "github.com/prometheus/alertmanager/pkg/labels"
	_ "github.com/prometheus/alertmanager/silence/silencepb"
	_ "github.com/prometheus/alertmanager/types"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/prometheus/common/config"
	_ "github.com/prometheus/common/model"
	_ "github.com/rjeczalik/notify"
	_ "github.com/twmb/franz-go/pkg/kfake"
	_ "github.com/twmb/franz-go/pkg/kgo"
	_ "go.uber.org/goleak"
	_ "go.yaml.in/yaml/v2"
	_ "google.golang.org/protobuf/compiler/protogen"
	_ "google.golang.org/protobuf/encoding/protojson"
	_ "google.golang.org/protobuf/types/known/timestamppb"
	_ "github.com/schollz/progressbar/v3"
	_ "golang.org/x/term"
)
