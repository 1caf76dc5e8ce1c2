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
// event_kafka_produce_errors_total by error type. With acks: none nothing
// is ever known delivered: what the producer writes to the connection is
// reported Unacknowledged.
//
// A record larger than the topic accepts fails alone (message_too_large)
// rather than taking the other records of its batch with it: the output
// reads the topic's max.message.bytes when it connects, keeps batches
// under it and refuses larger records before they join one; and when a
// broker still refuses a batch as too large (the limit could not be read,
// or was lowered since), the batch's records are sent again one at a time.
package kafka
