// Package scheduler runs the daemon's named periodic jobs (store syncs,
// segment recomputation, ...) on cron schedules.
//
// Every run, scheduled or triggered with RunNow, goes through one wrapper
// that: skips the run if the job is still running; gives the job a context
// derived from the Start (or RunNow) context that Stop cancels; recovers a
// panic and records it as a failure; and keeps per-job status and Prometheus
// metrics. A job that fails FailureThreshold times in a row makes Healthy
// return an error.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// Func is a job body. It must return promptly once ctx is cancelled
// (finishing the transaction in progress is fine).
type Func func(ctx context.Context) error

// Errors returned by RunNow and Register.
var (
	ErrAlreadyRunning = errors.New("scheduler: job is already running")
	ErrUnknownJob     = errors.New("scheduler: unknown job")
	ErrStopped        = errors.New("scheduler: stopped")
)

// DefaultFailureThreshold is used when Options.FailureThreshold is <= 0.
const DefaultFailureThreshold = 3

// Options configures a Scheduler. The zero value is usable.
type Options struct {
	// Location in which cron specs are interpreted (a spec's own CRON_TZ=
	// prefix takes precedence). Default time.Local.
	Location *time.Location
	// Logger receives job and cron logs. The zero value logs nothing.
	Logger zerolog.Logger
	// Registerer receives the cohortd_job_* metrics. When nil they are
	// registered on a private registry, i.e. collected but not exported.
	Registerer prometheus.Registerer
	// FailureThreshold is the number of consecutive failures after which
	// Healthy reports the job. Default DefaultFailureThreshold.
	FailureThreshold int
	// Parse turns a spec into a schedule. Default: the standard 5-field
	// parser with descriptors (@every 1h, @daily, ...), see DefaultParse.
	Parse func(spec string) (cron.Schedule, error)
}

// DefaultParse is the default Options.Parse: standard 5-field cron specs
// (minute hour day-of-month month day-of-week) and descriptors.
var DefaultParse = cron.NewParser(
	cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor,
).Parse

// JobStatus is a snapshot of one job, for the admin API.
type JobStatus struct {
	Name     string `json:"name"`
	Schedule string `json:"schedule"`
	Running  bool   `json:"running"`
	// Next is the next scheduled run (see Scheduler.Status).
	Next      time.Time `json:"next,omitzero"`
	LastStart time.Time `json:"last_start,omitzero"`
	// LastDuration of the last finished run (JSON: integer nanoseconds).
	LastDuration        time.Duration `json:"last_duration"`
	LastError           string        `json:"last_error,omitempty"`
	Runs                uint64        `json:"runs"`
	Failures            uint64        `json:"failures"`
	Skipped             uint64        `json:"skipped"`
	ConsecutiveFailures int           `json:"consecutive_failures"`
}

// Scheduler runs registered jobs. Create it with New.
type Scheduler struct {
	cron      *cron.Cron
	log       zerolog.Logger
	parse     func(string) (cron.Schedule, error)
	loc       *time.Location
	threshold int
	m         *metrics

	mu        sync.Mutex
	jobs      map[string]*job
	started   bool
	stopped   bool
	runCtx    context.Context // parent of scheduled runs' contexts; set by Start
	runCancel context.CancelFunc
	wg        sync.WaitGroup // runs in progress (Add under mu, never after stopped)
}

type job struct {
	name, spec string
	fn         Func
	sched      cron.Schedule
	id         cron.EntryID

	// Guarded by Scheduler.mu.
	running             bool
	cancel              context.CancelFunc // of the run in progress
	lastStart           time.Time
	lastDuration        time.Duration
	lastError           string
	runs                uint64
	failures            uint64
	skipped             uint64
	consecutiveFailures int
}

// New returns a Scheduler and registers its metrics on opts.Registerer.
func New(opts Options) (*Scheduler, error) {
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	parse := opts.Parse
	if parse == nil {
		parse = DefaultParse
	}
	threshold := opts.FailureThreshold
	if threshold <= 0 {
		threshold = DefaultFailureThreshold
	}
	reg := opts.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	s := &Scheduler{
		log:       opts.Logger,
		parse:     parse,
		loc:       loc,
		threshold: threshold,
		m:         m,
		jobs:      make(map[string]*job),
	}
	// No cron-wide chain: the cron.SkipIfStillRunning + cron.Recover chain is
	// applied per job in Register, so that skips can be attributed to a job.
	s.cron = cron.New(
		cron.WithLocation(loc),
		cron.WithLogger(NewCronLogger(opts.Logger)),
	)
	return s, nil
}

// Register adds a job. It fails on an empty or duplicate name, a nil fn, or
// a spec that Options.Parse rejects. Jobs may be registered before or after
// Start.
func (s *Scheduler) Register(name, spec string, fn Func) error {
	if name == "" {
		return errors.New("scheduler: job name is empty")
	}
	if fn == nil {
		return fmt.Errorf("scheduler: job %q: nil func", name)
	}
	sched, err := s.parse(spec)
	if err != nil {
		return fmt.Errorf("scheduler: job %q: bad schedule %q: %w", name, spec, err)
	}
	if sched == nil {
		return fmt.Errorf("scheduler: job %q: bad schedule %q: parser returned no schedule", name, spec)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jobs[name]; dup {
		return fmt.Errorf("scheduler: job %q: already registered", name)
	}
	if s.stopped {
		return fmt.Errorf("scheduler: job %q: %w", name, ErrStopped)
	}
	j := &job{name: name, spec: spec, fn: fn, sched: sched}
	s.jobs[name] = j
	s.m.init(name)

	chain := cron.NewChain(
		cron.SkipIfStillRunning(skipLogger{s: s, job: j}),
		cron.Recover(NewCronLogger(s.log.With().Str("job", name).Logger())),
	)
	j.id = s.cron.Schedule(sched, chain.Then(cron.FuncJob(func() {
		s.mu.Lock()
		ctx := s.runCtx
		s.mu.Unlock()
		if ctx == nil { // cannot happen: cron only fires after Start
			ctx = context.Background()
		}
		_ = s.run(ctx, j, "schedule")
	})))
	return nil
}

// Start starts scheduling. The contexts of scheduled runs derive from ctx.
// Start after Start or after Stop does nothing. Cancelling ctx cancels the
// runs' contexts but does not stop scheduling; call Stop for that.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	s.runCtx, s.runCancel = context.WithCancel(ctx)
	s.cron.Start()
	s.log.Info().Int("jobs", len(s.jobs)).Str("location", s.loc.String()).Msg("scheduler started")
}

// Stop stops scheduling new runs, cancels the contexts of the runs in
// progress (including RunNow calls) and waits for them to return. If ctx is
// done first it returns ctx.Err(); the runs keep going in the background.
// After Stop, RunNow returns ErrStopped. Stop may be called more than once.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	first := !s.stopped
	s.stopped = true
	if s.runCancel != nil {
		s.runCancel()
	}
	var running []string
	for _, j := range s.jobs {
		if j.running {
			running = append(running, j.name)
			if j.cancel != nil {
				j.cancel()
			}
		}
	}
	s.mu.Unlock()
	if first {
		sort.Strings(running)
		s.log.Info().Strs("waiting_for", running).Msg("scheduler stopping")
	}

	cronDone := s.cron.Stop() // no new runs; done when cron's goroutines are
	done := make(chan struct{})
	go func() {
		s.wg.Wait() // no wg.Add can happen any more: stopped is set
		<-cronDone.Done()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.log.Warn().Err(ctx.Err()).Msg("scheduler stop: jobs still running")
		return ctx.Err()
	}
}

// RunNow runs the job synchronously through the same wrapper as scheduled
// runs and returns its error (a recovered panic is returned as an error). The
// job's context derives from ctx and is also cancelled by Stop. It returns
// ErrAlreadyRunning (counted as a skip) if the job is running,
// ErrUnknownJob for an unknown name and ErrStopped after Stop.
func (s *Scheduler) RunNow(ctx context.Context, name string) error {
	s.mu.Lock()
	j, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownJob, name)
	}
	return s.run(ctx, j, "manual")
}

// run is the wrapper every run goes through.
func (s *Scheduler) run(parent context.Context, j *job, trigger string) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return fmt.Errorf("job %q: %w", j.name, ErrStopped)
	}
	if j.running {
		s.mu.Unlock()
		s.recordSkip(j, "already running ("+trigger+")")
		return fmt.Errorf("job %q: %w", j.name, ErrAlreadyRunning)
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	start := time.Now()
	j.running, j.cancel, j.lastStart = true, cancel, start
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	s.m.running.WithLabelValues(j.name).Set(1)
	log := s.log.With().Str("job", j.name).Str("trigger", trigger).Logger()
	log.Debug().Msg("job started")

	panicked, err := s.call(ctx, j, log)
	dur := time.Since(start)

	s.mu.Lock()
	j.running, j.cancel = false, nil
	j.runs++
	j.lastDuration = dur
	if err != nil {
		j.failures++
		j.consecutiveFailures++
		j.lastError = err.Error()
	} else {
		j.consecutiveFailures = 0
		j.lastError = ""
	}
	consecutive := j.consecutiveFailures
	s.mu.Unlock()

	result := "success"
	switch {
	case panicked:
		result = "panic"
	case err != nil:
		result = "failure"
	}
	s.m.running.WithLabelValues(j.name).Set(0)
	s.m.runs.WithLabelValues(j.name, result).Inc()
	s.m.duration.WithLabelValues(j.name).Observe(dur.Seconds())
	s.m.consecutive.WithLabelValues(j.name).Set(float64(consecutive))
	if err == nil {
		s.m.lastSuccess.WithLabelValues(j.name).Set(float64(time.Now().UnixNano()) / 1e9)
		log.Info().Dur("duration", dur).Msg("job succeeded")
	} else {
		log.Error().Err(err).Dur("duration", dur).Int("consecutive_failures", consecutive).Str("result", result).Msg("job failed")
	}
	return err
}

// call runs the job body, turning a panic into an error.
func (s *Scheduler) call(ctx context.Context, j *job, log zerolog.Logger) (panicked bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			panicked, err = true, fmt.Errorf("panic: %v", r)
			log.Debug().Str("stack", string(debug.Stack())).Msg("job panic stack")
		}
	}()
	return false, j.fn(ctx)
}

func (s *Scheduler) recordSkip(j *job, why string) {
	s.mu.Lock()
	j.skipped++
	s.mu.Unlock()
	s.m.runs.WithLabelValues(j.name, "skipped").Inc()
	s.log.Warn().Str("job", j.name).Str("reason", why).Msg("job run skipped")
}

// Status returns a snapshot of every job, sorted by name. Next is the next
// scheduled run while the scheduler is started, the run the schedule would
// give now before Start, and zero after Stop.
func (s *Scheduler) Status() []JobStatus {
	s.mu.Lock()
	started, stopped := s.started, s.stopped
	jobs := make([]*job, 0, len(s.jobs))
	for _, j := range s.jobs {
		jobs = append(jobs, j)
	}
	s.mu.Unlock()

	var entries map[cron.EntryID]time.Time
	if started && !stopped {
		// cron.Entries talks to the cron goroutine: call it without s.mu.
		entries = make(map[cron.EntryID]time.Time)
		for _, e := range s.cron.Entries() {
			entries[e.ID] = e.Next
		}
	}
	now := time.Now().In(s.loc)

	out := make([]JobStatus, 0, len(jobs))
	s.mu.Lock()
	for _, j := range jobs {
		st := JobStatus{
			Name:                j.name,
			Schedule:            j.spec,
			Running:             j.running,
			LastStart:           j.lastStart,
			LastDuration:        j.lastDuration,
			LastError:           j.lastError,
			Runs:                j.runs,
			Failures:            j.failures,
			Skipped:             j.skipped,
			ConsecutiveFailures: j.consecutiveFailures,
		}
		switch {
		case stopped:
		case started:
			st.Next = entries[j.id]
		default:
			st.Next = j.sched.Next(now)
		}
		out = append(out, st)
	}
	s.mu.Unlock()
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Healthy returns nil, or an error naming every job whose consecutive
// failures reached the threshold.
func (s *Scheduler) Healthy() error {
	s.mu.Lock()
	var bad []string
	for _, j := range s.jobs {
		if j.consecutiveFailures >= s.threshold {
			bad = append(bad, fmt.Sprintf("%s (%d consecutive failures, last: %s)", j.name, j.consecutiveFailures, j.lastError))
		}
	}
	s.mu.Unlock()
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("scheduler: unhealthy jobs: %s", strings.Join(bad, "; "))
}
