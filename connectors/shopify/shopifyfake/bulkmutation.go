package shopifyfake

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

func timeAfter(ms int) <-chan time.Time { return time.After(time.Duration(ms) * time.Millisecond) }

// startBulkMutation validates the mutation, finds the staged JSONL and runs it in the
// background, once per line, without charging the cost bucket (like Shopify).
func (f *Fake) startBulkMutation(mutation, stagedPath string) (*bulkOp, map[string]any) {
	doc, errs := loadQuery(mutation)
	if len(errs) > 0 {
		return nil, invalidBulk("mutation", "Invalid bulk mutation: "+errs[0].Message)
	}
	if len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Mutation {
		return nil, invalidBulk("mutation", "Invalid bulk mutation: a single mutation operation is required")
	}
	f.bulkMu.Lock()
	file, ok := f.staged[stagedPath]
	f.bulkMu.Unlock()
	if !ok || file == "" {
		return nil, invalidBulk("staged_upload_path", "The JSONL file could not be found. Try uploading the file again, and check that you've entered the URL correctly for the stagedUploadPath mutation argument.")
	}
	op, uerr := f.reserveBulk("MUTATION", mutation)
	if uerr != nil {
		return nil, uerr
	}
	ctx, cancel := context.WithCancel(f.ctx)
	op.cancel = cancel
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer cancel()
		f.runBulkMutation(ctx, op, doc.Operations[0], file)
	}()
	return op, nil
}

func (f *Fake) runBulkMutation(ctx context.Context, op *bulkOp, mop *ast.OperationDefinition, input string) {
	f.setBulk(op, func(o *bulkOp) { o.Status = "RUNNING" })
	in, err := os.Open(input)
	if err != nil {
		f.finishBulk(op, "FAILED", "INTERNAL_SERVER_ERROR", "", "")
		return
	}
	defer in.Close()
	path := filepath.Join(f.dir, fmt.Sprintf("bulk-%d.jsonl", op.ID))
	out, err := os.Create(path)
	if err != nil {
		f.finishBulk(op, "FAILED", "INTERNAL_SERVER_ERROR", "", "")
		return
	}
	defer out.Close()
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var lines, size int64
	for line := 0; sc.Scan(); line++ {
		if ctx.Err() != nil {
			_ = w.Flush()
			f.finishBulk(op, "CANCELED", "", "", "")
			return
		}
		var b []byte
		var vars map[string]any
		if err := json.Unmarshal(sc.Bytes(), &vars); err != nil {
			b, _ = json.Marshal(map[string]any{"errors": []gqlError{{Message: "Invalid JSON on line: " + err.Error()}}})
		} else if cv, err := validator.VariableValues(adminSchema(), mop, vars); err != nil {
			b, _ = json.Marshal(map[string]any{"errors": []gqlError{{Message: err.Error()}}})
		} else {
			ec := &execCtx{f: f, vars: cv}
			data := f.runMutation(ec, mop.SelectionSet)
			b = append([]byte(`{"data":`), data...)
			if len(ec.errs) > 0 {
				e, _ := json.Marshal(ec.errs)
				b = append(append(b, `,"errors":`...), e...)
			}
			b = append(b, '}')
		}
		b = append(b[:len(b)-1], `,"__lineNumber":`...)
		b = strconv.AppendInt(b, int64(line), 10)
		b = append(b, "}\n"...)
		n, _ := w.Write(b)
		size += int64(n)
		lines++
		f.setBulk(op, func(o *bulkOp) { o.objects, o.roots = lines, lines })
	}
	if err := w.Flush(); err != nil || sc.Err() != nil {
		f.finishBulk(op, "FAILED", "INTERNAL_SERVER_ERROR", "", path)
		return
	}
	f.setBulk(op, func(o *bulkOp) { o.size = size })
	f.finishBulk(op, "COMPLETED", "", path, "")
}
