package shopifyfake

import (
	"strings"
)

// mutate resolves one root Mutation field. It takes the locks it needs itself and returns
// a payload that the caller projects under the read lock.
func (f *Fake) mutate(ec *execCtx, name string, args map[string]any) any {
	switch name {
	case "tagsAdd", "tagsRemove":
		typ := "TagsAddPayload"
		if name == "tagsRemove" {
			typ = "TagsRemovePayload"
		}
		i, uerr := f.changeTags(argString(args, "id"), argStrings(args, "tags"), name == "tagsAdd")
		p := map[string]any{"node": nil, "userErrors": []object{}}
		if uerr != nil {
			p["userErrors"] = userErrors("UserError", uerr)
		} else {
			p["node"] = custObj{i}
		}
		return mapObj{typ: typ, m: p}
	case "bulkOperationRunQuery":
		op, uerr := f.startBulkQuery(argString(args, "query"))
		return bulkPayload("BulkOperationRunQueryPayload", op, uerr)
	case "bulkOperationRunMutation":
		op, uerr := f.startBulkMutation(argString(args, "mutation"), argString(args, "stagedUploadPath"))
		return bulkPayload("BulkOperationRunMutationPayload", op, uerr)
	case "bulkOperationCancel":
		op, uerr := f.cancelBulk(argString(args, "id"))
		return bulkPayload("BulkOperationCancelPayload", op, uerr)
	case "stagedUploadsCreate":
		return f.stagedUploadsCreate(args)
	case "webhookSubscriptionCreate":
		return f.hooks.create(args)
	case "webhookSubscriptionDelete":
		return f.hooks.remove(argString(args, "id"))
	}
	return unknownField
}

func bulkPayload(typ string, op *bulkOp, uerr map[string]any) any {
	p := map[string]any{"bulkOperation": nil, "userErrors": []object{}}
	if op != nil {
		p["bulkOperation"] = bulkObj{op}
	}
	if uerr != nil {
		p["userErrors"] = userErrors("BulkOperationUserError", uerr)
	}
	return mapObj{typ: typ, m: p}
}

// normalizeTags splits comma lists and trims, like Shopify's tag input.
func normalizeTags(in []string) []string {
	var out []string
	for _, t := range in {
		for _, p := range strings.Split(t, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// addTags appends tags missing case-insensitively, keeping existing order and spelling.
func addTags(have, add []string) ([]string, bool) {
	changed := false
	for _, t := range normalizeTags(add) {
		dup := false
		for _, h := range have {
			if strings.EqualFold(h, t) {
				dup = true
				break
			}
		}
		if !dup {
			have = append(have, t)
			changed = true
		}
	}
	return have, changed
}

// removeTags drops tags matching case-insensitively.
func removeTags(have, rm []string) ([]string, bool) {
	rm = normalizeTags(rm)
	out := have[:0:0]
	for _, h := range have {
		keep := true
		for _, t := range rm {
			if strings.EqualFold(h, t) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, h)
		}
	}
	return out, len(out) != len(have)
}

// changeTags applies tagsAdd/tagsRemove to a customer and emits customers/update when the
// tags changed (the echo a real store sends).
func (f *Fake) changeTags(id string, tags []string, add bool) (int, map[string]any) {
	kind, n, ok := parseGID(id)
	if !ok || kind != "Customer" {
		if ok && kind == "Order" {
			return -1, map[string]any{"field": []string{"id"}, "message": "The fake models tags on customers only"}
		}
		return -1, map[string]any{"field": []string{"id"}, "message": "Invalid global id '" + id + "'"}
	}
	if len(normalizeTags(tags)) == 0 {
		return -1, map[string]any{"field": []string{"tags"}, "message": "Tags can't be blank"}
	}
	f.mu.Lock()
	i := f.data.customerIndex(n)
	if i < 0 {
		f.mu.Unlock()
		return -1, map[string]any{"field": []string{"id"}, "message": "Customer does not exist"}
	}
	c := &f.data.customers[i]
	var changed bool
	if add {
		c.Tags, changed = addTags(append([]string(nil), c.Tags...), tags)
	} else {
		c.Tags, changed = removeTags(c.Tags, tags)
	}
	var payload []byte
	if changed {
		c.UpdatedAt = max(f.opts.Now().Unix(), c.UpdatedAt)
		f.data.custDirty = true
		payload = f.restCustomer(i)
	}
	f.mu.Unlock()
	if changed {
		f.tagWrites.Add(1)
		f.hooks.emit("customers/update", payload)
	}
	return i, nil
}

// CustomerTags returns a customer's current tags (nil when unknown).
func (f *Fake) CustomerTags(id uint64) []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if i := f.data.customerIndex(id); i >= 0 {
		return append([]string{}, f.data.customers[i].Tags...)
	}
	return nil
}
