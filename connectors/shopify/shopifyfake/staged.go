package shopifyfake

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// stagedPath is the fake's staged upload target (Shopify's is a GCS bucket accepting a
// multipart/form-data POST with the returned parameters followed by "file").
const stagedPath = "/staged-uploads"

// maxStagedBytes is Shopify's limit for a bulk mutation variables file.
const maxStagedBytes = 100 << 20

func (f *Fake) stagedUploadsCreate(args map[string]any) any {
	inputs, _ := args["input"].([]any)
	targets := make([]object, 0, len(inputs))
	var uerrs []map[string]any
	now := f.opts.Now().UTC()
	for i, x := range inputs {
		in, _ := x.(map[string]any)
		filename := argString(in, "filename")
		if filename == "" || strings.ContainsAny(filename, "/\\") {
			uerrs = append(uerrs, map[string]any{"field": []any{"input", fmt.Sprint(i), "filename"}, "message": "Filename is invalid"})
			continue
		}
		key := fmt.Sprintf("tmp/60000000001/bulk/%s/%s", newID(), filename)
		mime := argString(in, "mimeType")
		policy := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, `{"conditions":[{"bucket":"shopify-staged-uploads"},{"key":%q},{"Content-Type":%q},["content-length-range",1,%d]],"expiration":%q}`,
			key, mime, maxStagedBytes, now.Add(7*24*3600e9).Format("2006-01-02T15:04:05Z")))
		params := []object{}
		for _, kv := range [][2]string{
			{"Content-Type", mime},
			{"success_action_status", "201"},
			{"acl", "private"},
			{"key", key},
			{"x-goog-date", now.Format("20060102T150405Z")},
			{"x-goog-credential", "merchant-assets@shopify-tiers.iam.gserviceaccount.com/" + now.Format("20060102") + "/auto/storage/goog4_request"},
			{"x-goog-algorithm", "GOOG4-RSA-SHA256"},
			{"x-goog-signature", f.sign(policy, 0)},
			{"policy", policy},
		} {
			params = append(params, mapObj{typ: "StagedUploadParameter", m: map[string]any{"name": kv[0], "value": kv[1]}})
		}
		f.bulkMu.Lock()
		f.staged[key] = "" // reserved, not uploaded yet
		f.bulkMu.Unlock()
		targets = append(targets, mapObj{typ: "StagedMediaUploadTarget", m: map[string]any{"url": f.url + stagedPath, "resourceUrl": nil, "parameters": params}})
	}
	return mapObj{typ: "StagedUploadsCreatePayload", m: map[string]any{"stagedTargets": targets, "userErrors": userErrors("UserError", uerrs...)}}
}

func (f *Fake) serveStagedUpload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		gcsError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.", "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxStagedBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		gcsError(w, http.StatusBadRequest, "InvalidArgument", "Invalid argument.", "POST requires multipart/form-data")
		return
	}
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			gcsError(w, http.StatusBadRequest, "InvalidArgument", "Invalid argument.", "Cannot create buckets using a POST.")
			return
		}
		if err != nil {
			gcsError(w, http.StatusBadRequest, "InvalidArgument", "Invalid argument.", err.Error())
			return
		}
		name := part.FormName()
		if name != "file" {
			b, _ := io.ReadAll(io.LimitReader(part, 64<<10))
			fields[name] = string(b)
			continue
		}
		// GCS ignores fields after "file": the parameters must come first.
		key := fields["key"]
		f.bulkMu.Lock()
		_, reserved := f.staged[key]
		f.bulkMu.Unlock()
		if !reserved || !hmac.Equal([]byte(fields["x-goog-signature"]), []byte(f.sign(fields["policy"], 0))) {
			gcsError(w, http.StatusForbidden, "AccessDenied", "Access denied.", "Invalid policy signature or key")
			return
		}
		dst := filepath.Join(f.dir, "staged", filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			gcsError(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", "")
			return
		}
		out, err := os.Create(dst)
		if err != nil {
			gcsError(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", "")
			return
		}
		n, err := io.Copy(out, io.LimitReader(part, maxStagedBytes+1))
		out.Close()
		if err != nil || n > maxStagedBytes {
			os.Remove(dst)
			gcsError(w, http.StatusBadRequest, "EntityTooLarge", "Your proposed upload is larger than the maximum object size specified in your Policy Document.", "")
			return
		}
		f.bulkMu.Lock()
		f.staged[key] = dst
		f.bulkMu.Unlock()
		w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
		w.Header().Set("Location", f.url+stagedPath+"/"+key)
		w.WriteHeader(http.StatusCreated)
		etag, _ := json.Marshal(newID())
		fmt.Fprintf(w, "<?xml version='1.0' encoding='UTF-8'?><PostResponse><Location>%s</Location><Bucket>shopify-staged-uploads</Bucket><Key>%s</Key><ETag>%s</ETag></PostResponse>", f.url+stagedPath+"/"+key, key, etag)
		return
	}
}
