package shopifyfake

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// bulkOp is one bulk operation. Its fields are guarded by Fake.bulkMu.
type bulkOp struct {
	ID                     uint64
	Type                   string // QUERY or MUTATION
	Status                 string
	ErrorCode              string
	Query                  string
	CreatedAt, CompletedAt int64
	objects, roots, size   int64
	path, partial          string
	cancel                 context.CancelFunc
}

func (f *Fake) bulkByID(id uint64) *bulkOp {
	f.bulkMu.Lock()
	defer f.bulkMu.Unlock()
	for _, op := range f.bulkOps {
		if op.ID == id {
			return op
		}
	}
	return nil
}

func (f *Fake) currentBulk(typ string) *bulkOp {
	f.bulkMu.Lock()
	defer f.bulkMu.Unlock()
	for i := len(f.bulkOps) - 1; i >= 0; i-- {
		if f.bulkOps[i].Type == typ {
			return f.bulkOps[i]
		}
	}
	return nil
}

// BulkOperationCount is the number of bulk operations created so far.
func (f *Fake) BulkOperationCount() int {
	f.bulkMu.Lock()
	defer f.bulkMu.Unlock()
	return len(f.bulkOps)
}

type bulkObj struct{ op *bulkOp }

func (bulkObj) typeName() string { return "BulkOperation" }
func (b bulkObj) field(ec *execCtx, name string, _ map[string]any) any {
	f := ec.f
	f.bulkMu.Lock()
	op := *b.op
	f.bulkMu.Unlock()
	switch name {
	case "id":
		return gid("BulkOperation", op.ID)
	case "status":
		return op.Status
	case "type":
		return op.Type
	case "errorCode":
		return nullable(op.ErrorCode)
	case "objectCount":
		return strconv.FormatInt(op.objects, 10)
	case "rootObjectCount":
		return strconv.FormatInt(op.roots, 10)
	case "fileSize":
		if op.path == "" || op.Status != "COMPLETED" {
			return nil
		}
		return strconv.FormatInt(op.size, 10)
	case "url":
		if op.Status != "COMPLETED" || op.path == "" || op.objects == 0 {
			return nil
		}
		return f.signedURL(op.ID, "final")
	case "partialDataUrl":
		if op.partial == "" {
			return nil
		}
		return f.signedURL(op.ID, "partial")
	case "createdAt":
		return isoTime(op.CreatedAt)
	case "completedAt":
		return timeOrNil(op.CompletedAt)
	case "query":
		return op.Query
	}
	return unknownField
}

func invalidBulk(field, msg string) map[string]any {
	return map[string]any{"field": []string{field}, "message": msg, "code": "INVALID"}
}

// reserveBulk creates an operation unless one of the type is in progress.
func (f *Fake) reserveBulk(typ, query string) (*bulkOp, map[string]any) {
	f.bulkMu.Lock()
	defer f.bulkMu.Unlock()
	for _, op := range f.bulkOps {
		if op.Type == typ && (op.Status == "CREATED" || op.Status == "RUNNING" || op.Status == "CANCELING") {
			kind := "query"
			if typ == "MUTATION" {
				kind = "mutation"
			}
			return nil, map[string]any{"field": nil, "code": "OPERATION_IN_PROGRESS",
				"message": fmt.Sprintf("A bulk %s operation for this app and shop is already in progress: %s.", kind, gid("BulkOperation", op.ID))}
		}
	}
	op := &bulkOp{ID: 4000000000 + uint64(len(f.bulkOps)+1), Type: typ, Status: "CREATED", Query: query, CreatedAt: f.opts.Now().Unix()}
	f.bulkOps = append(f.bulkOps, op)
	f.bulkStarted.Add(1)
	return op, nil
}

// startBulkQuery validates a bulk query and starts exporting it in the background.
func (f *Fake) startBulkQuery(query string) (*bulkOp, map[string]any) {
	doc, errs := loadQuery(query)
	if len(errs) > 0 {
		return nil, invalidBulk("query", "Invalid bulk query: "+errs[0].Message)
	}
	if len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Query {
		return nil, invalidBulk("query", "Invalid bulk query: a bulk query must be a single query operation")
	}
	var root *ast.Field
	for _, s := range doc.Operations[0].SelectionSet {
		if fld, ok := s.(*ast.Field); ok {
			if root != nil {
				return nil, invalidBulk("query", "Bulk queries must contain exactly one top level field.")
			}
			root = fld
		}
	}
	if root == nil || (root.Name != "customers" && root.Name != "orders") {
		return nil, invalidBulk("query", "Bulk queries must contain at least one connection; the fake exports customers or orders.")
	}
	args := root.ArgumentMap(nil)
	p, ferr := parsePageArgs(args, true)
	if ferr != nil {
		return nil, invalidBulk("query", "Invalid bulk query: "+ferr.msg)
	}
	op, uerr := f.reserveBulk("QUERY", query)
	if uerr != nil {
		return nil, uerr
	}
	ctx, cancel := context.WithCancel(f.ctx)
	op.cancel = cancel
	failAt := f.faults.bulkFailure(f)
	delay := f.faults.bulkDelay(f)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer cancel()
		f.setBulk(op, func(o *bulkOp) { o.Status = "RUNNING" })
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
		f.runBulkQuery(ctx, op, root, p, failAt)
	}()
	return op, nil
}

func (f *Fake) setBulk(op *bulkOp, fn func(*bulkOp)) {
	f.bulkMu.Lock()
	fn(op)
	f.bulkMu.Unlock()
}

// runBulkQuery streams the export to a file, a chunk of root nodes per read lock.
func (f *Fake) runBulkQuery(ctx context.Context, op *bulkOp, root *ast.Field, p pageArgs, failAt int64) {
	f.setBulk(op, func(o *bulkOp) { o.Status = "RUNNING" })
	path := filepath.Join(f.dir, fmt.Sprintf("bulk-%d.jsonl", op.ID))
	file, err := os.Create(path)
	if err != nil {
		f.finishBulk(op, "FAILED", "INTERNAL_SERVER_ERROR", "", "")
		f.log.Error().Err(err).Msg("bulk output")
		return
	}
	defer file.Close()
	w := bufio.NewWriterSize(file, 1<<20)

	// Snapshot the positions in export order; records are never moved, only appended.
	f.rlockSorted()
	var l lister
	mk := func(pos int) object { return custObj{pos} }
	if root.Name == "customers" {
		l = f.data.customerLister()
	} else {
		l = f.data.orderLister()
		mk = func(pos int) object { return ordObj{pos} }
	}
	var positions []int32
	l.page(&p, func(pos int, _ string) bool { positions = append(positions, int32(pos)); return true })
	f.mu.RUnlock()

	sel := bulkNodeSelection(root.SelectionSet)
	ec := &execCtx{f: f, bulk: &bulkLines{}}
	var objects, roots, size int64
	buf := make([]byte, 0, 256<<10)
	const chunk = 512
	for start := 0; start < len(positions); start += chunk {
		if ctx.Err() != nil {
			_ = w.Flush()
			f.finishBulk(op, "CANCELED", "", "", "")
			return
		}
		end := min(start+chunk, len(positions))
		buf = buf[:0]
		f.mu.RLock()
		for _, pos := range positions[start:end] {
			var n int64
			buf, n = ec.bulkLine(buf, mk(int(pos)), sel, "")
			objects += n
			roots++
			if failAt > 0 && roots >= failAt {
				break
			}
		}
		f.mu.RUnlock()
		if _, err := w.Write(buf); err != nil {
			f.finishBulk(op, "FAILED", "INTERNAL_SERVER_ERROR", "", "")
			return
		}
		size += int64(len(buf))
		f.setBulk(op, func(o *bulkOp) { o.objects, o.roots = objects, roots })
		if failAt > 0 && roots >= failAt {
			_ = w.Flush()
			f.finishBulk(op, "FAILED", "INTERNAL_SERVER_ERROR", "", path)
			return
		}
	}
	if err := w.Flush(); err != nil {
		f.finishBulk(op, "FAILED", "INTERNAL_SERVER_ERROR", "", "")
		return
	}
	f.setBulk(op, func(o *bulkOp) { o.size = size })
	f.finishBulk(op, "COMPLETED", "", path, "")
}

// bulkLine writes one node and, after it, the lines of its nested connections.
func (ec *execCtx) bulkLine(b []byte, o object, sel ast.SelectionSet, parentID string) ([]byte, int64) {
	saved := ec.bulk.pending
	ec.bulk.pending = nil
	b = ec.writeObject(b, o, sel, nil, parentID)
	b = append(b, '\n')
	pend := ec.bulk.pending
	ec.bulk.pending = saved
	n := int64(1)
	if len(pend) == 0 {
		return b, n
	}
	id, _ := o.field(ec, "id", nil).(string)
	for _, pc := range pend {
		for _, child := range pc.conn.nodes {
			var k int64
			b, k = ec.bulkLine(b, child, pc.sel, id)
			n += k
		}
	}
	return b, n
}

func (f *Fake) finishBulk(op *bulkOp, status, code, path, partial string) {
	now := f.opts.Now().Unix()
	var snap bulkOp
	f.setBulk(op, func(o *bulkOp) {
		o.Status, o.ErrorCode, o.path, o.partial = status, code, path, partial
		o.CompletedAt = now
		if status == "FAILED" {
			o.size = 0
		}
		snap = *o
	})
	payload, _ := json.Marshal(map[string]any{
		"admin_graphql_api_id": gid("BulkOperation", snap.ID),
		"completed_at":         isoTime(now),
		"created_at":           isoTime(snap.CreatedAt),
		"error_code":           nullableLower(snap.ErrorCode),
		"status":               strings.ToLower(snap.Status),
		"type":                 strings.ToLower(snap.Type),
	})
	f.hooks.emit("bulk_operations/finish", payload)
}

func nullableLower(s string) any {
	if s == "" {
		return nil
	}
	return strings.ToLower(s)
}

// cancelBulk cancels a created or running operation.
func (f *Fake) cancelBulk(id string) (*bulkOp, map[string]any) {
	kind, n, ok := parseGID(id)
	if !ok || kind != "BulkOperation" {
		return nil, map[string]any{"field": []string{"id"}, "message": "Bulk operation does not exist"}
	}
	op := f.bulkByID(n)
	if op == nil {
		return nil, map[string]any{"field": []string{"id"}, "message": "Bulk operation does not exist"}
	}
	f.bulkMu.Lock()
	defer f.bulkMu.Unlock()
	switch op.Status {
	case "CREATED", "RUNNING":
		op.Status = "CANCELING"
		if op.cancel != nil {
			op.cancel()
		}
		return op, nil
	}
	return op, map[string]any{"field": nil, "message": "A bulk operation cannot be canceled when it is " + strings.ToLower(op.Status)}
}

// WaitBulk blocks until the operation leaves CREATED/RUNNING/CANCELING or ctx ends, and
// returns its final status (tests and the demo).
func (f *Fake) WaitBulk(ctx context.Context, id uint64) (string, error) {
	for {
		op := f.bulkByID(id)
		if op == nil {
			return "", fmt.Errorf("shopifyfake: bulk operation %d: %w", id, errNotFound)
		}
		f.bulkMu.Lock()
		st := op.Status
		f.bulkMu.Unlock()
		switch st {
		case "COMPLETED", "FAILED", "CANCELED", "EXPIRED":
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-timeAfter(5):
		}
	}
}
