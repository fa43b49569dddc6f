package web

import (
	"crypto/subtle"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
)

// loginCSRFCookie carries a random nonce for the login form, which is
// shown before there is a session to keep a token in. The form carries the
// nonce signed with the server's key (purposeLoginForm): a client cannot
// make up a pair that passes.
const loginCSRFCookie = "herald_login"

// purposeLoginForm marks the login form's signed CSRF token.
const purposeLoginForm = "console.login"

// loginFormValid is how long a login form can be submitted.
const loginFormValid = time.Hour

// loginTokens signs login forms with secret, or with a random key of this
// process when there is none (a login form then works on the replica that
// showed it).
func loginTokens(secret []byte) *comms.Tokens {
	if len(secret) < 16 {
		secret = []byte(status.RandomToken(32))
	}
	return comms.NewTokens(secret)
}

// consoleBase is what every console page's layout needs.
type consoleBase struct {
	CSS, Icon   string
	CountdownJS string
	PreviewJS   string
	User        *status.User
	CSRF        string
	Flash       string
	// Alert is a refusal to show at the top of the page, beside the
	// form's own messages; a handler sets it with c.Locals(localAlert, …).
	Alert string
	// Refusal sums up a refused form at the top of the page: what to fix,
	// each linking to the form; nil when nothing was refused.
	Refusal *refusal
	inbox   func() int // counts the open triage items, once a request
}

// localAlert is the request local holding consoleBase.Alert.
const localAlert = "alert"

// Inbox is the number of open triage items, shown in the navigation. It
// is counted only when a page shows it, so handlers that only need the
// user do not query for it.
func (b consoleBase) Inbox() int {
	if b.inbox == nil {
		return 0
	}
	return b.inbox()
}

func (s *Server) consoleBase(c *fiber.Ctx) consoleBase {
	b := consoleBase{CSS: s.assets.URL("css/herald.css"), Icon: s.assets.URL("img/icon.svg"), CountdownJS: s.assets.URL("js/countdown.js"),
		PreviewJS: s.assets.URL("js/preview.js")}
	if u, ok := c.Locals("user").(*status.User); ok {
		b.User = u
		b.inbox = func() int {
			if n, ok := c.Locals("inbox").(int); ok {
				return n
			}
			n, err := s.deps.Service.Intake.OpenCount(c.UserContext())
			if err != nil {
				s.log.Warn("counting the triage inbox", "err", err)
			}
			c.Locals("inbox", n)
			return n
		}
	}
	if sess, ok := c.Locals("session").(*status.Session); ok {
		b.CSRF = sess.CSRF
	}
	b.Alert, _ = c.Locals(localAlert).(string)
	return b
}

// secureCookies reports whether Herald is served over HTTPS, so cookies
// get the Secure flag and the __Host- prefix.
func (s *Server) secureCookies() bool {
	return s.deps.BaseURL != nil && s.deps.BaseURL.Scheme == "https"
}

// sessionCookie is the name of the session cookie.
func (s *Server) sessionCookie() string {
	if s.secureCookies() {
		return "__Host-herald_session"
	}
	return "herald_session"
}

func (s *Server) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		Secure: s.secureCookies(), HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		Secure: s.secureCookies(), HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

type loginPage struct {
	consoleBase
	Email, Next, Error string
}

// showLogin serves GET /console/login.
func (s *Server) showLogin(c *fiber.Ctx) error {
	return s.renderLogin(c, fiber.StatusOK, "", "")
}

func (s *Server) renderLogin(c *fiber.Ctx, code int, email, msg string) error {
	nonce := status.RandomToken(24)
	s.setCookie(c, loginCSRFCookie, nonce, loginFormValid)
	d := loginPage{consoleBase: s.consoleBase(c), Email: email, Next: safeNext(c.Query("next", c.FormValue("next"))), Error: msg}
	d.CSRF = s.loginForms.Make(purposeLoginForm, nonce, s.deps.Service.Now().Add(loginFormValid))
	return s.renderConsole(c, code, "console/login.html", d)
}

// safeNext keeps a post-login redirect inside the console.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/console/") || strings.HasPrefix(next, "//") {
		return "/console/"
	}
	return u.RequestURI()
}

// login serves POST /console/login.
func (s *Server) login(c *fiber.Ctx) error {
	nonce, err := s.loginForms.Check(purposeLoginForm, c.FormValue("_csrf"), s.deps.Service.Now())
	if err != nil || !constantEqual(c.Cookies(loginCSRFCookie), nonce) {
		return s.renderLogin(c, fiber.StatusForbidden, "", "The form expired. Please sign in again.")
	}
	email := c.FormValue("email")
	token, _, err := s.deps.Service.Accounts.Login(c.UserContext(), email, c.FormValue("password"), c.IP(), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		code, msg, _ := classify(err)
		if code >= 500 {
			return err
		}
		return s.renderLogin(c, code, status.Cut(email, 254, ""), msg)
	}
	// A new session id at every login: a planted cookie is worthless.
	s.setCookie(c, s.sessionCookie(), token, status.MaxSessionAge)
	s.clearCookie(c, loginCSRFCookie)
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

// logout serves POST /console/logout.
func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.deps.Service.Accounts.Logout(c.UserContext(), c.Cookies(s.sessionCookie())); err != nil {
		return err
	}
	s.clearCookie(c, s.sessionCookie())
	return c.Redirect("/console/login", fiber.StatusSeeOther)
}

// requireSession lets signed-in users through and checks the CSRF token of
// every state-changing request. Others are sent to the login page (GET) or
// refused (other methods).
func (s *Server) requireSession(c *fiber.Ctx) error {
	sess, u, err := s.deps.Service.Accounts.SessionByToken(c.UserContext(), c.Cookies(s.sessionCookie()))
	if err != nil {
		if status.KindOf(err) != status.KindUnauthorized {
			return err
		}
		if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
			return c.Redirect("/console/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return err
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		tok := c.FormValue("_csrf")
		if tok == "" {
			tok = c.Get("X-CSRF-Token")
		}
		if !sess.CheckCSRF(tok) {
			return status.Errorf(status.KindForbidden, "The form is out of date or was not sent by Herald. Reload the page and try again.")
		}
	}
	c.Locals("session", sess)
	c.Locals("user", u)
	c.SetUserContext(status.WithActor(c.UserContext(), status.UserActor(u)))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// requireRole lets through users holding one of roles (admins always).
func requireRole(roles ...status.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, _ := c.Locals("user").(*status.User)
		if u == nil {
			return status.Errorf(status.KindUnauthorized, "Please sign in.")
		}
		if u.Role == status.RoleAdmin {
			return c.Next()
		}
		for _, r := range roles {
			if u.Role == r {
				return c.Next()
			}
		}
		return status.Errorf(status.KindForbidden, "Your role (%s) may not do this.", u.Role)
	}
}

type passwordPage struct {
	consoleBase
	Fields map[string]string
	MinLen int
}

// showPassword serves GET /console/password.
func (s *Server) showPassword(c *fiber.Ctx) error {
	return s.renderConsole(c, fiber.StatusOK, "console/password.html", passwordPage{consoleBase: s.consoleBase(c), MinLen: status.MinPasswordLen})
}

// changePassword serves POST /console/password.
func (s *Server) changePassword(c *fiber.Ctx) error {
	sess := c.Locals("session").(*status.Session)
	err := s.deps.Service.Accounts.ChangePassword(c.UserContext(), sess.UserID, sess.ID, c.FormValue("current"), c.FormValue("password"))
	if status.KindOf(err) == status.KindInvalid {
		_, _, fields := classify(err)
		return s.renderConsole(c, fiber.StatusUnprocessableEntity, "console/password.html",
			passwordPage{consoleBase: s.consoleBase(c), Fields: fields, MinLen: status.MinPasswordLen})
	}
	if err != nil {
		return err
	}
	d := passwordPage{consoleBase: s.consoleBase(c), MinLen: status.MinPasswordLen}
	d.Flash = "Your password was changed. Other sessions were signed out."
	return s.renderConsole(c, fiber.StatusOK, "console/password.html", d)
}

func (s *Server) renderConsole(c *fiber.Ctx, code int, name string, data any) error {
	b, err := s.snapshots.render.set.Render(name, data)
	if err != nil {
		return err
	}
	setHTMLSecurityHeaders(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, htmlType)
	return c.Status(code).Send(b)
}

func constantEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
