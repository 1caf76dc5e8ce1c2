// Package kafka is the Kafka output kind (kafka_outputs): it produces
// each event as one record to a topic with IBM/sarama's AsyncProducer,
// without ever making the recorder wait for Kafka.
//
// Records carry the encoded event as value (JSON or protobuf, as
// configured), the headers event_type and content_type, and a key that
// keeps one recorder instance's events in order (or one event type's, or
// none). Messages wait in a bounded local buffer while the brokers are
// slow or unreachable, including at start-up: the output connects in the
// background and drops, reporting Dropped, only when the buffer is full.
// Produce failures are reported Failed and counted in
// event_kafka_produce_errors_total by error type.
package kafka
