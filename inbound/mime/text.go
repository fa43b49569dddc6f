package mime

import (
	"strings"
)

// unflow joins the soft line breaks of format=flowed text (RFC 3676):
// a line ending in a space goes on in the next line of the same quote
// depth. Space-stuffing is undone; with delsp the joining space is dropped.
func unflow(text string, delsp bool) string {
	var out []string
	var cur strings.Builder
	depth, open := 0, false
	flush := func() {
		if open {
			out = append(out, cur.String())
			cur.Reset()
			open = false
		}
	}
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		d := len(l) - len(strings.TrimLeft(l, ">"))
		content := strings.TrimPrefix(l[d:], " ")
		if open && d != depth {
			flush()
		}
		if !open {
			depth, open = d, true
			if d > 0 {
				cur.WriteString(strings.Repeat(">", d) + " ")
			}
		}
		soft := strings.HasSuffix(content, " ") && content != "-- "
		if soft && delsp {
			content = content[:len(content)-1]
		}
		cur.WriteString(content)
		if !soft {
			flush()
		}
	}
	flush()
	return strings.Join(out, "\n")
}
