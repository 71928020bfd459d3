package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Child processes: the test binary re-runs itself with one of these helper
// tests selected and helperEnv set.
const (
	helperEnv     = "COHORTD_STORE_TEST_HELPER"
	helperPathEnv = "COHORTD_STORE_TEST_PATH"
)

func helperCmd(t *testing.T, test, mode, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperPathEnv+"="+path)
	return cmd
}

func crashValue(key string) []byte {
	return bytes.Repeat([]byte(key+"|"), 200/(len(key)+1)+1)[:200]
}

// TestCrashHelper runs only in a child started by
// TestCrashKeepsAcknowledgedWrites: it writes until it is killed, printing
// "ACK <key>" only after Put returned nil.
func TestCrashHelper(t *testing.T) {
	if os.Getenv(helperEnv) != "crash" {
		t.Skip("helper process for TestCrashKeepsAcknowledgedWrites")
	}
	s, err := Open(os.Getenv(helperPathEnv), Options{})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				key := fmt.Sprintf("g%02d-%07d", g, i)
				if err := s.Put(context.Background(), Inbox, []byte(key), crashValue(key)); err != nil {
					fmt.Println("ERR", err)
					os.Exit(3)
				}
				// One write(2) per line: lines from goroutines do not interleave.
				os.Stdout.WriteString("ACK " + key + "\n")
			}
		}()
	}
	wg.Wait()
}

func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	path := DefaultPath(t.TempDir())
	cmd := helperCmd(t, "TestCrashHelper", "crash", path)
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

	acks := make(chan string, 1024)
	go func() {
		defer close(acks)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if k, ok := strings.CutPrefix(line, "ACK "); ok {
				acks <- k
			} else if strings.HasPrefix(line, "ERR") {
				acks <- line
			}
		}
	}()

	var acked []string
	deadline := time.After(3 * time.Second)
	// Kill mid-burst: after 2000 acknowledgements or 3s, whichever first.
collect:
	for len(acked) < 2000 {
		select {
		case k, ok := <-acks:
			if !ok {
				t.Fatalf("child exited early; stderr:\n%s", stderr.String())
			}
			if strings.HasPrefix(k, "ERR") {
				t.Fatalf("child: %s", k)
			}
			acked = append(acked, k)
		case <-deadline:
			break collect
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	_ = cmd.Wait()
	// Acks already in the pipe were acknowledged before the kill: keep them.
	for k := range acks {
		if !strings.HasPrefix(k, "ERR") {
			acked = append(acked, k)
		}
	}
	if len(acked) < 100 {
		t.Fatalf("only %d acknowledged writes before the kill; stderr:\n%s", len(acked), stderr.String())
	}

	sum, err := VerifyFile(path)
	if err != nil {
		t.Fatalf("consistency check after SIGKILL: %v", err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	missing := 0
	err = s.View(func(tx *Tx) error {
		for _, k := range acked {
			v := tx.Get(Inbox, []byte(k))
			if !bytes.Equal(v, crashValue(k)) {
				missing++
				if missing <= 5 {
					t.Errorf("acknowledged key %s: got %q", k, v)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", missing, len(acked))
	}
	t.Logf("killed after %d acks; file holds %d inbox keys, all acknowledged ones intact", len(acked), sum.Buckets[string(Inbox)])
}

// TestLockHelper runs only in a child started by
// TestSecondOpenFromOtherProcessFails: it tries to open the held file.
func TestLockHelper(t *testing.T) {
	if os.Getenv(helperEnv) != "lock" {
		t.Skip("helper process for TestSecondOpenFromOtherProcessFails")
	}
	start := time.Now()
	s, err := Open(os.Getenv(helperPathEnv), Options{})
	elapsed := time.Since(start)
	if err == nil {
		s.Close()
		fmt.Println("RESULT opened")
		return
	}
	fmt.Printf("RESULT is=%t ms=%d msg=%s\n", errors.Is(err, ErrInUse), elapsed.Milliseconds(), err)
}

func TestSecondOpenFromOtherProcessFails(t *testing.T) {
	t.Parallel()
	path := DefaultPath(t.TempDir())
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := helperCmd(t, "TestLockHelper", "lock", path).CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var result string
	for line := range strings.Lines(string(out)) {
		if r, ok := strings.CutPrefix(strings.TrimSpace(line), "RESULT "); ok {
			result = r
		}
	}
	var (
		is  bool
		ms  int64
		msg string
	)
	if _, err := fmt.Sscanf(result, "is=%t ms=%d", &is, &ms); err != nil {
		t.Fatalf("helper said %q (%v)\n%s", result, err, out)
	}
	_, msg, _ = strings.Cut(result, "msg=")
	if !is {
		t.Errorf("child error does not match ErrInUse: %s", msg)
	}
	if want := "open " + path + ": data file is in use by another cohortd process"; msg != want {
		t.Errorf("child message %q, want %q", msg, want)
	}
	if ms > 2500 {
		t.Errorf("child gave up after %dms, want < 2500ms", ms)
	}
}
