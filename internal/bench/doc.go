// Package bench holds benchmark helpers and floors: whole-process
// benchmarks of hmpsh (run by make bench, see dryrun_test.go and
// live_test.go) and the plain programs they are measured against
// (dryfloor for --dry-run, qmpfloor, a minimal QMP client, for a live
// QEMU), with measure, which starts a program and reports its wall time,
// processor time and peak RSS.
package bench
