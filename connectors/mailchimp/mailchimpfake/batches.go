package mailchimpfake

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// opsPerResultFile is how many operation results go in one JSON file of the archive
// (Mailchimp splits large batches over several files, so clients must read them all).
const opsPerResultFile = 500

// batch is one POST /batches request and its progress.
type batch struct {
	id                   string
	status               string // pending, started, finished
	ops                  []operation
	finished, errored    int
	submitted, completed time.Time
	resultsName          string
}

// operation is one entry of a batch's operations array.
type operation struct {
	Method      string         `json:"method"`
	Path        string         `json:"path"`
	Params      map[string]any `json:"params"`
	Body        string         `json:"body"`
	OperationID string         `json:"operation_id"`
}

// opResult is one entry of a result file, as Mailchimp writes it: the operation's HTTP status,
// the client's operation_id and the response body as a JSON string.
type opResult struct {
	StatusCode  int    `json:"status_code"`
	OperationID string `json:"operation_id"`
	Response    string `json:"response"`
}

func (s *Server) batchJSON(b *batch) map[string]any {
	out := map[string]any{
		"id": b.id, "status": b.status, "total_operations": len(b.ops),
		"finished_operations": b.finished, "errored_operations": b.errored,
		"submitted_at": fmtTime(b.submitted), "response_body_url": "", "_links": []any{},
	}
	if b.status == "finished" {
		out["completed_at"] = fmtTime(b.completed)
		out["response_body_url"] = s.http.URL + resultsPrefix + b.resultsName
	}
	return out
}

func handlePostBatch(s *Server, c *call) response {
	var in struct {
		Operations []operation `json:"operations"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		return jsonParseError()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextBatch++
	b := &batch{
		id: fmt.Sprintf("%010x", s.nextBatch), status: "pending", ops: in.Operations,
		submitted: s.opts.Now(),
	}
	b.resultsName = b.id + "-response.tar.gz"
	select {
	case s.queue <- b:
	default:
		return problem(http.StatusTooManyRequests, "TooManyRequests", "You have too many pending batch operations.")
	}
	s.batches[b.id] = b
	s.stats.Batches++
	return jsonOK(http.StatusOK, s.batchJSON(b))
}

func handleGetBatch(s *Server, c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.batches[c.params["batch_id"]]
	if b == nil {
		return notFound()
	}
	return jsonOK(http.StatusOK, s.batchJSON(b))
}

// runBatches runs queued batches one at a time, as Mailchimp does per account.
func (s *Server) runBatches() {
	defer s.workerWG.Done()
	for {
		select {
		case <-s.stop:
			return
		case b := <-s.queue:
			if !s.runBatch(b) {
				return
			}
		}
	}
}

// runBatch runs every operation of b through the same routing, validation and handlers as a
// direct request, then stores the result archive. It returns false when the server stops.
func (s *Server) runBatch(b *batch) bool {
	s.mu.Lock()
	b.status = "started"
	s.mu.Unlock()
	results := make([]opResult, 0, len(b.ops))
	for _, op := range b.ops {
		select {
		case <-s.stop:
			return false
		default:
		}
		if s.opts.OperationDelay > 0 {
			time.Sleep(s.opts.OperationDelay)
		}
		resp := s.runOperation(op)
		results = append(results, opResult{StatusCode: resp.status, OperationID: op.OperationID, Response: string(resp.body)})
		s.mu.Lock()
		b.finished++
		if resp.status >= 400 {
			b.errored++
		}
		s.mu.Unlock()
	}
	archive, err := buildArchive(b.id, results)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.violations = append(s.violations, "fake: build result archive: "+err.Error())
	}
	s.results[b.resultsName] = archive
	b.status = "finished"
	b.completed = s.opts.Now()
	return true
}

func (s *Server) runOperation(op operation) response {
	s.mu.Lock()
	if len(s.opFaults) > 0 {
		f := s.opFaults[0]
		s.opFaults = s.opFaults[1:]
		s.stats.Injected++
		s.mu.Unlock()
		return f.response()
	}
	s.mu.Unlock()
	path := op.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	q := url.Values{}
	for k, v := range op.Params {
		switch x := v.(type) {
		case []any:
			parts := make([]string, len(x))
			for i, p := range x {
				parts[i] = fmt.Sprint(p)
			}
			q.Set(k, strings.Join(parts, ","))
		default:
			q.Set(k, fmt.Sprint(x))
		}
	}
	var body []byte
	if op.Body != "" {
		body = []byte(op.Body)
	}
	return s.serveAPI(strings.ToUpper(op.Method), specBase+path, q.Encode(), "application/json", body, false)
}

// buildArchive writes the results as Mailchimp does: a gzipped tar of JSON files, each an
// array of operation results.
func buildArchive(id string, results []opResult) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for n := 0; n*opsPerResultFile < len(results) || n == 0; n++ {
		end := min((n+1)*opsPerResultFile, len(results))
		data, err := json.Marshal(results[n*opsPerResultFile : end])
		if err != nil {
			return nil, fmt.Errorf("encode results: %w", err)
		}
		hdr := &tar.Header{Name: fmt.Sprintf("%s/%d.json", id, n), Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar header: %w", err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("tar write: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("tar close: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("gzip close: %w", err)
	}
	return buf.Bytes(), nil
}
