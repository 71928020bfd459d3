package webhook

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/sync/server"
)

// The crash test re-runs the test binary as the receiving daemon.
const (
	crashHelperEnv = "COHORTD_WEBHOOK_CRASH_HELPER"
	crashPathEnv   = "COHORTD_WEBHOOK_CRASH_PATH"
)

// TestCrashHelper runs only in the child started by
// TestCrashKeepsEveryAcknowledgedWebhook: a receiver over a real (fsync'd)
// store on loopback, plus a consumer that prints "CONSUMED <event id>" for
// every entry it processes before marking it done. It serves until killed.
func TestCrashHelper(t *testing.T) {
	if os.Getenv(crashHelperEnv) != "1" {
		t.Skip("helper process for TestCrashKeepsEveryAcknowledgedWebhook")
	}
	fail := func(err error) {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	st, err := store.Open(os.Getenv(crashPathEnv), store.Options{})
	if err != nil {
		fail(err)
	}
	in, err := OpenInbox(st, InboxOptions{})
	if err != nil {
		fail(err)
	}
	rc, err := NewReceiver(in, Options{})
	if err != nil {
		fail(err)
	}
	if err := rc.Register("shopify", "s1", shopifySource{secrets: [][]byte{secretA}}); err != nil {
		fail(err)
	}
	srv := server.New(server.Options{Listen: "127.0.0.1:0", Logger: zerolog.Nop()})
	rc.Mount(srv)
	if err := srv.Listen(); err != nil {
		fail(err)
	}
	go func() {
		err := in.Consume(context.Background(), 50, func(_ context.Context, envs []Envelope) error {
			var b strings.Builder
			for _, e := range envs {
				b.WriteString("CONSUMED " + e.EventID + "\n")
			}
			_, err := os.Stdout.WriteString(b.String()) // one write(2): lines do not interleave
			time.Sleep(2 * time.Millisecond)            // a slow consumer: the inbox holds a backlog
			return err
		})
		fail(fmt.Errorf("consumer stopped: %w", err))
	}()
	fmt.Println("URL http://" + srv.Addr().String())
	if err := srv.Serve(); err != nil {
		fail(err)
	}
}

func TestCrashKeepsEveryAcknowledgedWebhook(t *testing.T) {
	t.Parallel()
	path := store.DefaultPath(t.TempDir())
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashHelperEnv+"=1", crashPathEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	urlc := make(chan string, 1)
	var (
		mu       sync.Mutex
		consumed = map[string]int{}
		childErr []string
	)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "URL "):
				urlc <- strings.TrimPrefix(line, "URL ")
			case strings.HasPrefix(line, "CONSUMED "):
				mu.Lock()
				consumed[strings.TrimPrefix(line, "CONSUMED ")]++
				mu.Unlock()
			case strings.HasPrefix(line, "ERR"):
				mu.Lock()
				childErr = append(childErr, line)
				mu.Unlock()
			}
		}
	}()
	var base string
	select {
	case base = <-urlc:
	case <-time.After(10 * time.Second):
		t.Fatalf("child did not start; stderr:\n%s", stderr.String())
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	var (
		ackMu  sync.Mutex
		acked  = map[string][]byte{} // event id -> body, for every 200
		nAcks  int
		stop   = make(chan struct{})
		wg     sync.WaitGroup
		bodyOf = func(g, i int) []byte {
			return fmt.Appendf(nil, `{"id":%d,"g":%d,"pad":"%s"}`, i, g, strings.Repeat("x", 1500))
		}
	)
	for g := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id, body := fmt.Sprintf("crash-%02d-%06d", g, i), bodyOf(g, i)
				if i%10 == 9 { // a platform retry of an earlier delivery
					id, body = fmt.Sprintf("crash-%02d-%06d", g, i-5), bodyOf(g, i-5)
				}
				req := delivery{topic: "orders/create", eventID: id, body: body, secret: secretA}.request(t, base)
				resp, err := client.Do(req)
				if err != nil {
					return // the child is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ackMu.Lock()
					acked[id] = body
					nAcks++
					ackMu.Unlock()
				}
			}
		}()
	}
	// Kill mid-load: after 1500 acknowledgements or 3s, whichever first.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		ackMu.Lock()
		n := nAcks
		ackMu.Unlock()
		if n >= 1500 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	<-readerDone
	if len(childErr) > 0 {
		t.Fatalf("child: %v\nstderr:\n%s", childErr, stderr.String())
	}
	if len(acked) < 200 {
		t.Fatalf("only %d events acknowledged before the kill; stderr:\n%s", len(acked), stderr.String())
	}

	if _, err := store.VerifyFile(path); err != nil {
		t.Fatalf("consistency check after SIGKILL: %v", err)
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in, err := OpenInbox(st, InboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	inInbox := map[string]int{}
	var pending []Envelope
	if in.Depth() > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		pending, err = in.Next(ctx, 1<<20)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(pending) != in.Depth() {
		t.Fatalf("Next returned %d entries, depth %d", len(pending), in.Depth())
	}
	for _, e := range pending {
		inInbox[e.EventID]++
		if want, ok := acked[e.EventID]; ok && !bytes.Equal(e.Body, want) {
			t.Errorf("%s: stored body differs from the acknowledged one", e.EventID)
		}
	}
	for id, n := range inInbox {
		if n > 1 {
			t.Errorf("%s is in the inbox %d times", id, n)
		}
	}
	for id, n := range consumed {
		if n > 1 {
			t.Errorf("%s was consumed %d times in one run", id, n)
		}
	}
	lost, redeliver := 0, 0
	for id := range acked {
		switch {
		case inInbox[id] == 1 && consumed[id] == 1:
			redeliver++ // killed between processing and Done: at-least-once
		case inInbox[id] == 1, consumed[id] == 1:
		default:
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged event %s is neither in the inbox nor consumed", id)
			}
		}
		// Every acknowledged id is in the dedupe index (a retry is not stored again).
		if _, dup, err := in.Append(context.Background(), Envelope{Platform: "shopify", Store: "s1", EventID: id, Body: []byte("{}")}); err != nil || !dup {
			t.Errorf("acknowledged %s: retry dup=%v err=%v, want duplicate", id, dup, err)
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged webhooks lost", lost, len(acked))
	}
	t.Logf("killed after %d acks (%d distinct events): %d consumed, %d still in the inbox, %d to be redelivered",
		nAcks, len(acked), len(consumed), len(pending), redeliver)
}
