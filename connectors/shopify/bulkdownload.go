package shopify

// Bulk result files are JSON Lines: one object per line, roots in query order, each nested
// connection's objects as separate lines carrying "__parentId" and following their parent.
// DownloadBulk relies on that order to hand out one root with its children at a time, so
// memory holds one root group, never the file.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
)

// Root is one root object of a bulk result with the lines that name it (or one of its
// children) as __parentId.
type Root struct {
	// Line is the 1-based line number of the root's last line: the checkpoint to give back as
	// skipLines to resume after this root.
	Line     int64
	Object   json.RawMessage
	Children []json.RawMessage
}

// Summary describes one DownloadBulk call.
type Summary struct {
	Lines     int64 // lines in the file (roots and children, skipped ones included)
	Roots     int64 // roots in the file
	Delivered int64 // roots handed to fn
	Skipped   int64 // roots skipped because they ended at or before skipLines
	Partial   bool  // read from partialDataUrl: no line count to check against
	Refreshed bool  // the URL had expired and was read again from the operation
	Attempts  int   // passes over the file (1 unless a download broke and was resumed)
}

// storageError is a non-2xx answer of the result file's storage.
type storageError struct{ status int }

func (e *storageError) Error() string {
	return fmt.Sprintf("shopify: bulk file: storage answered HTTP %d", e.status)
}

func (e *storageError) expired() bool {
	return e.status == http.StatusBadRequest || e.status == http.StatusForbidden || e.status == http.StatusNotFound
}

// errTruncated marks a file that ended in the middle of a line.
var errTruncated = errors.New("shopify: bulk file truncated mid-line")

// fnError wraps the caller's error so it is never retried.
type fnError struct{ err error }

func (e *fnError) Error() string { return e.err.Error() }
func (e *fnError) Unwrap() error { return e.err }

// DownloadBulk streams the operation's result file (op.URL; op.PartialDataURL for a FAILED
// operation, then Summary.Partial is set) and calls fn once per root, in file order, with its
// children. Roots whose last line is at or before skipLines are skipped (resume from a
// checkpoint, Root.Line). A bulk query's file must have exactly op.ObjectCount lines: anything
// else returns ErrShortfall. A broken or truncated download is resumed from the last root fn
// accepted (up to Options.MaxAttempts passes); an expired URL (storage 400/403/404) makes it
// read the operation again once for a fresh URL. An error from fn stops the download and is
// returned as is (wrapped).
func (c *Client) DownloadBulk(ctx context.Context, op BulkOperation, skipLines int64, fn func(Root) error) (Summary, error) {
	var sum Summary
	url := op.URL
	if url == "" && op.PartialDataURL != "" {
		url, sum.Partial = op.PartialDataURL, true
	}
	if url == "" {
		if op.Status == BulkCompleted && op.ObjectCount == 0 {
			return sum, nil // Shopify gives no file for an empty result
		}
		return sum, fmt.Errorf("shopify: bulk operation %s (%s) has no result URL", op.ID, op.Status)
	}
	done := skipLines
	failures := 0
	for {
		sum.Attempts++
		pass, err := c.downloadPass(ctx, url, done, fn)
		sum.Delivered += pass.Delivered
		done = max(done, pass.lastDelivered)
		if err == nil {
			sum.Lines, sum.Roots, sum.Skipped = pass.Lines, pass.Roots, pass.Roots-sum.Delivered
			if !sum.Partial && op.Type != "MUTATION" && sum.Lines != int64(op.ObjectCount) {
				return sum, fmt.Errorf("%w: operation %s: %d lines received, objectCount %d", ErrShortfall, op.ID, sum.Lines, op.ObjectCount)
			}
			return sum, nil
		}
		var fe *fnError
		var se *storageError
		switch {
		case ctx.Err() != nil:
			return sum, fmt.Errorf("shopify: download bulk %s: %w", op.ID, ctx.Err())
		case errors.As(err, &fe):
			return sum, fmt.Errorf("shopify: download bulk %s at line %d: %w", op.ID, pass.Lines, fe.err)
		case errors.As(err, &se) && se.expired():
			if sum.Refreshed || op.ID == "" {
				return sum, fmt.Errorf("shopify: download bulk %s: result URL refused even after refresh: %w", op.ID, err)
			}
			sum.Refreshed = true
			fresh, rerr := c.BulkOperation(ctx, op.ID)
			if rerr != nil {
				return sum, fmt.Errorf("shopify: download bulk %s: refresh expired URL: %w", op.ID, rerr)
			}
			url = fresh.URL
			if sum.Partial {
				url = fresh.PartialDataURL
			}
			if url == "" {
				return sum, fmt.Errorf("shopify: download bulk %s: refreshed operation has no URL (%s)", op.ID, fresh.Status)
			}
			c.log.Debug().Str("bulk", op.ID).Int64("resume_after_line", done).Msg("shopify: bulk URL expired, resuming with a fresh one")
		case isPermanentPass(err):
			return sum, fmt.Errorf("shopify: download bulk %s: %w", op.ID, err)
		default:
			failures++
			if failures >= c.opts.MaxAttempts {
				return sum, fmt.Errorf("shopify: download bulk %s: giving up after %d broken downloads (last after line %d): %w", op.ID, failures, pass.Lines, err)
			}
			c.log.Debug().Str("bulk", op.ID).Int64("resume_after_line", done).Str("error", err.Error()).Msg("shopify: bulk download broke, resuming")
			if err := sleepCtx(ctx, c.backoff(failures)); err != nil {
				return sum, fmt.Errorf("shopify: download bulk %s: %w", op.ID, err)
			}
		}
	}
}

// stitchError is a file whose lines do not form root groups: never retried.
type stitchError struct{ msg string }

func (e *stitchError) Error() string { return "shopify: bulk file: " + e.msg }

func isPermanentPass(err error) bool {
	var st *stitchError
	var se *storageError
	if errors.As(err, &st) {
		return true
	}
	if errors.As(err, &se) {
		return se.status < 500 && se.status != http.StatusTooManyRequests && se.status != http.StatusRequestTimeout
	}
	return false
}

type passResult struct {
	Lines, Roots, Delivered int64
	lastDelivered           int64
}

// downloadPass reads the file once from its first line.
func (c *Client) downloadPass(ctx context.Context, url string, skip int64, fn func(Root) error) (passResult, error) {
	var res passResult
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return res, &stitchError{msg: "bad result URL: " + err.Error()}
	}
	resp, err := c.download.Do(req)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return res, &storageError{status: resp.StatusCode}
	}
	r := bufio.NewReaderSize(resp.Body, 256<<10)
	var (
		lines   lineArena
		cur     *Root
		curIDs  [][]byte // the ids of cur and its children, which later lines may name as parent
		lineBuf []byte
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		root := *cur
		cur = nil
		res.Roots++
		if root.Line <= skip {
			return nil
		}
		if err := fn(root); err != nil {
			return &fnError{err: err}
		}
		res.Delivered++
		res.lastDelivered = root.Line
		return nil
	}
	// stitch adds one line (kept in lines' arena) to the current root, or starts a new root.
	stitch := func(obj json.RawMessage, id, parent []byte) error {
		if len(parent) == 0 {
			if err := flush(); err != nil {
				return err
			}
			cur = &Root{Line: res.Lines, Object: obj}
			curIDs = curIDs[:0]
		} else {
			if cur == nil || !slices.ContainsFunc(curIDs, func(known []byte) bool { return bytes.Equal(known, parent) }) {
				return &stitchError{msg: fmt.Sprintf("line %d: child of %s does not follow its parent", res.Lines, parent)}
			}
			cur.Children = append(cur.Children, obj)
			cur.Line = res.Lines
		}
		if len(id) > 0 {
			curIDs = append(curIDs, id)
		}
		return nil
	}
	for {
		line, rerr := readLine(r, c.opts.MaxLineBytes, lineBuf[:0])
		lineBuf = line
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return res, rerr
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) > 0 {
			// A line with its newline is read by quickHead when it can; the last line, which
			// may have been cut short, and any other layout are checked whole by lineHead.
			var obj json.RawMessage
			var id, parent []byte
			if idSpan, parentSpan, ok := quickHead(line); ok && rerr == nil {
				obj = lines.keep(line)
				id, parent = obj[idSpan.start:idSpan.end], obj[parentSpan.start:parentSpan.end]
			} else {
				sid, sparent, err := lineHead(line)
				if err != nil {
					if errors.Is(rerr, io.EOF) {
						return res, errTruncated
					}
					return res, &stitchError{msg: fmt.Sprintf("line %d is not a JSON object: %v", res.Lines+1, err)}
				}
				obj, id, parent = lines.keep(line), []byte(sid), []byte(sparent)
			}
			res.Lines++
			if err := stitch(obj, id, parent); err != nil {
				return res, err
			}
		}
		if errors.Is(rerr, io.EOF) {
			return res, flush()
		}
	}
}

// readLine reads one line (with its '\n') into buf, refusing lines longer than max.
func readLine(r *bufio.Reader, maxLen int, buf []byte) ([]byte, error) {
	for {
		frag, err := r.ReadSlice('\n')
		buf = append(buf, frag...)
		if len(buf) > maxLen {
			return buf, &stitchError{msg: fmt.Sprintf("line longer than %d bytes", maxLen)}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, err
	}
}

// lineChunk is the size of the chunks a lineArena copies lines into.
const lineChunk = 256 << 10

// lineArena copies a download's lines into shared chunks rather than one allocation each (9M
// lines for a million orders): a chunk is freed once the roots holding its lines are done
// with, and the roots are handed on in small batches.
type lineArena struct{ chunk []byte }

// keep returns a copy of line; its capacity ends with it, so that an append to it copies.
func (a *lineArena) keep(line []byte) json.RawMessage {
	if len(line) > cap(a.chunk)-len(a.chunk) {
		a.chunk = make([]byte, 0, max(lineChunk, len(line)))
	}
	off := len(a.chunk)
	a.chunk = append(a.chunk, line...)
	return json.RawMessage(a.chunk[off:len(a.chunk):len(a.chunk)])
}
