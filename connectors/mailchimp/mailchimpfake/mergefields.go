package mailchimpfake

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// mergeTagRe is what Mailchimp accepts as a merge tag: up to 10 upper-case letters, digits or
// underscores.
var mergeTagRe = regexp.MustCompile(`^[A-Z0-9_]{1,10}$`)

func (l *list) mergeFieldJSON(f *mergeField) map[string]any {
	return map[string]any{
		"merge_id": f.id, "tag": f.tag, "name": f.name, "type": f.typ, "required": false,
		"default_value": "", "public": false, "display_order": f.displayOrder, "help_text": "",
		"list_id": l.id, "_links": []any{},
	}
}

func handleListMergeFields(s *Server, c *call) response {
	count, offset, bad := paging(c)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[c.params["list_id"]]
	if l == nil {
		return notFound()
	}
	page := []map[string]any{}
	for i := offset; i < len(l.merge) && i < offset+count; i++ {
		page = append(page, l.mergeFieldJSON(l.merge[i]))
	}
	return jsonOK(http.StatusOK, map[string]any{"merge_fields": page, "list_id": l.id, "total_items": len(l.merge), "_links": []any{}})
}

func handleCreateMergeField(s *Server, c *call) response {
	var in struct {
		Tag  string `json:"tag"`
		Name string `json:"name"`
		Type string `json:"type"`
	}
	if err := c.decode(&in); err != nil {
		return jsonParseError()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[c.params["list_id"]]
	if l == nil {
		return notFound()
	}
	tagName := strings.ToUpper(in.Tag)
	if tagName == "" {
		tagName = fmt.Sprintf("MMERGE%d", l.nextMerge)
	}
	if !mergeTagRe.MatchString(tagName) {
		return invalid("The resource submitted could not be validated. For field-specific details, see the 'errors' array.",
			fieldError{Field: "tag", Message: "Merge tags must be 10 characters or fewer, letters, digits and underscores."})
	}
	if l.mergeField(tagName) != nil {
		return invalid(fmt.Sprintf("A Merge Field with the tag %q already exists for this list.", tagName))
	}
	return jsonOK(http.StatusOK, l.mergeFieldJSON(l.addMergeField(tagName, in.Name, in.Type)))
}
