package inbound

import (
	"regexp"
	"strings"
)

// colon ends an attribution line; French puts a (non-breaking) space
// before it.
const colon = `[\s\x{a0}\x{202f}]*:[\s\x{a0}]*$`

// Attribution lines that start the quoted history of a reply.
var (
	// "On Tue, 24 Nov 2026 at 10:00, Ann <ann@x> wrote:" (Gmail, Apple
	// Mail, Thunderbird), possibly wrapped over two lines.
	onWrote = regexp.MustCompile(`(?i)^\s*on\b.{4,300}\bwrote\s*:\s*$`)
	// "Le mar. 24 nov. 2026 à 10:00, Ann <ann@x> a écrit :"
	leEcrit = regexp.MustCompile(`(?i)^\s*le\b.{4,300}\ba écrit` + colon)
	// "Am 24.11.2026 um 10:00 schrieb Ann <ann@x>:"
	amSchrieb = regexp.MustCompile(`(?i)^\s*am\b.{4,300}\bschrieb\b.{0,300}` + colon)
	// Spanish, Italian and Dutch: "El ... escribió:", "Il ... ha scritto:",
	// "Op ... schreef ...:".
	others = regexp.MustCompile(`(?i)^\s*((el\b.{4,300}\bescribió)|(il\b.{4,300}\bha scritto)|(op\b.{4,300}\bschreef\b.{0,300}))` + colon)
	// "-----Original Message-----" and its translations.
	originalMessage = regexp.MustCompile(`(?i)^\s*-{3,}\s*(original message|ursprüngliche nachricht|message d'origine|forwarded message|mensaje original|messaggio originale)\s*-{3,}\s*$`)
	// Outlook's "________________________________" above its header block.
	underscores = regexp.MustCompile(`^\s*_{20,}\s*$`)
	// The first and a later line of an Outlook header block.
	outlookFrom = regexp.MustCompile(`(?i)^\s*\*?(from|de|von|van|da)[\s\x{a0}\x{202f}]*:\*?\s*\S`)
	outlookNext = regexp.MustCompile(`(?i)^\s*\*?(sent|date|envoyé|gesendet|datum|verzonden|enviado|inviato|to|à|an|aan|para|a|subject|objet|betreff|onderwerp|asunto|oggetto)[\s\x{a0}\x{202f}]*:\*?\s`)
)

// SplitQuoted separates a reply's new text from the history it quotes:
// lines starting with ">", and everything from an attribution line such as
// "On Tue, 24 Nov 2026 at 10:00, Ann <ann@x> wrote:", "Le ... a écrit :",
// "Am ... schrieb ...:", "-----Original Message-----", an Outlook
// "From: ... Sent: ..." block or "________________________________"
// onward. Together fresh and quoted keep all the text.
func SplitQuoted(text string) (fresh, quoted string) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	cut := historyStart(lines)
	var f, q []string
	for i, l := range lines {
		if i >= cut || strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") {
			q = append(q, l)
		} else {
			f = append(f, l)
		}
	}
	return strings.TrimSpace(strings.Join(f, "\n")), strings.TrimSpace(strings.Join(q, "\n"))
}

// historyStart returns the index of the line where the quoted history
// starts, or len(lines).
func historyStart(lines []string) int {
	for i, l := range lines {
		if len(l) > 1000 {
			continue
		}
		if attribution(l) || originalMessage.MatchString(l) || underscores.MatchString(l) || outlookBlock(lines, i) {
			return i
		}
		if i+1 < len(lines) && len(lines[i+1]) < 300 && strings.TrimSpace(lines[i+1]) != "" &&
			!attribution(lines[i+1]) && attribution(l+" "+strings.TrimSpace(lines[i+1])) {
			return i // an attribution wrapped over two lines
		}
	}
	return len(lines)
}

// attribution reports whether l is a "... wrote:" line.
func attribution(l string) bool {
	return onWrote.MatchString(l) || leEcrit.MatchString(l) || amSchrieb.MatchString(l) || others.MatchString(l)
}

// outlookBlock reports whether lines[i] starts a "From: ... Sent: ..."
// header block.
func outlookBlock(lines []string, i int) bool {
	if !outlookFrom.MatchString(lines[i]) {
		return false
	}
	for j := i + 1; j < len(lines) && j <= i+4; j++ {
		if outlookNext.MatchString(lines[j]) {
			return true
		}
	}
	return false
}
