package event_test

import (
	"context"
	"log/slog"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

// The reference API (shared/reference/eventrecorder-v0.33-api.txt) is a
// compatibility target: code written against it must compile unchanged
// after switching its import. Each line pins one name to the reference's
// signature, so a change to any of them fails the build of this test.
// The reference writes *types.Alert; types.Alert is an alias of
// alert.Alert in v0.33 and v0.34 and gone in v0.35, so *alert.Alert is the
// same type wherever the reference's spelling still compiles.
var (
	_ func(context.Context) context.Context                                          = event.WithEventRecording
	_ func(context.Context) bool                                                     = event.EventRecordingEnabled
	_ func(event.Config, string, *slog.Logger, prometheus.Registerer) event.Recorder = event.NewRecorderFromConfig
	_ func() event.Recorder                                                          = event.NopRecorder
	_ func(event.Recorder, context.Context, *eventrecorderpb.EventData)              = event.Recorder.RecordEvent
	_ func(event.Recorder, event.Config)                                             = event.Recorder.ApplyConfig
	_ func(event.Recorder) error                                                     = event.Recorder.Close

	_ func(*alert.Alert) *eventrecorderpb.Alert                                                                               = event.AlertAsProto
	_ func(model.LabelSet) *eventrecorderpb.LabelSet                                                                          = event.LabelSetAsProto
	_ func(*labels.Matcher) *eventrecorderpb.Matcher                                                                          = event.MatcherAsProto
	_ func(labels.Matchers) []*eventrecorderpb.Matcher                                                                        = event.MatchersAsProto
	_ func(*silencepb.Matcher) *eventrecorderpb.Matcher                                                                       = event.SilenceMatcherAsProto
	_ func(*silencepb.Silence) *eventrecorderpb.Silence                                                                       = event.SilenceAsProto
	_ func(labels.Matchers, labels.Matchers, map[model.LabelName]struct{}) *eventrecorderpb.InhibitRule                       = event.InhibitRuleAsProto
	_ func(*alert.Alert) *eventrecorderpb.EventData                                                                           = event.NewAlertCreatedEvent
	_ func(*eventrecorderpb.Silence) *eventrecorderpb.EventData                                                               = event.NewSilenceCreatedEvent
	_ func(*eventrecorderpb.Silence) *eventrecorderpb.EventData                                                               = event.NewSilenceUpdatedEvent
	_ func(*eventrecorderpb.Silence, model.Fingerprint, model.LabelSet) *eventrecorderpb.EventData                            = event.NewSilenceMutedAlertEvent
	_ func([]*eventrecorderpb.InhibitRule, model.Fingerprint, model.LabelSet, []model.Fingerprint) *eventrecorderpb.EventData = event.NewInhibitionMutedAlertEvent

	_ func(string, *slog.Logger) (*event.FileOutput, error)                                                                           = event.NewFileOutput
	_ func(event.WebhookOutputConfig, *prometheus.CounterVec, *slog.Logger) (*event.WebhookOutput, error)                             = event.NewWebhookOutput
	_ func(event.KafkaOutputConfig, string, *prometheus.CounterVec, *prometheus.CounterVec, *slog.Logger) (*event.KafkaOutput, error) = event.NewKafkaOutput

	_ event.Destination = (*event.FileOutput)(nil)
	_ event.Destination = (*event.WebhookOutput)(nil)
	_ event.Destination = (*event.KafkaOutput)(nil)

	// The reference Config's three lists keep their names and types.
	_ = event.Config{
		FileOutputs:    []event.FileOutputConfig{{Path: "/var/log/events.jsonl"}},
		WebhookOutputs: []event.WebhookOutputConfig{{}},
		KafkaOutputs:   []event.KafkaOutputConfig{{Brokers: []string{"kafka-1:9093"}, Topic: "events"}},
	}

	// The reference's UnmarshalYAML methods keep their yaml.v2 shape.
	_ interface{ UnmarshalYAML(func(any) error) error } = (*event.FileOutputConfig)(nil)
	_ interface{ UnmarshalYAML(func(any) error) error } = (*event.WebhookOutputConfig)(nil)
	_ interface{ UnmarshalYAML(func(any) error) error } = (*event.KafkaOutputConfig)(nil)
)

// Alertmanager v0.34 changed two calls; code written against it builds
// with this package after the two call-site edits the README's "Migrating
// from Alertmanager's eventrecorder" lists. These lines pin what those
// edits call: RecordEvent(ctx, func() ...) becomes RecordEventFunc, and
// InhibitRuleAsProto(name, ...) becomes InhibitRuleAsProtoNamed.
var (
	_ func(event.Recorder, context.Context, func() *eventrecorderpb.EventData)                                  = event.Recorder.RecordEventFunc
	_ func(string, labels.Matchers, labels.Matchers, map[model.LabelName]struct{}) *eventrecorderpb.InhibitRule = event.InhibitRuleAsProtoNamed
)

// SetClusterPeer takes Alertmanager's *cluster.Peer as the reference does,
// through an interface, so this module does not import the cluster package
// (and its memberlist dependencies). alertmanagerPeer has the one method
// *cluster.Peer needs for that: func (p *Peer) Position() int (cluster.go
// in Alertmanager v0.33.1).
type alertmanagerPeer struct{}

func (*alertmanagerPeer) Position() int { return 0 }

var _ = func(r event.Recorder, p *alertmanagerPeer) { r.SetClusterPeer(p) }
