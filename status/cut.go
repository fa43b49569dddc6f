package status

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Cut and CutTrim are Herald's only ways to shorten text. Both count
// bytes, as Herald's text limits do (MaxNameLen, MaxBodyLen, the limits
// of a mail header or an alert label), never split a character, and
// count the mark within n. A caller that must know whether s was cut
// asks len(s) > n: that is exactly when they cut.

// Cut returns s if it fits in n bytes, else its start on a character
// boundary followed by mark, n bytes at most in all (unless mark alone
// is longer).
func Cut(s string, n int, mark string) string {
	if len(s) <= n {
		return s
	}
	return s[:cutPoint(s, n-len(mark))] + mark
}

// CutTrim is Cut for words: when s is cut, the white space the cut
// leaves at the end of its start is dropped too, so that mark follows a
// word ("a b…", not "a b …"). A value that fits is returned as it is.
func CutTrim(s string, n int, mark string) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimRightFunc(s[:cutPoint(s, n-len(mark))], unicode.IsSpace) + mark
}

// cutPoint returns the largest index at most n (and at least 0) where
// s can be cut without splitting a character.
func cutPoint(s string, n int) int {
	n = max(0, n)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}
