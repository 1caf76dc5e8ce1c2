// Package reliability holds the project's cross-cutting reliability and
// security tests: the fault matrix of every sink kind driven through the
// recorder, the reload stress test, the bounded-memory test, fuzz targets
// for configuration loading and the Alertmanager converters, the pinned
// bad-configuration messages, secret hygiene, TLS verification and
// shutdown with hung sinks. They live apart from the packages they test
// because each of them crosses several packages and reads only what a user
// can observe: metrics, logs, errors and the destinations themselves.
//
// The package has no API; its code is in its tests.
package reliability
