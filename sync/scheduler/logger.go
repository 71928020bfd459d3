package scheduler

import (
	"fmt"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// NewCronLogger adapts a zerolog logger to cron.Logger. cron's routine Info
// messages ("start", "wake", "run", "schedule", ...) are very chatty and are
// logged at debug level; errors at error level. keysAndValues are alternating
// key/value pairs as in logr; a non-string key is formatted with %v and an odd
// trailing value is logged under "!BADKEY".
func NewCronLogger(l zerolog.Logger) cron.Logger {
	return cronLogger{l: l}
}

type cronLogger struct{ l zerolog.Logger }

func (c cronLogger) Info(msg string, keysAndValues ...interface{}) {
	e := c.l.Debug()
	if e == nil {
		return
	}
	addKV(e, keysAndValues).Msg("cron: " + msg)
}

func (c cronLogger) Error(err error, msg string, keysAndValues ...interface{}) {
	addKV(c.l.Error().Err(err), keysAndValues).Msg("cron: " + msg)
}

func addKV(e *zerolog.Event, kv []interface{}) *zerolog.Event {
	for i := 0; i < len(kv); i += 2 {
		if i+1 >= len(kv) {
			e = e.Interface("!BADKEY", kv[i])
			break
		}
		key, ok := kv[i].(string)
		if !ok {
			key = fmt.Sprint(kv[i])
		}
		e = e.Interface(key, kv[i+1])
	}
	return e
}

// skipLogger is the cron.Logger handed to one job's cron.SkipIfStillRunning.
// That wrapper calls Info exactly when it skips a run, which is the only way
// to learn about the skip, so each call is counted against the job.
type skipLogger struct {
	s   *Scheduler
	job *job
}

func (l skipLogger) Info(string, ...interface{}) {
	l.s.recordSkip(l.job, "scheduled run overlaps the previous one")
}

func (l skipLogger) Error(err error, msg string, keysAndValues ...interface{}) {
	NewCronLogger(l.s.log).Error(err, msg, append([]interface{}{"job", l.job.name}, keysAndValues...)...)
}
