package web

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/mime"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/templates"
)

// messageAttachmentView is one attachment as the message page lists it.
type messageAttachmentView struct {
	Name        string
	ContentType string
	Size        string
	Part        string
	Inline      bool
}

// messagePage is the data of console/message.html.
type messagePage struct {
	consoleBase
	Stored *inbound.StoredMessage
	Msg    *mime.Message
	Date   *time.Time // the Date header, else as stored
	To, Cc string
	// Fresh is the text without the quoted history, which is in Quoted.
	Fresh, Quoted string
	// HTML is the HTML part, sanitised; "" when there is none. It is a
	// string, escaped into the frame's srcdoc attribute.
	HTML        string
	Attachments []messageAttachmentView
	Problems    []string
	Size        string
	// IncidentURL links the incident the message went to, "" when none
	// (or it is gone).
	IncidentURL   string
	IncidentTitle string
	Loc           *time.Location
}

// showMessage serves GET /console/messages/:id.
func (s *Server) showMessage(c *fiber.Ctx) error {
	if s.deps.Messages == nil {
		return fiber.ErrNotFound
	}
	ctx := c.UserContext()
	m, err := s.deps.Messages.Message(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	msg, err := mime.Parse(s.deps.Messages.OpenRaw(ctx, m.ID), mime.Options{})
	if err != nil {
		return err
	}
	d := messagePage{consoleBase: s.consoleBase(c), Stored: m, Msg: msg, Date: m.SentAt,
		To: strings.Join(msg.To, ", "), Cc: strings.Join(msg.Cc, ", "), Size: byteSize(m.Size), Loc: s.consoleLoc(c)}
	if !msg.Date.IsZero() {
		d.Date = &msg.Date
	}
	d.Fresh, d.Quoted = inbound.SplitQuoted(msg.Text)
	if strings.TrimSpace(msg.HTML) != "" {
		d.HTML = string(templates.SanitizeHTML(msg.HTML))
	}
	for _, a := range msg.Attachments {
		d.Attachments = append(d.Attachments, messageAttachmentView{Name: a.Name, ContentType: a.ContentType,
			Size: byteSize(a.Size), Part: a.Part, Inline: a.Inline})
	}
	for p := range strings.SplitSeq(m.Problems, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			d.Problems = append(d.Problems, p)
		}
	}
	if m.IncidentID != "" {
		if d.IncidentURL, d.IncidentTitle, err = s.findIncident(ctx, m.IncidentID); err != nil {
			return err
		}
	}
	return s.renderConsole(c, fiber.StatusOK, "console/message.html", d)
}

// findIncident returns the console URL and title of the incident id on
// whichever page it is, or "" when there is no such incident.
func (s *Server) findIncident(ctx context.Context, id string) (link, title string, err error) {
	pages, err := s.deps.Service.Pages.List(ctx)
	if err != nil {
		return "", "", err
	}
	for _, p := range pages {
		inc, err := s.deps.Service.Incidents.ByID(ctx, p.ID, id)
		if status.KindOf(err) == status.KindNotFound {
			continue
		}
		if err != nil {
			return "", "", err
		}
		return incidentURL(p.ID, inc.ID), inc.Title, nil
	}
	return "", "", nil
}

// partPath is the form of an attachment's path in the MIME tree, such as
// 2 or 1.3; maxPartPath caps its length.
var partPath = regexp.MustCompile(`^[1-9][0-9]{0,5}(\.[1-9][0-9]{0,5})*$`)

const maxPartPath = 200

// messageAttachment serves GET /console/messages/:id/attachments/:part:
// the attachment's decoded bytes, always as a download of no particular
// type, so no browser ever renders what a sender chose.
func (s *Server) messageAttachment(c *fiber.Ctx) error {
	part := c.Params("part")
	if s.deps.Messages == nil || len(part) > maxPartPath || !partPath.MatchString(part) {
		return fiber.ErrNotFound
	}
	ctx := c.UserContext()
	m, err := s.deps.Messages.Message(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	msg, err := mime.Parse(s.deps.Messages.OpenRaw(ctx, m.ID), mime.Options{})
	if err != nil {
		return err
	}
	var att *mime.Attachment
	for i := range msg.Attachments {
		if msg.Attachments[i].Part == part {
			att = &msg.Attachments[i]
		}
	}
	if att == nil {
		return status.Errorf(status.KindNotFound, "This message has no such attachment.")
	}
	_, _, body, err := mime.AttachmentContent(s.deps.Messages.OpenRaw(ctx, m.ID), part, mime.Limits{})
	if err != nil {
		return status.Errorf(status.KindConflict, "This attachment could not be decoded.")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEOctetStream)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(att.Name, "attachment"))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusOK).Send(body)
}

// rawMessage serves GET /console/messages/:id/raw: the message as it was
// received, streamed from the store, as a download.
func (s *Server) rawMessage(c *fiber.Ctx) error {
	if s.deps.Messages == nil {
		return fiber.ErrNotFound
	}
	m, err := s.deps.Messages.Message(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "message/rfc822")
	c.Set(fiber.HeaderContentDisposition, contentDisposition("message-"+m.ID+".eml", "message.eml"))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "no-store")
	// The body is read after the handler returns: keep the request's
	// values, not its end.
	raw := s.deps.Messages.OpenRaw(context.WithoutCancel(c.UserContext()), m.ID)
	c.Status(fiber.StatusOK).Response().SetBodyStream(raw, int(m.Size))
	return nil
}

// resolveRef serves GET /console/refs/:ref: a timeline entry's reference
// is a stored email's id or an inbox item's id; it redirects to the one
// that exists.
func (s *Server) resolveRef(c *fiber.Ctx) error {
	ctx, ref := c.UserContext(), c.Params("ref")
	if !status.ValidID(ref) {
		return fiber.ErrNotFound
	}
	if s.deps.Messages != nil {
		_, err := s.deps.Messages.Message(ctx, ref)
		if err == nil {
			return c.Redirect("/console/messages/"+ref, fiber.StatusSeeOther)
		}
		if status.KindOf(err) != status.KindNotFound {
			return err
		}
	}
	item, err := s.deps.Service.Intake.Item(ctx, ref)
	if err != nil {
		return err
	}
	return c.Redirect("/console/inbox/"+item.ID, fiber.StatusSeeOther)
}

// contentDisposition is an attachment Content-Disposition for name (RFC
// 6266): an ASCII fallback with anything unsafe replaced, fallback when
// nothing is left of it, and the exact name as filename*.
func contentDisposition(name, fallback string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var ascii strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%' || r == ';':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	plain := strings.Trim(ascii.String(), " .")
	if strings.Trim(plain, "_ .") == "" {
		plain = fallback
	}
	if name == "" {
		name = fallback
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, plain, encodeRFC5987(name))
}

// encodeRFC5987 percent-encodes v as an ext-value's value: every byte but
// attr-char.
func encodeRFC5987(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if ch < 0x80 && (ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			strings.IndexByte("!#$&+-.^_`|~", ch) >= 0) {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

// byteSize is n bytes for people: 512 B, 3.4 KiB, 2.0 MiB.
func byteSize(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1024*1024))
}
