module github.com/eventrecorder/eventrecorder/internal/compat/am035

go 1.26.0

require (
	github.com/eventrecorder/eventrecorder v0.0.0
	github.com/prometheus/alertmanager v0.35.0
	google.golang.org/protobuf v1.36.12
)

require go.uber.org/goleak v1.3.0 // indirect

replace github.com/eventrecorder/eventrecorder => ../../..
