package mailchimpfake

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The published Marketing API spec (testdata/SOURCE.md names its origin). Embedded so the
// fake also works from the demo binary, with no file path to configure.
//
//go:embed testdata/marketing-openapi.yaml
var specYAML []byte

// specHost and specBase are the spec's server URL: requests are validated as if they had been
// sent there, whatever loopback address the fake listens on.
const (
	specHost = "server.api.mailchimp.com"
	specBase = "/3.0"
)

// spec is the loaded document and its router, shared by every Server of the process: loading
// takes about half a second, and neither is modified after load.
type spec struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	specOnce sync.Once
	specVal  *spec
	specErr  error
)

// loadSpec loads, patches and routes the embedded spec once per process.
func loadSpec() (*spec, error) {
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(specYAML)
		if err != nil {
			specErr = fmt.Errorf("mailchimpfake: load spec: %w", err)
			return
		}
		relaxMergeFields(doc)
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			specErr = fmt.Errorf("mailchimpfake: route spec: %w", err)
			return
		}
		specVal = &spec{doc: doc, router: router}
	})
	return specVal, specErr
}

// relaxMergeFields fixes a defect of the published spec: merge_fields values are declared as
// objects, while the API takes and returns strings and numbers ({"FNAME": "Ann"}).
func relaxMergeFields(doc *openapi3.T) {
	for _, ref := range doc.Components.Schemas {
		if ref == nil || ref.Value == nil {
			continue
		}
		mf := ref.Value.Properties["merge_fields"]
		if mf == nil || mf.Value == nil {
			continue
		}
		if mf.Value.AdditionalProperties.Schema != nil {
			mf.Value.AdditionalProperties.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
		}
	}
}
