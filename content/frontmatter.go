package content

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// frontMatterKeys are the keys every lesson's front matter has, in the
// order problems about missing ones are reported.
var frontMatterKeys = []string{"number", "numeral", "slug", "title", "summary", "minutes"}

// splitFrontMatter separates the YAML between the leading "---" lines from
// the Markdown body; bodyLine is the file line the body starts on.
func splitFrontMatter(name string, src []byte, ps *problems) (fm, body []byte, bodyLine int, ok bool) {
	lines := bytes.SplitAfter(src, []byte("\n"))
	if len(lines) == 0 || !isFence(lines[0]) {
		ps.add(name, 1, `no front matter: the file must start with a line "---", then %s, then "---"`, strings.Join(frontMatterKeys, ", "))
		return nil, nil, 0, false
	}
	for i := 1; i < len(lines); i++ {
		if isFence(lines[i]) {
			fm = bytes.Join(lines[1:i], nil)
			body = bytes.Join(lines[i+1:], nil)
			return fm, body, i + 2, true
		}
	}
	ps.add(name, 1, `front matter is not closed: no line "---" follows it`)
	return nil, nil, 0, false
}

func isFence(line []byte) bool { return string(bytes.TrimRight(line, " \t\n")) == "---" }

// frontMatter is what parsing the front matter learnt besides the fields.
type frontMatter struct {
	lines map[string]int  // key → file line
	valid map[string]bool // key → present with a value of the right type
}

// yamlLine finds the line number in a yaml.v3 error message.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseFrontMatter fills l's fields from the YAML fm, which starts on the
// file's line 2.
func parseFrontMatter(name string, fm []byte, l *Lesson, ps *problems) frontMatter {
	const firstLine = 2
	meta := frontMatter{lines: map[string]int{}, valid: map[string]bool{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(fm, &doc); err != nil {
		line, msg := firstLine, err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			line, msg = n+firstLine-1, m[2]
		}
		ps.add(name, line, "front matter is not valid YAML: %s", msg)
		return meta
	}
	if len(doc.Content) == 0 {
		ps.add(name, 1, "front matter is empty; it needs %s", strings.Join(frontMatterKeys, ", "))
		return meta
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		ps.add(name, root.Line+firstLine-1, "front matter must be \"key: value\" lines")
		return meta
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key, line := k.Value, k.Line+firstLine-1
		if prev, dup := meta.lines[key]; dup {
			ps.add(name, line, "key %q repeats the one on line %d", key, prev)
			continue
		}
		meta.lines[key] = line
		switch key {
		case "number":
			meta.valid[key] = wholeNumber(name, line, key, v, &l.Number, ps)
		case "minutes":
			if meta.valid[key] = wholeNumber(name, line, key, v, &l.Minutes, ps); meta.valid[key] && l.Minutes <= 0 {
				ps.add(name, line, "minutes must be more than 0, got %d", l.Minutes)
			}
		case "numeral":
			meta.valid[key] = textValue(name, line, key, v, &l.Numeral, ps)
		case "slug":
			meta.valid[key] = textValue(name, line, key, v, &l.Slug, ps)
		case "title":
			meta.valid[key] = textValue(name, line, key, v, &l.Title, ps)
		case "summary":
			meta.valid[key] = textValue(name, line, key, v, &l.Summary, ps)
		default:
			ps.add(name, line, "unknown front-matter key %q; the keys are %s", key, strings.Join(frontMatterKeys, ", "))
		}
	}
	for _, key := range frontMatterKeys {
		if _, ok := meta.lines[key]; !ok {
			ps.add(name, 1, "front matter has no %q", key)
		}
	}
	return meta
}

func wholeNumber(name string, line int, key string, v *yaml.Node, dst *int, ps *problems) bool {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
		ps.add(name, line, "%s must be a whole number, got %s", key, describe(v))
		return false
	}
	if err := v.Decode(dst); err != nil {
		ps.add(name, line, "%s must be a whole number, got %s", key, describe(v))
		return false
	}
	return true
}

func textValue(name string, line int, key string, v *yaml.Node, dst *string, ps *problems) bool {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
		ps.add(name, line, "%s must be text, got %s", key, describe(v))
		return false
	}
	*dst = strings.TrimSpace(v.Value)
	if *dst == "" {
		ps.add(name, line, "%s must not be empty", key)
		return false
	}
	return true
}

// describe names a YAML value's kind for a message.
func describe(v *yaml.Node) string {
	switch v.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch v.Tag {
	case "!!null":
		return "no value"
	case "!!str":
		return strconv.Quote(v.Value)
	case "!!int", "!!float":
		return "the number " + v.Value
	case "!!bool":
		return "the boolean " + v.Value
	}
	return v.Tag + " " + strconv.Quote(v.Value)
}
