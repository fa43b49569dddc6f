// Package mime is Herald's reader of inbound email: it turns one raw
// message from the support mailbox into a [Message] (ids, addresses,
// subject and date, the readable text, the HTML, the list of attachments,
// a delivery report, the reason not to answer automatic mail) with
// [Parse], and gives the decoded bytes of one part for download with
// [AttachmentContent].
//
// # Every message is read
//
// Herald stores every message it receives and must show it to a person,
// however damaged. So Parse never fails on content: it fails only when
// the reader it is given fails. Whatever it cannot understand becomes one
// line in Message.Problems ("part 2: header: malformed header line
// skipped", "unknown charset x-foo", ...), and the rest of the message is
// read all the same. Size and Hash always cover every byte read, so a
// message is stored and recognised even when nothing in it could be
// understood.
//
// Reading is bounded: [Limits] caps the message (25 MiB), the nesting of
// multiparts (32), the number of parts (500) and one header field
// (64 KiB); Text and HTML are kept up to 1 MiB each. Bodies are streamed:
// an attachment is decoded only to count its size, so a 50 MB message is
// read in a few megabytes of memory.
//
// # Why not go-message
//
// github.com/emersion/go-message (with which Herald's tests check the
// mail Herald sends) reads well-formed mail well, but its readers are
// strict: at the first thing they cannot parse they return an error, and
// whatever came after it is lost. Support mail is often not well-formed
// (old clients, mail gateways, forwarding scripts, hand-written bounces),
// so Herald splits and decodes MIME itself. The cases that made the
// difference, as go-message v0.18 behaves:
//
//   - A malformed header line (no colon, a space or an 8-bit byte in the
//     field name). go-message's textproto.ReadHeader stops there with
//     "malformed MIME header line": message.Read returns no entity at all
//     for the top header, and in a multipart NextPart fails, losing that
//     part and every part after it. Here the line is skipped with a
//     Problem and the rest of the header and of the message are read
//     (readHeader).
//   - An oversized header. go-message refuses a message whose header is
//     over 1 MB. Here one field is cut at Limits.MaxHeader, a header block
//     at 16 times that or 2,000 fields, each with a Problem.
//   - A missing, empty or never-closed boundary. go-message fails with
//     "multipart: boundary is empty", ends the last part of an unclosed
//     multipart with io.ErrUnexpectedEOF, and fails on a delimiter line
//     with trailing garbage or a stray line between parts. Here a
//     multipart without a usable boundary is read as text, any line that
//     starts with "--" and the boundary is a delimiter, an unclosed body
//     ends its last part, and a multipart whose boundary never appears
//     notes "boundary never found" (multipartReader).
//   - An unknown charset. go-message returns the body undecoded along
//     with an error (and knows only UTF-8 and US-ASCII unless its charset
//     package is imported), which a caller that treats errors as fatal
//     turns into a lost message. Here the text is kept as it is, invalid
//     UTF-8 replaced, with the Problem "unknown charset". 8-bit text
//     without a declared charset, in headers or bodies, is read as
//     Windows-1252 (the likeliest in the wild) instead of being passed
//     on as invalid UTF-8.
//   - Broken transfer encodings. go-message's quoted-printable and base64
//     readers stop at the first control byte, bad soft line break or
//     byte outside the base64 alphabet, and an unknown encoding is an
//     error. Here quoted-printable keeps an "=" that starts no escape,
//     base64 skips bytes outside its alphabet (noted once), and an unknown
//     encoding is read as is (encoding.go).
//   - File names. RFC 2231 names in charsets other than UTF-8 and
//     US-ASCII (filename*=iso-8859-1'fr'r%E9sum%E9.pdf), which the standard
//     library's mime.ParseMediaType leaves out, are decoded; every name is
//     made safe to offer for download (no path, no control characters or
//     bidirectional overrides).
//   - Limits. go-message bounds neither nesting, nor the number of parts,
//     nor the size of a body; here [Limits] does.
//
// What the package still takes from go-message is its charset tables
// (message.CharsetReader, registered by importing its charset package),
// for encoded words, RFC 2231 names and text parts.
//
// # More than MIME
//
// Parse also reads what Herald needs from a support email beyond its
// structure: delivery status notifications (RFC 3464) and the plain-text
// bounces of mail systems that send none, as [DeliveryReport]; the signs
// of automatic mail (RFC 3834 and common practice) in Message.Automatic;
// the text of HTML-only mail; and format=flowed text unwrapped. Splitting
// a reply's new text from the history it quotes is left to the caller
// (package inbound), as it concerns the text, not the message.
//
// Parts are numbered as IMAP numbers them ("1", "2.3"): Attachment.Part
// is the path AttachmentContent takes.
package mime
