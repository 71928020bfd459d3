package shopify

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

var (
	schemaOnce sync.Once
	schema     *ast.Schema
	schemaErr  error
)

// adminSchema loads the real Admin API schema kept with the fake (shopifyfake/schema/SOURCE.md).
func adminSchema(t testing.TB) *ast.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		b, err := os.ReadFile("shopifyfake/schema/admin_schema_2025-04.graphql")
		if err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = gqlparser.LoadSchema(&ast.Source{Name: "admin_schema_2025-04.graphql", Input: string(b)})
	})
	if schemaErr != nil {
		t.Fatalf("load schema: %v", schemaErr)
	}
	return schema
}

func validate(t *testing.T, name, doc string) {
	t.Helper()
	_, errs := gqlparser.LoadQueryWithRules(adminSchema(t), doc, nil)
	if len(errs) > 0 {
		t.Errorf("%s does not validate against the Admin schema: %v", name, errs)
	}
}

func TestDocumentsValidateAgainstAdminSchema(t *testing.T) {
	if len(Documents) < 17 {
		t.Fatalf("only %d documents listed", len(Documents))
	}
	for name, doc := range Documents {
		validate(t, name, doc)
	}
	for name, doc := range BulkQueries {
		validate(t, name, doc)
	}
}

// The validator must be able to fail: a field Shopify's Order does not have (the user agent
// exists only in REST payloads) and a wrong argument are both rejected.
func TestValidationRejectsUnknownFields(t *testing.T) {
	s := adminSchema(t)
	for _, doc := range []string{
		`{ orders(first: 1) { nodes { id clientDetails { userAgent } } } }`,
		`{ customers(first: "ten") { nodes { id } } }`,
		strings.Replace(QueryCustomersPage, "numberOfOrders", "ordersCount", 1),
	} {
		if _, errs := gqlparser.LoadQueryWithRules(s, doc, nil); len(errs) == 0 {
			t.Errorf("validated, want an error:\n%s", doc)
		}
	}
}
