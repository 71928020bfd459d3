package shopifyfake

import (
	_ "embed"
	"regexp"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

//go:embed schema/admin_schema_2025-04.graphql
var schemaSDL string

var (
	schemaOnce sync.Once
	schemaAST  *ast.Schema
	schemaErr  error
)

// adminSchema parses the embedded Admin schema once per process (about a second).
func adminSchema() *ast.Schema {
	schemaOnce.Do(func() {
		schemaAST, schemaErr = gqlparser.LoadSchema(&ast.Source{Name: "admin_schema_2025-04.graphql", Input: schemaSDL})
	})
	if schemaErr != nil {
		panic("shopifyfake: embedded schema does not parse: " + schemaErr.Error()) // a build defect, not input
	}
	return schemaAST
}

// loadQuery parses and validates a document with the default rules.
func loadQuery(doc string) (*ast.QueryDocument, gqlerror.List) {
	return gqlparser.LoadQueryWithRules(adminSchema(), doc, nil)
}

// gqlError is one entry of a response's "errors".
type gqlError struct {
	Message    string         `json:"message"`
	Locations  []gqlLocation  `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type gqlLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

var cannotQuery = regexp.MustCompile(`^Cannot query field "([^"]+)" on type "([^"]+)"`)

// graphql-ruby's error codes (what Shopify sends) for gqlparser's validation rules.
var ruleCodes = map[string]string{
	"FieldsOnCorrectType":          "undefinedField",
	"KnownArgumentNames":           "argumentNotAccepted",
	"ValuesOfCorrectType":          "argumentLiteralsIncompatible",
	"KnownTypeNames":               "undefinedType",
	"ProvidedRequiredArguments":    "missingRequiredArguments",
	"NoUnusedVariables":            "variableNotUsed",
	"NoUndefinedVariables":         "variableNotDefined",
	"ScalarLeafs":                  "selectionMismatch",
	"VariablesInAllowedPosition":   "variableMismatch",
	"KnownFragmentNames":           "undefinedFragment",
	"NoUnusedFragments":            "useAndDefineFragment",
	"PossibleFragmentSpreads":      "cannotSpreadFragment",
	"FragmentsOnCompositeTypes":    "fragmentOnNonCompositeType",
	"UniqueArgumentNames":          "argumentNotUnique",
	"VariablesAreInputTypes":       "variableRequiresValidType",
	"KnownDirectives":              "undefinedDirective",
	"OverlappingFieldsCanBeMerged": "fieldConflict",
}

func toGQLErrors(list gqlerror.List) []gqlError {
	out := make([]gqlError, 0, len(list))
	for _, e := range list {
		g := gqlError{Message: e.Message}
		if m := cannotQuery.FindStringSubmatch(e.Message); m != nil {
			g.Message = "Field '" + m[1] + "' doesn't exist on type '" + m[2] + "'" // graphql-ruby wording
		}
		for _, l := range e.Locations {
			g.Locations = append(g.Locations, gqlLocation{l.Line, l.Column})
		}
		code := ruleCodes[e.Rule]
		switch {
		case code != "":
		case e.Rule == "":
			code = "parseError"
		default:
			code = "GRAPHQL_VALIDATION_FAILED"
		}
		g.Extensions = map[string]any{"code": code}
		out = append(out, g)
	}
	return out
}
