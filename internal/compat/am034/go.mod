module github.com/eventrecorder/eventrecorder/internal/compat/am034

go 1.26.7

require (
	github.com/eventrecorder/eventrecorder v0.0.0
	github.com/prometheus/alertmanager v0.34.2
	google.golang.org/protobuf v1.36.13-0.20261016172727-e9ee2a76ab8e
)

require go.uber.org/goleak v1.3.0 // indirect

replace github.com/eventrecorder/eventrecorder => ../../..
