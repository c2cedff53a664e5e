// Package e2e holds the end-to-end tests of PFF: a real `pff serve` (the
// command's own wiring, run in-process through app.Main) on a fresh,
// migrated PostgreSQL database, driven only through its HTTP API, with the
// BSS simulator of app/bss/bsssim in the same process. The package has no
// code of its own; its tests run with `make test`.
//
// TestTheWholeMission is the mission from upload to repair. The error
// scenarios are here where a whole process was needed, and elsewhere where
// a package's tests already covered them:
//
//   - PostgreSQL restarted during an ingest, during a training:
//     TestPostgresRestartDuringAnIngest, TestPostgresRestartDuringTraining
//     (every connection ended with pg_terminate_backend); PostgreSQL away
//     and back under the API: app/httpapi TestDatabaseOutageIsA503ThatHealsByItself.
//   - Redis gone: TestRedisGoneUnderARunningServer; app/httpapi
//     TestRateLimitsFallBackToMemoryWhenRedisIsDown, app/auth
//     TestAPausedRedisCostsOneTimeout, app/httpapi TestDetailedHealth.
//   - A worker killed: jobs TestJobsOfADeadWorkerAreRetriedSoon and
//     TestKilledTrainingResumesFromItsCheckpoint (SIGKILL of a worker
//     process), app/executions TestNoWriteIsAppliedTwiceWhileWorkersAreKilled.
//   - A BSS system down: app/executions TestAnOpenBreakerLetsOnlyItsProbesThrough
//     (all of BIAS in outage during an execution) and
//     TestRetryGoesOnFromTheStepThatStoppedALineAndNeverRepeatsAWrite (one
//     operation down), app/bss TestWriteFailsOverWhenTheFirstClusterRefuses
//     and TestBreakerOpensAndLetsOnlyProbesThrough.
//   - A huge upload: TestHugeUploadsAreRefusedWithoutFillingMemory (without
//     -race); app/httpapi TestUploadLimits, app/ingest TestUploadLimits,
//     TestDocumentLimits and the ZIP bomb tests TestReadZipBoundsTheWholeArchivesRatio
//     and TestReadZipRefusesOverlappingMembers.
package e2e
