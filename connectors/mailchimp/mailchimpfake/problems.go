package mailchimpfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// Mailchimp's error documentation, the "type" of every problem document it sends.
const problemType = "https://mailchimp.com/developer/marketing/docs/errors/"

// Titles of the problem documents the consent rules depend on, exactly as Mailchimp words them.
const (
	TitleCompliance   = "Member In Compliance State"
	TitleForgotten    = "Forgotten Email Not Subscribed"
	TitleMemberExists = "Member Exists"
	TitleInvalid      = "Invalid Resource"
	TitleNotFound     = "Resource Not Found"
)

// fieldError is one entry of the "errors" array Mailchimp adds to validation problems.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problem is an IETF problem document as Mailchimp sends it (Problem_Detail_Document).
func problem(status int, title, detail string, errs ...fieldError) response {
	doc := map[string]any{
		"type":     problemType,
		"title":    title,
		"status":   status,
		"detail":   detail,
		"instance": instanceID(),
	}
	if len(errs) > 0 {
		doc["errors"] = errs
	}
	body, _ := json.Marshal(doc)
	return response{status: status, contentType: "application/problem+json; charset=utf-8", body: body}
}

func notFound() response {
	return problem(http.StatusNotFound, TitleNotFound, "The requested resource could not be found.")
}

func invalid(detail string, errs ...fieldError) response {
	return problem(http.StatusBadRequest, TitleInvalid, detail, errs...)
}

// instanceID is a random UUID-shaped id, like the one Mailchimp puts in every problem.
func instanceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// jsonOK is a 200 (or other success) answer with a JSON body.
func jsonOK(status int, v any) response {
	body, err := json.Marshal(v)
	if err != nil {
		return problem(http.StatusInternalServerError, "Internal Server Error", "fake could not encode its answer")
	}
	return response{status: status, contentType: "application/json; charset=utf-8", body: body}
}

func noContent() response { return response{status: http.StatusNoContent} }
