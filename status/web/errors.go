package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
)

// While the database cannot be reached, requests that need it answer 503
// with these messages and Retry-After; the outage itself is logged once
// by db.LogOutages, not per request.
const (
	unavailableWrite = "The database is not reachable right now; nothing was saved. Try again in a minute."
	unavailableRead  = "The database is not reachable right now. Try again in a minute."
	unavailableRetry = "60" // seconds, for Retry-After
)

// apiError is the JSON body of every error answer.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Status  int               `json:"status"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Ref     string            `json:"ref,omitempty"`
}

// classify maps an error to an HTTP status and a message safe to show.
func classify(err error) (code int, msg string, fields map[string]string) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code, fe.Message, nil
	}
	var se *status.Error
	if errors.As(err, &se) {
		switch se.Kind {
		case status.KindInvalid:
			return fiber.StatusUnprocessableEntity, se.Message, se.Fields
		case status.KindNotFound:
			return fiber.StatusNotFound, se.Message, nil
		case status.KindConflict:
			return fiber.StatusConflict, se.Message, se.Fields
		case status.KindForbidden:
			return fiber.StatusForbidden, se.Message, nil
		case status.KindUnauthorized:
			return fiber.StatusUnauthorized, se.Message, nil
		}
	}
	if db.IsUnavailable(err) {
		return fiber.StatusServiceUnavailable, unavailableWrite, nil
	}
	return fiber.StatusInternalServerError, "", nil
}

// handleError is the one place that turns errors into answers. Internal
// errors are logged once with a reference and never shown.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	code, msg, fields := classify(err)
	if code == fiber.StatusServiceUnavailable && db.IsUnavailable(err) {
		c.Set(fiber.HeaderRetryAfter, unavailableRetry)
		c.Response().Header.Del(fiber.HeaderWWWAuthenticate) // no token was refused
		if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
			msg = unavailableRead
		}
	}
	var ref string
	if code >= 500 && code != fiber.StatusServiceUnavailable {
		ref = newRef()
		msg = "Something went wrong (ref " + ref + "). It has been logged."
		s.log.Error("request failed", "ref", ref, "method", c.Method(), "path", loggedPath(c), "err", err)
	}
	if wantsJSON(c) {
		return c.Status(code).JSON(apiError{apiErrorBody{Status: code, Message: msg, Fields: fields, Ref: ref}})
	}
	if strings.HasPrefix(c.Path(), "/console") {
		d := consoleErrorPage{consoleBase: s.consoleBase(c), Heading: headingFor(code), Message: msg}
		if rerr := s.renderConsole(c, code, "console/error.html", d); rerr == nil {
			return nil
		}
	}
	setHTMLSecurityHeaders(c)
	c.Set(fiber.HeaderContentType, htmlType)
	if sn, root := s.snapshotForError(c); sn != nil {
		if b, rerr := sn.render.errorPage(sn.View, root, sn.Stale, headingFor(code), msg); rerr == nil {
			return c.Status(code).Send(b)
		}
	}
	return c.Status(code).SendString(plainErrorPage(code, msg))
}

func (s *Server) snapshotForError(c *fiber.Ctx) (*Snapshot, string) {
	if strings.HasPrefix(c.Path(), "/p/") {
		slug, _, _ := strings.Cut(strings.TrimPrefix(c.Path(), "/p/"), "/")
		if sn := s.snapshots.BySlug(slug); sn != nil {
			return sn, "/p/" + slug
		}
		return nil, ""
	}
	return s.snapshots.ByHost(c.Hostname()), ""
}

// loggedPath is the request's path for the log, with a token in the path
// (a hook's, a subscription link's) left out.
func loggedPath(c *fiber.Ctx) string {
	if tok := c.Params("token"); tok != "" {
		return strings.Replace(c.Path(), tok, "…", 1)
	}
	return c.Path()
}

func wantsJSON(c *fiber.Ctx) bool {
	p := c.Path()
	return strings.HasPrefix(p, "/api/") || strings.Contains(p, "/api/v2/") || strings.HasPrefix(p, "/hooks/") ||
		strings.HasPrefix(p, "/readyz") || strings.HasPrefix(p, "/healthz")
}

func headingFor(code int) string {
	switch code {
	case fiber.StatusNotFound:
		return "Page not found"
	case fiber.StatusServiceUnavailable:
		return "Temporarily unavailable"
	case fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		return "That request was not valid"
	}
	if code >= 500 {
		return "Something went wrong"
	}
	return "Request not allowed"
}

func plainErrorPage(code int, msg string) string {
	return "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">" +
		"<title>" + template.HTMLEscapeString(headingFor(code)) + "</title><h1>" + template.HTMLEscapeString(headingFor(code)) +
		"</h1><p>" + template.HTMLEscapeString(msg) + "</p></html>"
}

func newRef() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// notFound answers every request no route matched.
func (s *Server) notFound(c *fiber.Ctx) error {
	return fiber.NewError(fiber.StatusNotFound, "There is nothing at this address.")
}

type consoleErrorPage struct {
	consoleBase
	Heading, Message string
}
