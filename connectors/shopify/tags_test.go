package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCustomerTagsChunksBy250(t *testing.T) {
	s := newTestShop(t)
	var sizes []int
	s.handle("CustomerTags", func(v map[string]any) answer {
		ids := v["ids"].([]any)
		sizes = append(sizes, len(ids))
		var nodes []string
		for _, id := range ids {
			if id == "gid://shopify/Customer/3" {
				nodes = append(nodes, "null") // deleted customer
				continue
			}
			nodes = append(nodes, fmt.Sprintf(`{"id":%q,"tags":["vip","cohort:x"]}`, id))
		}
		return ok(`{"nodes":[` + strings.Join(nodes, ",") + `]}`)
	})
	c := newTestClient(t, s)
	var gids []string
	for i := 1; i <= 501; i++ {
		gids = append(gids, fmt.Sprintf("gid://shopify/Customer/%d", i))
	}
	tags, err := c.CustomerTags(context.Background(), gids)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[250 250 1]" || len(tags) != 500 {
		t.Errorf("chunks %v, %d customers", sizes, len(tags))
	}
	if got := tags["gid://shopify/Customer/501"]; len(got) != 2 || got[1] != "cohort:x" {
		t.Errorf("tags = %v", got)
	}
	if _, ok := tags["gid://shopify/Customer/3"]; ok {
		t.Error("deleted customer present")
	}
}

// The bulk tag mutation end to end: staged upload target, multipart POST with the target's
// parameters first and the JSONL file last, the mutation run with the key as path, and the
// result file reported per line.
func TestBulkTagsStagedUploadAndResult(t *testing.T) {
	s := newTestShop(t)
	changes := []TagChange{
		{ID: "gid://shopify/Customer/1", Tags: []string{"cohort:vip"}},
		{ID: "gid://shopify/Customer/2", Tags: []string{"cohort:vip", "cohort:new"}},
		{ID: "gid://shopify/Customer/3", Tags: []string{"cohort:vip"}},
	}
	const key = "tmp/21759409/bulk/89e620e1-0252-43b0-8f3b-3b7075ba4a23/cohortd-tags-add.jsonl"
	var form []string
	var file string
	s.handle("StagedUploadsCreate", func(v map[string]any) answer {
		in := v["input"].([]any)[0].(map[string]any)
		if in["resource"] != "BULK_MUTATION_VARIABLES" || in["mimeType"] != "text/jsonl" || in["httpMethod"] != "POST" || in["filename"] != "cohortd-tags-add.jsonl" {
			t.Errorf("staged upload input = %v", in)
		}
		return ok(`{"stagedUploadsCreate":{"stagedTargets":[{"url":"` + s.srv.URL + `/staged/","resourceUrl":null,"parameters":[` +
			`{"name":"key","value":"` + key + `"},{"name":"Content-Type","value":"text/jsonl"},{"name":"success_action_status","value":"201"},` +
			`{"name":"acl","value":"private"},{"name":"policy","value":"eyJjb25kaXRpb25zIjpbXX0="},{"name":"x-goog-credential","value":"merchant-assets@shopify-tiers.iam.gserviceaccount.com/20260101/auto/storage/goog4_request"},` +
			`{"name":"x-goog-algorithm","value":"GOOG4-RSA-SHA256"},{"name":"x-goog-date","value":"20260101T000000Z"},{"name":"x-goog-signature","value":"abc123"}]}],"userErrors":[]}}`)
	})
	serveFile(s, map[string]func(http.ResponseWriter, *http.Request){
		"/staged/": func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.ContentLength <= 0 || r.Header.Get("X-Shopify-Access-Token") != "" {
				t.Errorf("upload: %s, length %d, token %q", r.Method, r.ContentLength, r.Header.Get("X-Shopify-Access-Token"))
			}
			mr, err := r.MultipartReader()
			if err != nil {
				t.Errorf("multipart: %v", err)
				return
			}
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Errorf("part: %v", err)
					return
				}
				b, _ := io.ReadAll(p)
				if p.FormName() == "file" {
					file = string(b)
					if p.FileName() != "cohortd-tags-add.jsonl" {
						t.Errorf("file name %q", p.FileName())
					}
				}
				form = append(form, p.FormName())
			}
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `<?xml version='1.0' encoding='UTF-8'?><PostResponse><Key>`+key+`</Key></PostResponse>`)
		},
		"/result.jsonl": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"data":{"tagsAdd":{"node":{"id":"gid://shopify/Customer/1"},"userErrors":[]}},"__lineNumber":0}`+"\n"+
				`{"data":{"tagsAdd":{"node":null,"userErrors":[{"field":["id"],"message":"Customer does not exist"}]}},"__lineNumber":1}`+"\n"+
				`{"data":{"tagsAdd":{"node":{"id":"gid://shopify/Customer/3"},"userErrors":[]}},"__lineNumber":2}`+"\n")
		},
	})
	s.handle("BulkRunMutation", func(v map[string]any) answer {
		if v["stagedUploadPath"] != key || v["mutation"] != BulkTagsAdd {
			t.Errorf("run mutation vars = %v", v)
		}
		return ok(`{"bulkOperationRunMutation":{"bulkOperation":{"id":"gid://shopify/BulkOperation/77","status":"CREATED"},"userErrors":[]}}`)
	})
	s.handle("BulkOperation", func(map[string]any) answer {
		return ok(`{"node":{"id":"gid://shopify/BulkOperation/77","status":"COMPLETED","type":"MUTATION","errorCode":null,"objectCount":"3","rootObjectCount":"3","fileSize":"312","url":"` + s.srv.URL + `/result.jsonl","partialDataUrl":null,"query":"mutation"}}`)
	})
	c := newTestClient(t, s)
	res, err := c.BulkTags(context.Background(), false, changes)
	if err != nil {
		t.Fatal(err)
	}
	wantForm := "[key Content-Type success_action_status acl policy x-goog-credential x-goog-algorithm x-goog-date x-goog-signature file]"
	if fmt.Sprint(form) != wantForm {
		t.Errorf("form fields %v\nwant %s", form, wantForm)
	}
	lines := strings.Split(strings.TrimSuffix(file, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("file = %q", file)
	}
	var l1 TagChange
	if err := json.Unmarshal([]byte(lines[1]), &l1); err != nil || l1.ID != changes[1].ID || len(l1.Tags) != 2 {
		t.Errorf("line 1 = %s (%v)", lines[1], err)
	}
	if res.Lines != 3 || res.Succeeded != 2 || len(res.Failed) != 1 || res.Failed[0].Line != 1 ||
		res.Failed[0].ID != "gid://shopify/Customer/2" || res.Failed[0].Messages[0] != "Customer does not exist" {
		t.Errorf("result = %+v", res)
	}
}

func TestBulkTagsNothingToDo(t *testing.T) {
	s := newTestShop(t)
	c := newTestClient(t, s)
	res, err := c.BulkTags(context.Background(), true, nil)
	if err != nil || res.Lines != 0 || len(s.calls) != 0 {
		t.Errorf("res %+v err %v calls %v", res, err, s.calls)
	}
}
