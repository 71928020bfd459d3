package shopify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
)

// StagedTarget is where stagedUploadsCreate says to upload a file.
type StagedTarget struct {
	URL         string `json:"url"`
	ResourceURL string `json:"resourceUrl"`
	Parameters  []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"parameters"`
}

// param is the value of a named form parameter ("" when absent).
func (t StagedTarget) param(name string) string {
	for _, p := range t.Parameters {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// stageBulkVariables asks for an upload target for a bulk mutation's JSONL variables.
func (c *Client) stageBulkVariables(ctx context.Context, filename string) (StagedTarget, error) {
	var out struct {
		Create struct {
			StagedTargets []StagedTarget `json:"stagedTargets"`
			UserErrors    []UserError    `json:"userErrors"`
		} `json:"stagedUploadsCreate"`
	}
	input := []map[string]any{{
		"resource":   "BULK_MUTATION_VARIABLES",
		"filename":   filename,
		"mimeType":   "text/jsonl",
		"httpMethod": "POST",
	}}
	if err := c.Do(ctx, MutationStagedUploadsCreate, map[string]any{"input": input}, &out); err != nil {
		return StagedTarget{}, fmt.Errorf("shopify: staged upload: %w", err)
	}
	if err := userErrors("stagedUploadsCreate", out.Create.UserErrors); err != nil {
		return StagedTarget{}, fmt.Errorf("shopify: staged upload: %w", err)
	}
	if len(out.Create.StagedTargets) != 1 || out.Create.StagedTargets[0].URL == "" {
		return StagedTarget{}, errors.New("shopify: staged upload: no target in the answer")
	}
	t := out.Create.StagedTargets[0]
	if t.param("key") == "" {
		return StagedTarget{}, errors.New("shopify: staged upload: target has no key parameter")
	}
	return t, nil
}

// writeForm writes the multipart form: every target parameter in the given order, then the
// file field last (storage services ignore fields after the file).
func writeForm(w io.Writer, boundary string, t StagedTarget, filename string, file func(io.Writer) error) error {
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(boundary); err != nil {
		return err
	}
	for _, p := range t.Parameters {
		if err := mw.WriteField(p.Name, p.Value); err != nil {
			return err
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		return err
	}
	if err := file(fw); err != nil {
		return err
	}
	return mw.Close()
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// upload POSTs the file to the staged target as multipart/form-data. The body is streamed
// through a pipe; it is generated twice (once only to count bytes) so the request carries a
// Content-Length, which storage form uploads require. file must write the same bytes each
// time. The access token is not sent.
func (c *Client) upload(ctx context.Context, t StagedTarget, filename string, file func(io.Writer) error) error {
	boundary := multipart.NewWriter(io.Discard).Boundary()
	var cw countingWriter
	if err := writeForm(&cw, boundary, t, filename, file); err != nil {
		return fmt.Errorf("shopify: staged upload: build form: %w", err)
	}
	failures := 0
	for {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeForm(pw, boundary, t, filename, file)) }()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, pr)
		if err != nil {
			pr.Close()
			return fmt.Errorf("shopify: staged upload: %w", err)
		}
		req.ContentLength = cw.n
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		resp, err := c.download.Do(req)
		pr.Close()
		status := 0
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			status = resp.StatusCode
			if status/100 == 2 {
				return nil
			}
			err = fmt.Errorf("storage answered HTTP %d", status)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("shopify: staged upload: %w", ctx.Err())
		}
		failures++
		if (status != 0 && status < 500 && status != http.StatusTooManyRequests) || failures >= c.opts.MaxAttempts {
			return fmt.Errorf("shopify: staged upload of %s: %w", filename, err)
		}
		if err := sleepCtx(ctx, c.backoff(failures)); err != nil {
			return fmt.Errorf("shopify: staged upload: %w", err)
		}
	}
}
