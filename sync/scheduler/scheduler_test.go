package scheduler

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// every is a sub-second schedule for tests ("fast 20ms"), so that overlap and
// recovery tests don't have to wait for whole seconds.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

func testParse(spec string) (cron.Schedule, error) {
	if d, ok := strings.CutPrefix(spec, "fast "); ok {
		dur, err := time.ParseDuration(d)
		if err != nil {
			return nil, err
		}
		return every(dur), nil
	}
	return DefaultParse(spec)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newTest(t *testing.T, opts Options) (*Scheduler, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	if opts.Registerer == nil {
		opts.Registerer = reg
	}
	if opts.Parse == nil {
		opts.Parse = testParse
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s, reg
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func status(t *testing.T, s *Scheduler, name string) JobStatus {
	t.Helper()
	for _, st := range s.Status() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no status for job %q", name)
	return JobStatus{}
}

func runsMetric(s *Scheduler, job, result string) float64 {
	return testutil.ToFloat64(s.m.runs.WithLabelValues(job, result))
}

type ctxKey struct{}

func TestEverySecondRuns(t *testing.T) {
	s, _ := newTest(t, Options{Parse: DefaultParse})
	var runs atomic.Int32
	var sawValue, sawLiveCtx atomic.Bool
	if err := s.Register("tick", "@every 1s", func(ctx context.Context) error {
		sawValue.Store(ctx.Value(ctxKey{}) == "start-ctx")
		sawLiveCtx.Store(ctx.Err() == nil)
		runs.Add(1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := status(t, s, "tick").Runs; got != 0 {
		t.Fatalf("runs before Start = %d", got)
	}
	s.Start(context.WithValue(context.Background(), ctxKey{}, "start-ctx"))
	if next := status(t, s, "tick").Next; next.IsZero() || time.Until(next) > 1100*time.Millisecond {
		t.Fatalf("Next = %v, want within ~1s", next)
	}
	waitFor(t, 3*time.Second, "first run", func() bool { return status(t, s, "tick").Runs >= 1 })
	if !sawValue.Load() || !sawLiveCtx.Load() {
		t.Fatalf("job context does not derive from Start ctx (value=%v live=%v)", sawValue.Load(), sawLiveCtx.Load())
	}
	st := status(t, s, "tick")
	if st.Failures != 0 || st.LastError != "" || st.LastStart.IsZero() || st.Schedule != "@every 1s" {
		t.Fatalf("unexpected status %+v", st)
	}
	if got := runsMetric(s, "tick", "success"); got < 1 {
		t.Fatalf("success metric = %v", got)
	}
}

func TestRegisterErrors(t *testing.T) {
	s, _ := newTest(t, Options{})
	ok := func(context.Context) error { return nil }
	if err := s.Register("a", "@hourly", ok); err != nil {
		t.Fatal(err)
	}
	err := s.Register("a", "@daily", ok)
	if err == nil || err.Error() != `scheduler: job "a": already registered` {
		t.Fatalf("duplicate: err = %v", err)
	}
	err = s.Register("x", "61 * * * *", ok)
	if err == nil || !strings.HasPrefix(err.Error(), `scheduler: job "x": bad schedule "61 * * * *": `) {
		t.Fatalf("bad spec: err = %v", err)
	}
	if errors.Unwrap(err) == nil {
		t.Fatalf("bad spec error does not wrap the parser error: %v", err)
	}
	if err := s.Register("", "@hourly", ok); err == nil {
		t.Fatal("empty name accepted")
	}
	if err := s.Register("nil", "@hourly", nil); err == nil {
		t.Fatal("nil func accepted")
	}
	if got := len(s.Status()); got != 1 {
		t.Fatalf("%d jobs registered, want 1", got)
	}
	if err := s.RunNow(context.Background(), "nope"); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("RunNow unknown: err = %v", err)
	}
}

func TestSkipIfStillRunning(t *testing.T) {
	s, _ := newTest(t, Options{})
	var active, maxActive, calls atomic.Int32
	release := make(chan struct{})
	if err := s.Register("slow", "fast 10ms", func(ctx context.Context) error {
		n := active.Add(1)
		defer active.Add(-1)
		for {
			m := maxActive.Load()
			if n <= m || maxActive.CompareAndSwap(m, n) {
				break
			}
		}
		if calls.Add(1) == 1 {
			<-release // first run is slow
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())

	waitFor(t, 3*time.Second, "3 skipped runs", func() bool { return status(t, s, "slow").Skipped >= 3 })
	st := status(t, s, "slow")
	if !st.Running || st.Runs != 0 {
		t.Fatalf("while first run is in progress: %+v", st)
	}
	if got := testutil.ToFloat64(s.m.running.WithLabelValues("slow")); got != 1 {
		t.Fatalf("running gauge = %v, want 1", got)
	}

	before := runsMetric(s, "slow", "skipped")
	if err := s.RunNow(context.Background(), "slow"); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("RunNow while running: err = %v, want ErrAlreadyRunning", err)
	}
	if after := runsMetric(s, "slow", "skipped"); after < before+1 {
		t.Fatalf("skipped metric %v -> %v, want an increment from RunNow", before, after)
	}

	close(release)
	waitFor(t, 3*time.Second, "runs after release", func() bool { return status(t, s, "slow").Runs >= 3 })
	if got := maxActive.Load(); got != 1 {
		t.Fatalf("max concurrent runs = %d, want 1", got)
	}
	st = status(t, s, "slow")
	if float64(st.Skipped) != runsMetric(s, "slow", "skipped") {
		t.Fatalf("Skipped %d != metric %v", st.Skipped, runsMetric(s, "slow", "skipped"))
	}
}

func TestPanicRecordedAndNextRunHappens(t *testing.T) {
	logs := &syncBuffer{}
	s, _ := newTest(t, Options{Logger: zerolog.New(logs).Level(zerolog.DebugLevel)})
	var calls atomic.Int32
	var seenLastError, seenFailures atomic.Value
	if err := s.Register("boom", "fast 20ms", func(ctx context.Context) error {
		if calls.Add(1) == 1 {
			panic("kaboom")
		}
		st := s.Status()[0]
		seenLastError.CompareAndSwap(nil, st.LastError)
		seenFailures.CompareAndSwap(nil, st.Failures)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	waitFor(t, 3*time.Second, "a run after the panic", func() bool { return status(t, s, "boom").Runs >= 2 })

	if got := seenLastError.Load(); got != "panic: kaboom" {
		t.Fatalf("LastError after the panic = %q, want %q", got, "panic: kaboom")
	}
	if got := seenFailures.Load(); got != uint64(1) {
		t.Fatalf("Failures after the panic = %v, want 1", got)
	}
	st := status(t, s, "boom")
	if st.Failures != 1 || st.ConsecutiveFailures != 0 || st.LastError != "" {
		t.Fatalf("status after recovery: %+v", st)
	}
	if got := runsMetric(s, "boom", "panic"); got != 1 {
		t.Fatalf("panic metric = %v, want 1", got)
	}
	if got := runsMetric(s, "boom", "success"); got < 1 {
		t.Fatalf("success metric = %v, want >= 1", got)
	}
	out := logs.String()
	if !strings.Contains(out, `"message":"job panic stack"`) || !strings.Contains(out, "scheduler_test.go") {
		t.Fatalf("panic stack not logged at debug level:\n%s", out)
	}
}

func TestRunNowPanicReturnsError(t *testing.T) {
	s, _ := newTest(t, Options{})
	if err := s.Register("p", "@yearly", func(context.Context) error { panic(errors.New("bad state")) }); err != nil {
		t.Fatal(err)
	}
	err := s.RunNow(context.Background(), "p")
	if err == nil || err.Error() != "panic: bad state" {
		t.Fatalf("RunNow(panicking job) = %v, want panic: bad state", err)
	}
	if st := status(t, s, "p"); st.Running || st.Runs != 1 || st.Failures != 1 || st.LastError != "panic: bad state" {
		t.Fatalf("status: %+v", st)
	}
	// The job is not stuck as "running" after a panic.
	if err := s.RunNow(context.Background(), "p"); errors.Is(err, ErrAlreadyRunning) {
		t.Fatal("job still marked running after panic")
	}
}

func TestHealthyThreshold(t *testing.T) {
	s, _ := newTest(t, Options{FailureThreshold: 2})
	var fail atomic.Bool
	fail.Store(true)
	if err := s.Register("flaky", "@yearly", func(context.Context) error {
		if fail.Load() {
			return errors.New("shopify: 503")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Register("fine", "@yearly", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if err := s.RunNow(ctx, "flaky"); err == nil || err.Error() != "shopify: 503" {
		t.Fatalf("RunNow = %v", err)
	}
	if err := s.Healthy(); err != nil {
		t.Fatalf("unhealthy after 1 failure (threshold 2): %v", err)
	}
	_ = s.RunNow(ctx, "flaky")
	_ = s.RunNow(ctx, "fine")
	err := s.Healthy()
	if err == nil {
		t.Fatal("healthy after 2 consecutive failures")
	}
	if !strings.Contains(err.Error(), "flaky") || !strings.Contains(err.Error(), "shopify: 503") || strings.Contains(err.Error(), "fine") {
		t.Fatalf("Healthy error = %q", err)
	}
	if got := testutil.ToFloat64(s.m.consecutive.WithLabelValues("flaky")); got != 2 {
		t.Fatalf("consecutive failures gauge = %v, want 2", got)
	}
	if st := status(t, s, "flaky"); st.ConsecutiveFailures != 2 || st.Failures != 2 || st.Runs != 2 {
		t.Fatalf("status: %+v", st)
	}

	fail.Store(false)
	if err := s.RunNow(ctx, "flaky"); err != nil {
		t.Fatal(err)
	}
	if err := s.Healthy(); err != nil {
		t.Fatalf("still unhealthy after a success: %v", err)
	}
	if st := status(t, s, "flaky"); st.ConsecutiveFailures != 0 || st.Failures != 2 || st.Runs != 3 {
		t.Fatalf("status: %+v", st)
	}
	if got := testutil.ToFloat64(s.m.consecutive.WithLabelValues("flaky")); got != 0 {
		t.Fatalf("consecutive failures gauge = %v, want 0", got)
	}
}

func TestDefaultThreshold(t *testing.T) {
	s, _ := newTest(t, Options{})
	if err := s.Register("f", "@yearly", func(context.Context) error { return errors.New("x") }); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < DefaultFailureThreshold; i++ {
		if err := s.Healthy(); err != nil {
			t.Fatalf("unhealthy after %d failures: %v", i, err)
		}
		_ = s.RunNow(context.Background(), "f")
	}
	if err := s.Healthy(); err == nil || !strings.Contains(err.Error(), "f (3 consecutive failures") {
		t.Fatalf("Healthy after 3 failures = %v", err)
	}
}

func TestStopCancelsAndWaits(t *testing.T) {
	s, _ := newTest(t, Options{})
	var scheduledErr, manualErr atomic.Value
	var scheduledDone, manualDone atomic.Bool
	started := make(chan struct{}, 1)
	if err := s.Register("sched", "fast 10ms", func(ctx context.Context) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		time.Sleep(100 * time.Millisecond) // finish the "transaction"
		scheduledErr.Store(ctx.Err())
		scheduledDone.Store(true)
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Register("manual", "@yearly", func(ctx context.Context) error {
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond)
		manualDone.Store(true)
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	go func() { manualErr.Store(s.RunNow(context.Background(), "manual")) }()
	<-started
	waitFor(t, 2*time.Second, "manual run", func() bool { return status(t, s, "manual").Running })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if !scheduledDone.Load() || !manualDone.Load() {
		t.Fatalf("Stop returned before jobs finished (scheduled=%v manual=%v)", scheduledDone.Load(), manualDone.Load())
	}
	if got := scheduledErr.Load(); got != context.Canceled {
		t.Fatalf("scheduled job ctx.Err() = %v, want context.Canceled", got)
	}
	waitFor(t, time.Second, "RunNow to return", func() bool { return manualErr.Load() != nil })
	if got := manualErr.Load().(error); !errors.Is(got, context.Canceled) {
		t.Fatalf("RunNow returned %v, want context.Canceled", got)
	}

	runs := status(t, s, "sched").Runs
	time.Sleep(100 * time.Millisecond)
	if st := status(t, s, "sched"); st.Runs != runs || st.Running || !st.Next.IsZero() {
		t.Fatalf("scheduling continued after Stop: %+v (runs before %d)", st, runs)
	}
	if err := s.RunNow(context.Background(), "manual"); !errors.Is(err, ErrStopped) {
		t.Fatalf("RunNow after Stop = %v, want ErrStopped", err)
	}
}

func TestStopDeadlineWithStubbornJob(t *testing.T) {
	s, _ := newTest(t, Options{})
	release := make(chan struct{})
	running := make(chan struct{})
	if err := s.Register("stubborn", "@yearly", func(ctx context.Context) error {
		close(running)
		<-release // ignores ctx
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- s.RunNow(context.Background(), "stubborn") }()
	<-running

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want context.DeadlineExceeded", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Stop took %v despite a 100ms deadline", el)
	}
	if !status(t, s, "stubborn").Running {
		t.Fatal("job should still be running")
	}

	close(release)
	if err := <-runErr; err != nil {
		t.Fatalf("RunNow = %v", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if err := s.Stop(ctx2); err != nil {
		t.Fatalf("second Stop = %v", err)
	}
}

func TestMetrics(t *testing.T) {
	s, reg := newTest(t, Options{})
	var fail atomic.Bool
	if err := s.Register("sync", "@yearly", func(context.Context) error {
		if fail.Load() {
			return errors.New("nope")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Series exist (as zero) before the first run.
	if n := testutil.CollectAndCount(s.m.runs); n != 4 {
		t.Fatalf("runs_total series before first run = %d, want 4", n)
	}
	ctx := context.Background()
	before := time.Now()
	_ = s.RunNow(ctx, "sync")
	fail.Store(true)
	_ = s.RunNow(ctx, "sync")
	_ = s.RunNow(ctx, "sync")

	const want = `
# HELP cohortd_job_runs_total Job runs by result (success, failure, panic, skipped).
# TYPE cohortd_job_runs_total counter
cohortd_job_runs_total{job="sync",result="failure"} 2
cohortd_job_runs_total{job="sync",result="panic"} 0
cohortd_job_runs_total{job="sync",result="skipped"} 0
cohortd_job_runs_total{job="sync",result="success"} 1
# HELP cohortd_job_consecutive_failures Failed runs since the job's last success.
# TYPE cohortd_job_consecutive_failures gauge
cohortd_job_consecutive_failures{job="sync"} 2
# HELP cohortd_job_running 1 while the job is running.
# TYPE cohortd_job_running gauge
cohortd_job_running{job="sync"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"cohortd_job_runs_total", "cohortd_job_consecutive_failures", "cohortd_job_running"); err != nil {
		t.Fatal(err)
	}
	last := testutil.ToFloat64(s.m.lastSuccess.WithLabelValues("sync"))
	if last < float64(before.Unix()) || last > float64(time.Now().Unix()+1) {
		t.Fatalf("last success timestamp %v not around %v", last, before.Unix())
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var count uint64
	for _, mf := range mfs {
		if mf.GetName() == "cohortd_job_duration_seconds" {
			for _, m := range mf.GetMetric() {
				count += m.GetHistogram().GetSampleCount()
			}
		}
	}
	if count != 3 {
		t.Fatalf("duration histogram sample count = %d, want 3", count)
	}

	// A second scheduler on the same registry is a registration error.
	if _, err := New(Options{Registerer: reg}); err == nil {
		t.Fatal("duplicate metric registration not reported")
	}
}

func TestLocationHonoured(t *testing.T) {
	loc := time.FixedZone("IST", 5*3600+30*60)
	s, _ := newTest(t, Options{Location: loc})
	if err := s.Register("nightly", "0 3 * * *", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		next := status(t, s, "nightly").Next
		if next.IsZero() {
			t.Fatalf("%s: Next is zero", when)
		}
		if h, m := next.In(loc).Hour(), next.In(loc).Minute(); h != 3 || m != 0 {
			t.Fatalf("%s: Next = %v, want 03:00 in %v", when, next, loc)
		}
		if h, m := next.UTC().Hour(), next.UTC().Minute(); h != 21 || m != 30 {
			t.Fatalf("%s: Next = %v, want 21:30 UTC", when, next.UTC())
		}
		if d := time.Until(next); d <= 0 || d > 24*time.Hour {
			t.Fatalf("%s: Next %v is not within the next 24h", when, next)
		}
	}
	check("before Start")
	s.Start(context.Background())
	check("after Start")
}

func TestCronLoggerAdapter(t *testing.T) {
	var buf bytes.Buffer
	l := NewCronLogger(zerolog.New(&buf).Level(zerolog.DebugLevel))
	l.Info("schedule", "entry", 3, "next", "soon", "odd")
	l.Error(errors.New("bad"), "panic", "stack", "...")
	out := buf.String()
	for _, want := range []string{
		`{"level":"debug","entry":3,"next":"soon","!BADKEY":"odd","message":"cron: schedule"}`,
		`{"level":"error","error":"bad","stack":"...","message":"cron: panic"}`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	buf.Reset()
	NewCronLogger(zerolog.New(&buf).Level(zerolog.InfoLevel)).Info("wake")
	if buf.Len() != 0 {
		t.Fatalf("cron info logged at info level: %s", buf.String())
	}
}
