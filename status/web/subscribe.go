package web

import (
	"crypto/rand"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/comms"
)

// The public form's limits: uses per client address and window, and the
// largest form body.
const (
	subscribeLimit     = 10
	subscribeWindow    = 10 * time.Minute
	subscribeBodyLimit = 16 << 10
)

// subscriberHandlers serve a page's subscribe form, the confirm, manage and
// unsubscribe links, and the console's subscriber screens.
type subscriberHandlers struct {
	s    *Server
	subs *comms.Subscribers
}

// newSubscribers builds the subscriber service from the server's
// dependencies, over Deps.DB. Without an outbox (tests), confirmations stay
// in a dev outbox; without a secret, links are signed with a key that lives
// as long as the process.
func (s *Server) newSubscribers() *comms.Subscribers {
	if s.deps.Subscribers != nil {
		return s.deps.Subscribers
	}
	svc := s.deps.Service
	box := s.deps.Outbox
	if box == nil {
		box = comms.NewOutbox(s.deps.DB, comms.OutboxOptions{From: "Herald <status@localhost>", Now: svc.Now, Log: s.log})
	}
	secret := s.deps.Secret
	if len(secret) < 16 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		s.log.Warn("no link-signing secret given; subscription links will not survive a restart")
	}
	return comms.NewSubscribers(s.deps.DB, svc, box, comms.NewTokens(secret), s.deps.BaseURL)
}

func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// subscribePage is the data of the public subscription pages.
type subscribePage struct {
	*publicBase
	Groups    []groupView // the page's public groups and components
	Email     string
	Scope     string
	Chosen    map[string]bool // chosen group and component ids
	Fields    map[string]string
	Done      bool   // the form was sent: "check your inbox"
	Token     string // the link's token (confirm, manage, unsubscribe pages)
	ManageURL string
	Flash     string
	Heading   string
}

// render renders a public subscription page with no-store.
func (h *subscriberHandlers) render(c *fiber.Ctx, sn *Snapshot, root string, code int, name string, d subscribePage) error {
	d.publicBase = sn.render.base(sn.View, root, sn.Stale)
	d.Groups = groupComponents(sn.View)
	if d.Chosen == nil {
		d.Chosen = map[string]bool{}
	}
	if d.Scope == "" {
		d.Scope = string(comms.ScopeAll)
	}
	b, err := sn.render.set.Render(name, d)
	if err != nil {
		return err
	}
	setHTMLSecurityHeaders(c)
	c.Set(fiber.HeaderContentType, htmlType)
	return c.Status(code).Send(b)
}

// message renders a plain message page (a link's outcome or problem).
func (h *subscriberHandlers) message(c *fiber.Ctx, sn *Snapshot, root string, code int, heading, msg string) error {
	b, err := sn.render.errorPage(sn.View, root, sn.Stale, heading, msg)
	if err != nil {
		return err
	}
	setHTMLSecurityHeaders(c)
	c.Set(fiber.HeaderContentType, htmlType)
	return c.Status(code).Send(b)
}

// linkError answers a link that cannot be used: 400 for a forged or broken
// one, 410 for an expired or used one. Other errors go to the handler.
func (h *subscriberHandlers) linkError(c *fiber.Ctx, sn *Snapshot, root string, err error, what string) error {
	switch {
	case errors.Is(err, comms.ErrTokenInvalid):
		return h.message(c, sn, root, fiber.StatusBadRequest, "This link is not valid",
			"The link may have been cut short when it was copied. Open it from the email again, or subscribe again from the status page.")
	case errors.Is(err, comms.ErrTokenExpired):
		return h.message(c, sn, root, fiber.StatusGone, "This link has expired",
			"Confirmation links are valid for 7 days. Subscribe again from the status page to get a new one.")
	case errors.Is(err, comms.ErrLinkUsed):
		return h.message(c, sn, root, fiber.StatusGone, "This link no longer applies", what)
	}
	return err
}

// chosen reads the scope fields of a subscription form.
func chosen(c *fiber.Ctx) (comms.Subscription, map[string]bool) {
	args := c.Request().PostArgs()
	sub := comms.Subscription{Scope: comms.Scope(c.FormValue("scope"))}
	marks := map[string]bool{}
	for _, v := range args.PeekMulti("group") {
		sub.GroupIDs = append(sub.GroupIDs, string(v))
		marks[string(v)] = true
	}
	for _, v := range args.PeekMulti("component") {
		sub.ComponentIDs = append(sub.ComponentIDs, string(v))
		marks[string(v)] = true
	}
	return sub, marks
}

// showSubscribe serves GET {prefix}/subscribe.
func (h *subscriberHandlers) showSubscribe(c *fiber.Ctx) error {
	sn, root, err := h.s.pageFor(c)
	if err != nil {
		return err
	}
	return h.render(c, sn, root, fiber.StatusOK, "public/subscribe.html", subscribePage{})
}

// subscribe serves POST {prefix}/subscribe. Whatever the address's state,
// a valid request is answered "check your inbox".
func (h *subscriberHandlers) subscribe(c *fiber.Ctx) error {
	sn, root, err := h.s.pageFor(c)
	if err != nil {
		return err
	}
	ok, err := h.subs.Allow(c.UserContext(), "subscribe:"+c.IP(), subscribeLimit, subscribeWindow)
	if err != nil {
		return err
	}
	if !ok {
		c.Set(fiber.HeaderRetryAfter, "600")
		return h.message(c, sn, root, fiber.StatusTooManyRequests, "Too many requests",
			"This address has sent the subscription form too often. Please wait ten minutes and try again.")
	}
	if len(c.Body()) > subscribeBodyLimit {
		return h.message(c, sn, root, fiber.StatusRequestEntityTooLarge, "The form is too large",
			"Please send the form from the status page as it is.")
	}
	sub, marks := chosen(c)
	email := c.FormValue("email")
	d := subscribePage{Email: shortText(email, 254), Scope: string(sub.Scope), Chosen: marks}
	err = h.subs.Subscribe(c.UserContext(), sn.View.Page.ID, email, sub)
	if code, fields, bad := refusedForm(err); bad {
		d.Fields = fields
		return h.render(c, sn, root, code, "public/subscribe.html", d)
	}
	if err != nil {
		return err
	}
	return h.render(c, sn, root, fiber.StatusOK, "public/subscribe.html", subscribePage{Done: true})
}

// showConfirm serves GET {prefix}/subscribe/confirm/:token: a page with a
// button. Mail scanners open links, so a GET never confirms.
func (h *subscriberHandlers) showConfirm(c *fiber.Ctx) error {
	sn, root, err := h.s.pageFor(c)
	if err != nil {
		return err
	}
	tok := c.Params("token")
	if _, err := h.subs.ByToken(c.UserContext(), sn.View.Page.ID, comms.PurposeConfirm, tok); err != nil {
		return h.linkError(c, sn, root, err, "This subscription was confirmed already, or it was cancelled.")
	}
	return h.render(c, sn, root, fiber.StatusOK, "public/subscribe_confirm.html", subscribePage{Token: tok})
}

// confirm serves POST {prefix}/subscribe/confirm/:token.
func (h *subscriberHandlers) confirm(c *fiber.Ctx) error {
	sn, root, err := h.s.pageFor(c)
	if err != nil {
		return err
	}
	sub, err := h.subs.Confirm(c.UserContext(), sn.View.Page.ID, c.Params("token"))
	if err != nil {
		return h.linkError(c, sn, root, err, "This subscription was confirmed already, or it was cancelled.")
	}
	return h.render(c, sn, root, fiber.StatusOK, "public/subscribe_confirm.html",
		subscribePage{Done: true, ManageURL: h.subs.ManageURL(h.s.deps.BaseURL, sn.View.Page, sub)})
}

// showManage serves GET {prefix}/manage/:token.
func (h *subscriberHandlers) showManage(c *fiber.Ctx) error {
	sn, root, err := h.s.pageFor(c)
	if err != nil {
		return err
	}
	tok := c.Params("token")
	sub, err := h.subs.ByToken(c.UserContext(), sn.View.Page.ID, comms.PurposeManage, tok)
	if err != nil {
		return h.linkError(c, sn, root, err, "You are not subscribed any more. Subscribe again from the status page if you wish.")
	}
	return h.render(c, sn, root, fiber.StatusOK, "public/manage.html", manageData(sub, tok))
}

func manageData(sub *comms.Subscriber, tok string) subscribePage {
	d := subscribePage{Token: tok, Email: sub.Email, Scope: string(sub.Scope), Chosen: map[string]bool{}}
	for _, id := range append(append([]string(nil), sub.GroupIDs...), sub.ComponentIDs...) {
		d.Chosen[id] = true
	}
	return d
}

// manage serves POST {prefix}/manage/:token: action "leave" unsubscribes,
// anything else saves the chosen scope.
func (h *subscriberHandlers) manage(c *fiber.Ctx) error {
	sn, root, err := h.s.pageFor(c)
	if err != nil {
		return err
	}
	ctx, pageID, tok := c.UserContext(), sn.View.Page.ID, c.Params("token")
	const gone = "You are not subscribed any more. Subscribe again from the status page if you wish."
	if c.FormValue("action") == "leave" {
		if err := h.subs.Unsubscribe(ctx, pageID, comms.PurposeManage, tok); err != nil {
			return h.linkError(c, sn, root, err, gone)
		}
		return h.message(c, sn, root, fiber.StatusOK, "You are unsubscribed", "You will receive no more emails from "+sn.View.Page.Name+".")
	}
	sub, marks := chosen(c)
	err = h.subs.UpdateScope(ctx, pageID, tok, sub)
	if code, fields, bad := refusedForm(err); bad {
		cur, lerr := h.subs.ByToken(ctx, pageID, comms.PurposeManage, tok)
		if lerr != nil {
			return h.linkError(c, sn, root, lerr, gone)
		}
		d := manageData(cur, tok)
		d.Scope, d.Chosen, d.Fields = string(sub.Scope), marks, fields
		return h.render(c, sn, root, code, "public/manage.html", d)
	}
	if err != nil {
		return h.linkError(c, sn, root, err, gone)
	}
	cur, err := h.subs.ByToken(ctx, pageID, comms.PurposeManage, tok)
	if err != nil {
		return h.linkError(c, sn, root, err, gone)
	}
	d := manageData(cur, tok)
	d.Flash = "Your choice was saved."
	return h.render(c, sn, root, fiber.StatusOK, "public/manage.html", d)
}

// showUnsubscribe serves GET {prefix}/unsubscribe/:token: a page with a
// button.
func (h *subscriberHandlers) showUnsubscribe(c *fiber.Ctx) error {
	sn, root, err := h.s.pageFor(c)
	if err != nil {
		return err
	}
	tok := c.Params("token")
	sub, err := h.subs.ByToken(c.UserContext(), sn.View.Page.ID, comms.PurposeUnsubscribe, tok)
	if err != nil {
		return h.linkError(c, sn, root, err, "You are not subscribed any more.")
	}
	if sub.State != comms.SubscriberConfirmed && sub.State != comms.SubscriberPending {
		return h.message(c, sn, root, fiber.StatusOK, "You are unsubscribed", "You receive no emails from "+sn.View.Page.Name+".")
	}
	return h.render(c, sn, root, fiber.StatusOK, "public/unsubscribe.html", subscribePage{Token: tok, Email: sub.Email})
}

// unsubscribe serves POST {prefix}/unsubscribe/:token, from the page's
// button or as RFC 8058 one-click (body "List-Unsubscribe=One-Click"): it
// unsubscribes at once, without a form token or cookie.
func (h *subscriberHandlers) unsubscribe(c *fiber.Ctx) error {
	sn, root, err := h.s.pageFor(c)
	if err != nil {
		return err
	}
	if err := h.subs.Unsubscribe(c.UserContext(), sn.View.Page.ID, comms.PurposeUnsubscribe, c.Params("token")); err != nil {
		return h.linkError(c, sn, root, err, "You are not subscribed any more.")
	}
	return h.message(c, sn, root, fiber.StatusOK, "You are unsubscribed", "You will receive no more emails from "+sn.View.Page.Name+".")
}

// scopeOf describes a subscriber's scope with names, for the console.
func scopeOf(sub *comms.Subscriber, names map[string]string) string {
	var ids []string
	switch sub.Scope {
	case comms.ScopeGroups:
		ids = sub.GroupIDs
	case comms.ScopeComponents:
		ids = sub.ComponentIDs
	default:
		return "All components"
	}
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ", "
		}
		n := names[id]
		if n == "" {
			n = id
		}
		out += n
	}
	return out
}
