package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks a yaml.Node tree against the Config struct, collecting every
// problem with its position instead of stopping at the first one. It also
// remembers where each key and value was, so validation can point at them.
type decoder struct {
	file     string
	lookup   func(string) (string, bool)
	readFile func(string) ([]byte, error)

	probs Problems
	keys  map[string]*yaml.Node // path -> key node, for every key present
	vals  map[string]*yaml.Node // path -> value node, for every non-null value
	maps  map[string]*yaml.Node // path -> node decoded into a struct
	// failed holds the paths whose value could not be decoded (a problem
	// was already reported), so validation does not pile on.
	failed map[string]bool
	// budget bounds the number of values decoded, so aliases cannot make a
	// small file expand into an enormous amount of work ("billion laughs").
	budget int
}

func parse(file string, data []byte, lookup func(string) (string, bool), readFile func(string) ([]byte, error)) (*Config, error) {
	d := &decoder{
		file:     file,
		lookup:   lookup,
		readFile: readFile,
		keys:     map[string]*yaml.Node{},
		vals:     map[string]*yaml.Node{},
		maps:     map[string]*yaml.Node{},
		failed:   map[string]bool{},
		budget:   len(data) + 1000,
	}
	cfg := Default()
	cfg.Backup.Dir = "" // derived from data_dir below unless set

	root, ok := d.parseYAML(data)
	if !ok {
		return nil, d.probs
	}
	if root != nil {
		d.decodeValue("", root, reflect.ValueOf(cfg).Elem())
	}
	d.applyDefaults(cfg)
	d.validate(cfg)
	if len(d.probs) > 0 {
		return nil, d.probs.sorted()
	}
	return cfg, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses exactly one YAML document. It returns a nil root for an
// empty document.
func (d *decoder) parseYAML(data []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		d.syntaxError(err)
		return nil, false
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntaxError(err)
		return nil, false
	default:
		d.add(&extra, "the file holds more than one YAML document", "cohortd reads a single document; remove the extra ---")
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, true
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil, true
	}
	return root, true
}

func (d *decoder) syntaxError(err error) {
	msg := err.Error()
	p := Problem{File: d.file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = "invalid YAML: " + m[2]
	}
	d.probs = append(d.probs, p)
}

// add records a problem at the position of n (or no position if n is nil).
func (d *decoder) add(n *yaml.Node, msg, hint string) {
	p := Problem{File: d.file, Msg: msg, Hint: hint}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	d.probs = append(d.probs, p)
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// where describes path for messages ("top level" for the root).
func where(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

var (
	secretType      = reflect.TypeFor[Secret]()
	secretSliceType = reflect.TypeFor[[]Secret]()
	durationType    = reflect.TypeFor[Duration]()
)

// decodeValue decodes n into v. A null value leaves v untouched (so defaults
// stay in place).
func (d *decoder) decodeValue(path string, n *yaml.Node, v reflect.Value) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if d.spend(n) {
		return
	}
	d.vals[path] = n
	if k := v.Kind(); v.Type() == durationType || k != reflect.Struct && k != reflect.Map && (k != reflect.Slice || v.Type().Elem().Kind() != reflect.Struct) {
		before := len(d.probs)
		defer func() {
			if len(d.probs) > before {
				d.failed[path] = true
			}
		}()
	}
	switch t := v.Type(); {
	case t == durationType:
		s, ok := d.scalar(path, n, "a duration such as 30s")
		if !ok {
			return
		}
		dur, err := parseDuration(s)
		if err != nil {
			d.add(n, fmt.Sprintf("%s: %v", path, err), "")
			return
		}
		v.Set(reflect.ValueOf(Duration{dur}))
	case t.Kind() == reflect.String:
		s, ok := d.scalar(path, n, "a single value")
		if ok {
			v.SetString(s)
		}
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		s, ok := d.scalar(path, n, "a whole number")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
		if err != nil {
			d.add(n, fmt.Sprintf("%s must be a whole number, not %q", path, s), "")
			return
		}
		v.SetInt(i)
	case t.Kind() == reflect.Float64:
		s, ok := d.scalar(path, n, "a number")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			d.add(n, fmt.Sprintf("%s must be a number, not %q", path, s), "")
			return
		}
		v.SetFloat(f)
	case t.Kind() == reflect.Bool:
		s, ok := d.scalar(path, n, "true or false")
		if !ok {
			return
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			d.add(n, fmt.Sprintf("%s must be true or false, not %q", path, s), "")
			return
		}
		v.SetBool(b)
	case t.Kind() == reflect.Slice:
		items := []*yaml.Node{n} // a single value is accepted as a one-item list
		if n.Kind == yaml.SequenceNode {
			items = n.Content
		}
		out := reflect.MakeSlice(t, 0, len(items))
		for i, item := range items {
			if d.budget < 0 {
				break
			}
			elem := reflect.New(t.Elem()).Elem()
			p := fmt.Sprintf("%s[%d]", path, i)
			if t.Elem().Kind() == reflect.Struct {
				// Keep list items positionally even if they are null, so
				// validation can report what they are missing.
				d.maps[p] = resolve(item)
			} else if isNull(resolve(item)) {
				continue
			}
			d.decodeValue(p, item, elem)
			out = reflect.Append(out, elem)
		}
		v.Set(out)
	case t.Kind() == reflect.Map:
		d.decodeMap(path, n, v)
	case t.Kind() == reflect.Struct:
		d.decodeStruct(path, n, v)
	default:
		panic(fmt.Sprintf("config: unsupported field type %s at %s", t, path))
	}
}

// spend uses up one unit of the decoding budget and reports whether it is
// exhausted; the first time it is, that is reported at n.
func (d *decoder) spend(n *yaml.Node) bool {
	if d.budget--; d.budget >= 0 {
		return false
	}
	if d.budget == -1 {
		d.add(n, "the file expands to too many values", "aliases (*name) may refer to large lists or mappings only a few times")
	}
	return true
}

// scalar returns the expanded value of the scalar node n.
func (d *decoder) scalar(path string, n *yaml.Node, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.add(n, fmt.Sprintf("%s must be %s, not %s", where(path), want, kindName(n)), "")
		return "", false
	}
	s, errs := expand(n.Value, d.lookup)
	for _, e := range errs {
		d.add(n, fmt.Sprintf("%s: %s", where(path), e.msg), e.hint)
	}
	return s, len(errs) == 0
}

type pair struct{ key, val *yaml.Node }

// pairs returns the key/value pairs of mapping n, reporting duplicate keys
// and applying YAML merge keys ("<<: *base"); explicit keys win over merged
// ones.
func (d *decoder) pairs(path string, n *yaml.Node) []pair {
	if d.budget -= len(n.Content) / 2; d.budget < 0 {
		d.spend(n)
		return nil
	}
	var out []pair
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k, fmt.Sprintf("keys in %s must be plain names, not %s", where(path), kindName(k)), "")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.add(k, fmt.Sprintf("duplicate key %q in %s", k.Value, where(path)), fmt.Sprintf("first set at line %d", first.Line))
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	visited := map[*yaml.Node]bool{}
	var merge func(v *yaml.Node)
	merge = func(v *yaml.Node) {
		v = resolve(v)
		if v == nil || visited[v] {
			return
		}
		visited[v] = true
		switch v.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(v.Content); i += 2 {
				k := v.Content[i]
				if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
					merge(v.Content[i+1])
					continue
				}
				if k.Kind != yaml.ScalarNode || seen[k.Value] != nil {
					continue
				}
				seen[k.Value] = k
				out = append(out, pair{k, v.Content[i+1]})
			}
		case yaml.SequenceNode:
			for _, item := range v.Content {
				if resolve(item) != nil && resolve(item).Kind == yaml.MappingNode {
					merge(item)
				} else {
					d.add(item, fmt.Sprintf("merge key << in %s must refer to mappings", where(path)), "")
				}
			}
		default:
			d.add(v, fmt.Sprintf("merge key << in %s must refer to a mapping", where(path)), "")
		}
	}
	for _, m := range merges {
		merge(m)
	}
	return out
}

// decodeMap decodes a mapping of names to strings (the schedule section).
// Keys are not expanded.
func (d *decoder) decodeMap(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.add(n, fmt.Sprintf("%s must be a mapping, not %s", where(path), kindName(n)), "")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, p := range d.pairs(path, n) {
		if d.spend(p.key) {
			break
		}
		kp := join(path, p.key.Value)
		d.keys[kp] = p.key
		elem := reflect.New(v.Type().Elem()).Elem()
		if cur := v.MapIndex(reflect.ValueOf(p.key.Value)); cur.IsValid() {
			elem.Set(cur)
		}
		d.decodeValue(kp, p.val, elem)
		v.SetMapIndex(reflect.ValueOf(p.key.Value), elem)
	}
}

// field describes one YAML key of a struct.
type field struct {
	name   string   // yaml key
	index  int      // struct field index
	kinds  []string // kinds the key applies to; nil means all kinds
	secret bool     // Secret or []Secret: x_file is accepted too
}

// structFields returns the YAML keys of struct type t in declaration order.
func structFields(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		f := field{name: name, index: i, secret: sf.Type == secretType || sf.Type == secretSliceType}
		if k := sf.Tag.Get("kind"); k != "" {
			f.kinds = strings.Split(k, ",")
		}
		fs = append(fs, f)
	}
	return fs
}

// keyNames lists the keys of fields, with x_file after every secret x.
func keyNames(fields []field, kind string) []string {
	var names []string
	for _, f := range fields {
		if kind != "" && f.kinds != nil && !slices.Contains(f.kinds, kind) {
			continue
		}
		names = append(names, f.name)
		if f.secret {
			names = append(names, f.name+"_file")
		}
	}
	return names
}

// kindNoun names the things that have a kind, for messages.
func kindNoun(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Store]():
		return "store"
	case reflect.TypeFor[Destination]():
		return "destination"
	}
	return strings.ToLower(t.Name())
}

func (d *decoder) decodeStruct(path string, n *yaml.Node, v reflect.Value) {
	d.maps[path] = n
	if n.Kind != yaml.MappingNode {
		d.add(n, fmt.Sprintf("%s must be a mapping, not %s", where(path), kindName(n)), "")
		return
	}
	t := v.Type()
	fields := structFields(t)
	byName := map[string]field{}
	for _, f := range fields {
		byName[f.name] = f
	}
	ps := d.pairs(path, n)

	// The kind decides which other keys are valid, so look at it first.
	kind, lbl := "", where(path)
	if kinds, ok := validKinds[t]; ok {
		kind = d.peek(ps, "kind")
		if !slices.Contains(kinds, kind) {
			kind = "" // reported by validation; do not cascade
		}
		lbl = label(kindNoun(t), d.peek(ps, "id"), path)
	}

	set := map[string]*yaml.Node{} // field name -> key node that set it
	for _, p := range ps {
		if d.spend(p.key) {
			break
		}
		key := p.key.Value
		f, ok := byName[key]
		fromFile := false
		if !ok {
			if base, isFile := strings.CutSuffix(key, "_file"); isFile {
				if bf, ok2 := byName[base]; ok2 && bf.secret {
					f, ok, fromFile = bf, true, true
				}
			}
		}
		if !ok {
			d.unknownKey(path, p.key, keyNames(fields, kind), kind, t)
			continue
		}
		if kind != "" && f.kinds != nil && !slices.Contains(f.kinds, kind) {
			d.add(p.key, fmt.Sprintf("%s: key %q does not apply to %s %ss", lbl, key, kind, kindNoun(t)),
				fmt.Sprintf("valid keys for kind %s: %s", kind, strings.Join(keyNames(fields, kind), ", ")))
			continue
		}
		if other, dup := set[f.name]; dup {
			d.add(p.key, fmt.Sprintf("%s: both %s and %s are set", where(path), other.Value, key),
				fmt.Sprintf("use either %s or %s_file", f.name, f.name))
			continue
		}
		set[f.name] = p.key
		fp := join(path, f.name)
		d.keys[fp] = p.key
		if fromFile {
			d.keys[join(path, key)] = p.key
			before := len(d.probs)
			d.decodeSecretFile(join(path, key), p.val, v.Field(f.index))
			if len(d.probs) > before {
				d.failed[fp] = true
			}
			if !isNull(resolve(p.val)) {
				d.vals[fp] = resolve(p.val)
			}
			continue
		}
		d.decodeValue(fp, p.val, v.Field(f.index))
	}
}

// peek returns the expanded value of key in ps, without reporting problems
// (decoding the key reports them).
func (d *decoder) peek(ps []pair, key string) string {
	for _, p := range ps {
		if p.key.Value == key {
			if vn := resolve(p.val); vn != nil && vn.Kind == yaml.ScalarNode && !isNull(vn) {
				v, _ := expand(vn.Value, d.lookup)
				return v
			}
		}
	}
	return ""
}

// validKinds lists the kinds of each struct type that has a Kind field.
var validKinds = map[reflect.Type][]string{
	reflect.TypeFor[Store]():       {KindShopify, KindWooCommerce, KindFile},
	reflect.TypeFor[Destination](): {KindMailchimp, KindKlaviyo, KindListmonk},
}

func (d *decoder) unknownKey(path string, k *yaml.Node, valid []string, kind string, t reflect.Type) {
	msg := fmt.Sprintf("unknown key %q in %s", k.Value, where(path))
	validDesc := "valid keys: "
	if kind != "" {
		validDesc = fmt.Sprintf("valid keys for %s %ss: ", kind, kindNoun(t))
	}
	hint := validDesc + strings.Join(valid, ", ")
	if s := suggest(k.Value, valid); s != "" {
		hint = fmt.Sprintf("did you mean %q? %s", s, hint)
	}
	d.add(k, msg, hint)
}

// decodeSecretFile reads a secret (or, for []Secret, one secret per line)
// from the file named by n. The file's content never appears in messages.
func (d *decoder) decodeSecretFile(path string, n *yaml.Node, v reflect.Value) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	name, ok := d.scalar(path, n, "a file name")
	if !ok {
		return
	}
	if name == "" {
		d.add(n, fmt.Sprintf("%s: file name is empty", path), "")
		return
	}
	data, err := d.readFile(name)
	if err != nil {
		d.add(n, fmt.Sprintf("%s: cannot read secret file: %v", path, err), "")
		return
	}
	s := string(data)
	if v.Type() == secretSliceType {
		var out []Secret
		for line := range strings.SplitSeq(s, "\n") {
			if line = strings.TrimSuffix(line, "\r"); line != "" {
				out = append(out, Secret(line))
			}
		}
		if len(out) == 0 {
			d.add(n, fmt.Sprintf("%s: secret file %q is empty", path, name), "")
			return
		}
		v.Set(reflect.ValueOf(out))
		return
	}
	if t, ok := strings.CutSuffix(s, "\r\n"); ok {
		s = t
	} else {
		s = strings.TrimSuffix(s, "\n")
	}
	if s == "" {
		d.add(n, fmt.Sprintf("%s: secret file %q is empty", path, name), "")
		return
	}
	v.SetString(s)
}

var keySeparators = strings.NewReplacer("_", "", "-", "")

// suggest returns the candidate closest to s, if it is close enough to be a
// likely typo.
func suggest(s string, candidates []string) string {
	norm := func(x string) string { return keySeparators.Replace(strings.ToLower(x)) }
	best, bestDist := "", -1
	for _, c := range candidates {
		if norm(c) == norm(s) {
			return c
		}
		dist := levenshtein(strings.ToLower(s), c)
		if bestDist < 0 || dist < bestDist {
			best, bestDist = c, dist
		}
	}
	if bestDist < 0 || bestDist > 2 && bestDist*3 > len(s) || bestDist >= len(s) {
		return ""
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

var (
	storeType       = reflect.TypeFor[Store]()
	destinationType = reflect.TypeFor[Destination]()
)
