package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// timeView formats times for the admin screens: in the console's zone (or
// a page's) with the zone shown, and relative to the moment the page was
// made.
type timeView struct {
	now time.Time
	loc *time.Location
}

// timeView shows times in the console's zone.
func (s *Server) timeView(c *fiber.Ctx) timeView {
	return timeView{now: s.deps.Service.Now(), loc: s.consoleLoc(c)}
}

func timeOf(t any) (time.Time, bool) {
	switch v := t.(type) {
	case time.Time:
		return v, true
	case *time.Time:
		if v != nil {
			return *v, true
		}
	}
	return time.Time{}, false
}

// At formats t (a time.Time or *time.Time) for people, in the view's
// zone: "Dec 7, 2026 12:20 CET".
func (v timeView) At(t any) string {
	if tt, ok := timeOf(t); ok {
		return tt.In(v.loc).Format(status.PeopleTime)
	}
	return ""
}

// Exact is At with seconds: "Dec 7, 2026 12:20:05 CET".
func (v timeView) Exact(t any) string {
	if tt, ok := timeOf(t); ok {
		return tt.In(v.loc).Format("Jan 2, 2006 15:04:05 MST")
	}
	return ""
}

// Ago says how long before the page t was: "just now", "5 minutes ago".
func (v timeView) Ago(t any) string {
	tt, ok := timeOf(t)
	if !ok {
		return ""
	}
	d := v.now.Sub(tt)
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, unit)
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute")
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour")
	}
	return plural(int(d.Hours()/24), "day")
}

// fieldsOf returns the per-field messages of a validation or conflict
// error that a form shows beside its fields, or nil for other errors.
func fieldsOf(err error) map[string]string {
	k := status.KindOf(err)
	if k != status.KindInvalid && k != status.KindConflict {
		return nil
	}
	_, _, fields := classify(err)
	return fields
}

type usersPage struct {
	consoleBase
	timeView
	Users []*status.User
}

// showUsers serves GET /console/users.
func (s *Server) showUsers(c *fiber.Ctx) error {
	users, err := s.deps.Service.Accounts.Users(c.UserContext())
	if err != nil {
		return err
	}
	return s.renderConsole(c, fiber.StatusOK, "console/users.html", usersPage{consoleBase: s.consoleBase(c), timeView: s.timeView(c), Users: users})
}

// userPage is the form to add a user (Edit nil) or to change one.
type userPage struct {
	consoleBase
	timeView
	Edit     *status.User
	Form     url.Values
	Fields   map[string]string
	Error    string
	Roles    []status.Role
	MinLen   int
	Password string // a new password, shown this once
}

// Value returns the submitted value of a form field.
func (d userPage) Value(name string) string { return d.Form.Get(name) }

// RoleChosen reports whether the form holds a valid role, so an invalid
// one is not silently shown as the first choice.
func (d userPage) RoleChosen() bool { return status.Role(d.Value("role")).Valid() }

func (s *Server) renderUser(c *fiber.Ctx, code int, d userPage) error {
	flash := d.Flash
	d.consoleBase, d.timeView, d.Roles, d.MinLen = s.consoleBase(c), s.timeView(c), status.Roles, status.MinPasswordLen
	d.Flash = flash
	if d.Form == nil && d.Edit != nil {
		d.Form = userForm(d.Edit)
	}
	return s.renderConsole(c, code, "console/user.html", d)
}

func userForm(u *status.User) url.Values {
	f := url.Values{"name": {u.Name}, "role": {string(u.Role)}}
	if u.Disabled() {
		f.Set("disabled", "1")
	}
	if u.AccountManagement {
		f.Set("account_management", "1")
	}
	return f
}

// showNewUser serves GET /console/users/new.
func (s *Server) showNewUser(c *fiber.Ctx) error {
	return s.renderUser(c, fiber.StatusOK, userPage{Form: url.Values{"role": {string(status.RoleEngineer)}}})
}

// addUser serves POST /console/users. Without a typed password, Herald
// makes one up and shows it once.
func (s *Server) addUser(c *fiber.Ctx) error {
	form := formValues(c)
	pw, generated := form.Get("password"), ""
	if pw == "" {
		pw = status.RandomToken(18)
		generated = pw
	}
	u, err := s.deps.Service.Accounts.CreateUser(c.UserContext(), status.UserInput{Email: form.Get("email"), Name: form.Get("name"),
		Role: status.Role(form.Get("role")), Password: pw})
	if fields := fieldsOf(err); fields != nil {
		form.Del("password")
		return s.renderUser(c, fiber.StatusUnprocessableEntity, userPage{Form: form, Fields: fields, Error: status.Message(err)})
	}
	if err != nil {
		return err
	}
	d := userPage{Edit: u, Password: generated}
	d.Flash = "Added " + u.Email + "."
	return s.renderUser(c, fiber.StatusOK, d)
}

// showUser serves GET /console/users/:id.
func (s *Server) showUser(c *fiber.Ctx) error {
	u, err := s.deps.Service.Accounts.UserByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.renderUser(c, fiber.StatusOK, userPage{Edit: u})
}

// saveUser serves POST /console/users/:id: name, role and whether the
// user may sign in.
func (s *Server) saveUser(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u, err := s.deps.Service.Accounts.UserByID(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	form := formValues(c)
	name, role, disabled := form.Get("name"), status.Role(form.Get("role")), form.Get("disabled") != ""
	am := form.Get("account_management") != ""
	updated, err := s.deps.Service.Accounts.UpdateUser(ctx, u.ID, status.UserPatch{Name: &name, Role: &role, Disabled: &disabled,
		AccountManagement: &am})
	if fields := fieldsOf(err); fields != nil {
		return s.renderUser(c, fiber.StatusUnprocessableEntity, userPage{Edit: u, Form: form, Fields: fields, Error: status.Message(err)})
	}
	if err != nil {
		return err
	}
	d := userPage{Edit: updated}
	d.Flash = "Saved."
	return s.renderUser(c, fiber.StatusOK, d)
}

// resetUserPassword serves POST /console/users/:id/password.
func (s *Server) resetUserPassword(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pw, err := s.deps.Service.Accounts.ResetPassword(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	u, err := s.deps.Service.Accounts.UserByID(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	d := userPage{Edit: u, Password: pw}
	d.Flash = "The password was reset and " + u.Email + " was signed out everywhere."
	return s.renderUser(c, fiber.StatusOK, d)
}

type tokensPage struct {
	consoleBase
	timeView
	Tokens   []*status.APIToken
	Roles    []status.Role
	Form     url.Values
	Fields   map[string]string
	NewToken string // the clear token, shown this once
	NewName  string
}

// Value returns the submitted value of a form field.
func (d tokensPage) Value(name string) string { return d.Form.Get(name) }

// RoleChosen reports whether the form holds a valid role.
func (d tokensPage) RoleChosen() bool { return status.Role(d.Value("role")).Valid() }

func (s *Server) renderTokens(c *fiber.Ctx, code int, d tokensPage) error {
	tokens, err := s.deps.Service.Accounts.Tokens(c.UserContext())
	if err != nil {
		return err
	}
	d.consoleBase, d.timeView, d.Tokens, d.Roles = s.consoleBase(c), s.timeView(c), tokens, status.Roles
	if d.Form == nil {
		d.Form = url.Values{"role": {string(status.RoleViewer)}}
	}
	return s.renderConsole(c, code, "console/tokens.html", d)
}

// showTokens serves GET /console/tokens.
func (s *Server) showTokens(c *fiber.Ctx) error {
	return s.renderTokens(c, fiber.StatusOK, tokensPage{})
}

// addToken serves POST /console/tokens. The answer shows the clear token,
// the only time anyone sees it.
func (s *Server) addToken(c *fiber.Ctx) error {
	form := formValues(c)
	clear, t, err := s.deps.Service.Accounts.CreateToken(c.UserContext(), form.Get("name"), status.Role(form.Get("role")))
	if fields := fieldsOf(err); fields != nil {
		return s.renderTokens(c, fiber.StatusUnprocessableEntity, tokensPage{Form: form, Fields: fields})
	}
	if err != nil {
		return err
	}
	return s.renderTokens(c, fiber.StatusOK, tokensPage{NewToken: clear, NewName: t.Name})
}

// revokeToken serves POST /console/tokens/:id/revoke.
func (s *Server) revokeToken(c *fiber.Ctx) error {
	if err := s.deps.Service.Accounts.RevokeToken(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.Redirect("/console/tokens", fiber.StatusSeeOther)
}

// auditPageSize is how many audit entries one page shows.
const auditPageSize = 50

type auditPage struct {
	consoleBase
	timeView
	Entries      []auditView
	Form         url.Values
	Fields       map[string]string
	Older        string // link to the next older entries; "" at the end
	SubjectTypes []string
}

// Value returns the submitted value of a filter field.
func (d auditPage) Value(name string) string { return d.Form.Get(name) }

// auditView is an audit entry as the audit page shows it.
type auditView struct {
	*status.AuditEntry
	Link       string // the subject in the console; "" when it has no page
	Changes    []fieldChange
	BeforeJSON string
	AfterJSON  string
}

// fieldChange is one top-level field that a change set, changed or removed.
type fieldChange struct {
	Field, Before, After string
}

var subjectTypePattern = regexp.MustCompile(`^[a-z_]{1,40}$`)

// showAudit serves GET /console/audit?subject_type=&subject_id=&actor=&before=.
func (s *Server) showAudit(c *fiber.Ctx) error {
	form := url.Values{}
	for _, k := range []string{"subject_type", "subject_id", "actor", "before"} {
		if v := c.Query(k); v != "" {
			form.Set(k, v)
		}
	}
	d := auditPage{consoleBase: s.consoleBase(c), timeView: s.timeView(c), Form: form,
		SubjectTypes: []string{"user", "token", "page", "group", "component", "incident", "maintenance"}}
	f := status.FieldErrors{}
	if v := form.Get("subject_type"); v != "" && !subjectTypePattern.MatchString(v) {
		f.Add("subject_type", "must be a subject type such as incident or user")
	}
	for _, k := range []string{"subject_id", "actor", "before"} {
		if v := form.Get(k); v != "" && !status.ValidID(v) {
			f.Add(k, "is not a valid id")
		}
	}
	if len(f) > 0 {
		d.Fields = f
		return s.renderConsole(c, fiber.StatusUnprocessableEntity, "console/audit.html", d)
	}
	entries, err := s.deps.Service.AuditLog(c.UserContext(), status.AuditFilter{SubjectType: form.Get("subject_type"),
		SubjectID: form.Get("subject_id"), ActorID: form.Get("actor"), Before: form.Get("before"), Limit: auditPageSize})
	if err != nil {
		return err
	}
	for _, e := range entries {
		d.Entries = append(d.Entries, newAuditView(e))
	}
	if len(entries) == auditPageSize {
		older := url.Values{}
		for k, v := range form {
			older[k] = v
		}
		older.Set("before", entries[len(entries)-1].ID)
		d.Older = "/console/audit?" + older.Encode()
	}
	return s.renderConsole(c, fiber.StatusOK, "console/audit.html", d)
}

func newAuditView(e *status.AuditEntry) auditView {
	v := auditView{AuditEntry: e, Changes: diffJSON(e.Before, e.After), BeforeJSON: indentJSON(e.Before), AfterJSON: indentJSON(e.After)}
	if status.ValidID(e.SubjectID) {
		switch e.SubjectType {
		case "incident":
			if status.ValidID(e.PageID) {
				v.Link = "/console/pages/" + e.PageID + "/incidents/" + e.SubjectID
			}
		case "user":
			v.Link = "/console/users/" + e.SubjectID
		case "token":
			v.Link = "/console/tokens"
		}
	}
	return v
}

// diffJSON lists the top-level keys of two JSON objects whose values
// differ, in key order. A side that is empty counts as an object without
// keys (a creation or deletion), and a key only one side has is left out
// when its value is empty; if either side is not an object, the whole
// values are compared.
func diffJSON(before, after string) []fieldChange {
	b, bok := topLevel(before)
	a, aok := topLevel(after)
	if !bok || !aok {
		if before == after {
			return nil
		}
		return []fieldChange{{Field: "(value)", Before: shortValue(json.RawMessage(before), before != ""), After: shortValue(json.RawMessage(after), after != "")}}
	}
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []fieldChange
	for k := range keys {
		bv, inB := b[k]
		av, inA := a[k]
		if (inB && inA && compactEqual(bv, av)) || (!inB && emptyJSON(av)) || (!inA && emptyJSON(bv)) {
			continue
		}
		out = append(out, fieldChange{Field: k, Before: shortValue(bv, inB), After: shortValue(av, inA)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func topLevel(doc string) (map[string]json.RawMessage, bool) {
	if doc == "" {
		return map[string]json.RawMessage{}, true
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// emptyJSON reports whether raw is null, "", [] or {}.
func emptyJSON(raw json.RawMessage) bool {
	var c bytes.Buffer
	if json.Compact(&c, raw) != nil {
		return false
	}
	switch c.String() {
	case "null", `""`, "[]", "{}":
		return true
	}
	return false
}

func compactEqual(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// shortValue shows a JSON value for the diff: strings without quotes,
// anything else as JSON, cut to a readable length.
func shortValue(raw json.RawMessage, present bool) string {
	if !present {
		return "–"
	}
	var str string
	out := string(raw)
	switch {
	case string(raw) == "null":
		out = "(none)"
	case json.Unmarshal(raw, &str) == nil:
		out = str
		if str == "" {
			out = "(empty)"
		}
	}
	const limit = 300
	if utf8.RuneCountInString(out) > limit {
		out = string([]rune(out)[:limit]) + "…"
	}
	return out
}

func indentJSON(doc string) string {
	if doc == "" {
		return ""
	}
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(doc), "", "  ") != nil {
		return doc
	}
	return buf.String()
}
