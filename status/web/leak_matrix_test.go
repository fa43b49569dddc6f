package web_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/web"
)

// leakOutput is one thing Herald shows or sends, as one audience gets it.
type leakOutput struct {
	name     string
	audience leakAudience
	fetch    func() []byte
	path     string // an HTTP output's request path, for the route walk
	kind     string // an email output's kind, for the kind walk
}

// leakRouteExclusions are the GET routes the matrix does not render, each
// with why; none shows the world's content to anyone outside the team.
// The subscription token flows (confirm, manage, unsubscribe) have rows;
// /hooks has no GET route and Herald serves no /metrics.
var leakRouteExclusions = []struct{ prefix, why string }{
	{"/console", "the team's console, behind a session: its pages that show markers are rows for the team"},
	{"/api/v1", "the admin API, behind a bearer token: the team's (its incidents are rows for the team)"},
	{"/static", "embedded CSS, icons and scripts: no data"},
	{"/healthz", "liveness: says up, nothing else"},
	{"/readyz", "readiness: database, migrations and snapshots, no content"},
}

// leakTeamEmailKinds are the email kinds that reach the team only, so the
// matrix has no row for them.
var leakTeamEmailKinds = map[string]string{
	"internal":           "cadence reminders, escalation and reply notices to the incident's role holders and Account Management, security notices to the information-security officer, confirmation requests to a team member",
	"forward":            "intake dismissed as not an incident, forwarded to the team's service desk",
	"forward_taken_back": "the note telling the team's service desk that a forwarded intake item was taken back",
}

// TestLeakMatrixShowsEachAudienceOnlyWhatItMaySee proves README's "Who sees
// what" over every output at once. The world holds a unique marker in
// every place content lives, each tagged with the audiences allowed to see
// it; the test renders every output for its audience: the public page by
// host and by path, every incident and maintenance page, all history pages,
// the Statuspage v2 JSON, feeds, badge, subscription pages, subscriber
// emails, each customer's contact emails, private links and
// acknowledgements, a stranger's acknowledgement, and the team's console
// and admin API. No marker may appear in an output of an audience it is not
// for, and each must appear in an output of one it is for, so an output
// that renders nothing cannot pass. A public GET route or an email kind
// reaching outsiders without a row fails too.
func TestLeakMatrixShowsEachAudienceOnlyWhatItMaySee(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		w := newLeakWorld(t, bdb)
		outs := w.outputs(t)
		bodies := make([][]byte, len(outs))
		for i, o := range outs {
			bodies[i] = o.fetch()
			require.NotEmpty(t, bodies[i], o.name)
		}
		t.Logf("%d outputs for %d audiences × %d markers: %d checks", len(outs), len(mayAll), len(w.markers), len(outs)*len(w.markers))

		t.Run("every public GET route has a row", func(t *testing.T) {
			requireRoutesCovered(t, w.b.srv, outs)
		})
		t.Run("every email kind reaching outsiders has a row", func(t *testing.T) {
			requireEmailKindsCovered(t, outs)
		})
		t.Run("no marker reaches an audience that may not see it", func(t *testing.T) {
			leaks := leaksOf(w.markers, outs, bodies)
			require.Empty(t, leaks, "%d leaks:\n%s", len(leaks), strings.Join(leaks, "\n"))
		})
		t.Run("every marker reaches an audience that may see it", func(t *testing.T) {
			missing := unseenOf(w.markers, outs, bodies)
			require.Empty(t, missing, "markers shown nowhere they should be:\n%s", strings.Join(missing, "\n"))
		})
	})
}

// leaksOf describes each marker found in an output of an audience it is
// not for.
func leaksOf(markers []leakMarker, outs []leakOutput, bodies [][]byte) []string {
	var leaks []string
	for i, o := range outs {
		for _, m := range markers {
			if at := bytes.Index(bodies[i], []byte(m.text)); at >= 0 && !slices.Contains(m.may, o.audience) {
				leaks = append(leaks, fmt.Sprintf("%s (read by %s) shows %s %q: …%s…", o.name, o.audience, m.what, m.text,
					around(bodies[i], at, len(m.text))))
			}
		}
	}
	return leaks
}

// unseenOf describes each marker in no output of an audience that may see
// it, or of one that must.
func unseenOf(markers []leakMarker, outs []leakOutput, bodies [][]byte) []string {
	seen := map[string]map[leakAudience]bool{}
	for _, m := range markers {
		seen[m.text] = map[leakAudience]bool{}
		for i, o := range outs {
			if bytes.Contains(bodies[i], []byte(m.text)) {
				seen[m.text][o.audience] = true
			}
		}
	}
	var missing []string
	for _, m := range markers {
		if len(m.must) == 0 && !slices.ContainsFunc(m.may, func(a leakAudience) bool { return seen[m.text][a] }) {
			missing = append(missing, fmt.Sprintf("%s %q: in no output of %v", m.what, m.text, m.may))
		}
		for _, a := range m.must {
			if !seen[m.text][a] {
				missing = append(missing, fmt.Sprintf("%s %q: in no output of %s", m.what, m.text, a))
			}
		}
	}
	return missing
}

// around is the text around a match, for failure messages.
func around(body []byte, at, n int) string {
	return strings.ReplaceAll(string(body[max(0, at-100):min(len(body), at+n+100)]), "\n", "⏎")
}

// leakRoots are the two ways to address the world's page.
var leakRoots = []struct{ name, host, prefix string }{
	{"by host", leakHost, ""},
	{"by slug", "herald.example.org", "/p/leak"},
}

// outputs lists every output of the world, each for its audience.
func (w *leakWorld) outputs(t *testing.T) []leakOutput {
	t.Helper()
	var outs []leakOutput
	for _, root := range leakRoots {
		outs = append(outs, w.publicOutputs(t, root.name, root.host, root.prefix)...)
		outs = append(outs, w.privateLinks(t, root.name, root.host, root.prefix)...)
	}
	outs = append(outs, w.emailOutputs(t)...)
	outs = append(outs, w.consoleOutputs(t)...)
	return append(outs, w.adminAPIOutputs(t)...)
}

// publicOutputs are the public URLs of the page under one root: every
// incident's and maintenance's page (non-public incidents must be not
// found), every history page and the one after, the v2 documents and an
// unknown one, feeds, badge and the subscription pages.
func (w *leakWorld) publicOutputs(t *testing.T, rootName, host, prefix string) []leakOutput {
	var outs []leakOutput
	public := func(name, path string, code int) {
		outs = append(outs, w.httpOutput(t, rootName+" "+name, audiencePublic, host, prefix+path, code))
	}
	public("status page", "/", http.StatusOK)
	for _, inc := range w.incidents {
		code := http.StatusNotFound
		if w.visibility(t, inc) == status.VisibilityPublic {
			code = http.StatusOK
		}
		public("incident page of "+inc.Title, "/incidents/"+inc.ID, code)
	}
	public("maintenance page", "/maintenance/"+w.maint.ID, http.StatusOK)
	n := w.historyPages(t)
	public("history", "/history", http.StatusOK)
	for p := 2; p <= n+1; p++ {
		code := http.StatusOK
		if p > n {
			code = http.StatusNotFound
		}
		public(fmt.Sprintf("history page %d", p), fmt.Sprintf("/history?page=%d", p), code)
	}
	for _, doc := range []string{"summary.json", "status.json", "components.json", "incidents.json",
		"incidents/unresolved.json", "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json",
		"scheduled-maintenances/active.json"} {
		public("v2 "+doc, "/api/v2/"+doc, http.StatusOK)
	}
	public("v2 unknown document", "/api/v2/no-such-document.json", http.StatusNotFound)
	public("Atom feed", "/history.atom", http.StatusOK)
	public("RSS feed", "/history.rss", http.StatusOK)
	public("badge", "/badge.svg", http.StatusOK)
	public("subscribe form", "/subscribe", http.StatusOK)
	public("confirm link", w.confirmPath(t), http.StatusOK)
	for _, s := range w.confirmed {
		public("manage link of "+s.Email, pathOf(t, w.subs.ManageURL(w.base, w.page, s)), http.StatusOK)
		public("unsubscribe link of "+s.Email, pathOf(t, w.subs.UnsubscribeURL(w.base, w.page, s)), http.StatusOK)
	}
	return outs
}

// httpOutput is the answer to GET host path, which must have the code.
func (w *leakWorld) httpOutput(t *testing.T, name string, a leakAudience, host, path string, code int) leakOutput {
	return leakOutput{name: name, audience: a, path: path, fetch: func() []byte {
		t.Helper()
		rep := w.b.get(t, host, path)
		require.Equal(t, code, rep.Code, "%s: GET %s%s: %s", name, host, path, excerpt(rep.String()))
		return rep.Body
	}}
}

// privateLinks are each customer's private link to each incident: the
// page for the incidents the customer is linked to and that are not
// internal, a 404 for the others.
func (w *leakWorld) privateLinks(t *testing.T, rootName, host, prefix string) []leakOutput {
	var outs []leakOutput
	for _, c := range []struct {
		cust *status.Customer
		a    leakAudience
	}{{w.custA, audienceA}, {w.custB, audienceB}} {
		for _, inc := range w.incidents {
			code := http.StatusNotFound
			if slices.Contains(w.linked[c.cust.ID], inc.ID) && w.visibility(t, inc) != status.VisibilityInternal {
				code = http.StatusOK
			}
			link := comms.PrivateIncidentURL(w.tokens, w.base, w.page, inc.ID, c.cust.ID, w.b.clock.Now())
			outs = append(outs, w.httpOutput(t, fmt.Sprintf("%s %s's private link to %s", rootName, c.a, inc.Title), c.a,
				host, prefix+pathOf(t, link), code))
		}
	}
	return outs
}

// emailOutputs are the emails in the outbox, one output per kind and
// recipient. Every recipient must be one the world knows the audience of.
func (w *leakWorld) emailOutputs(t *testing.T) []leakOutput {
	var es []*comms.Email
	require.NoError(t, w.b.db.NewSelect().Model(&es).Order("created_at", "id").Scan(w.b.ctx))
	type key struct{ kind, to string }
	groups := map[key][]*comms.Email{}
	var keys []key
	for _, e := range es {
		k := key{e.Kind, strings.ToLower(e.To)}
		_, known := w.audienceOf[k.to]
		require.True(t, known, "a %s email went to %s, whom the matrix does not know", e.Kind, e.To)
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], e)
	}
	outs := make([]leakOutput, len(keys))
	for i, k := range keys {
		outs[i] = leakOutput{name: fmt.Sprintf("%s emails to %s", k.kind, k.to), audience: w.audienceOf[k.to], kind: k.kind,
			fetch: func() []byte {
				var b bytes.Buffer
				for _, e := range groups[k] {
					fmt.Fprintf(&b, "To: %s\nReply-To: %s\nSubject: %s\nMessage-ID: %s\nIn-Reply-To: %s\nList-Unsubscribe: %s\n\n%s\n\n%s\n\n",
						e.To, e.ReplyTo, e.Subject, e.MessageID, e.InReplyTo, e.UnsubscribeURL, e.Text, e.HTML)
				}
				return b.Bytes()
			}}
	}
	return outs
}

// consoleOutputs are the team's console pages that show the world.
func (w *leakWorld) consoleOutputs(t *testing.T) []leakOutput {
	br := customerBrowser(t, w.b, status.RoleAdmin)
	pid := w.page.ID
	paths := []string{"/console/pages/" + pid, "/console/pages/" + pid + "/maintenance/" + w.maint.ID,
		"/console/customers/" + w.custA.ID, "/console/customers/" + w.custB.ID, "/console/templates/" + w.template.ID,
		"/console/inbox/" + w.intake.ID, "/console/users", "/console/tokens",
		"/console/inbox/" + w.takenBack.ID, "/console/customers/search?q=zqcustomer", "/console/customers/search?q=0711+4242+9001"}
	for _, inc := range w.incidents {
		paths = append(paths, "/console/pages/"+pid+"/incidents/"+inc.ID)
	}
	outs := make([]leakOutput, len(paths))
	for i, path := range paths {
		outs[i] = leakOutput{name: "console " + path, audience: audienceTeam, path: path, fetch: func() []byte {
			t.Helper()
			r := br.send(http.MethodGet, path, nil)
			require.Equal(t, http.StatusOK, r.Code, "console %s: %s", path, excerpt(r.String()))
			return r.Body
		}}
	}
	return outs
}

// adminAPIOutputs are the admin API's incidents and customers, the
// team's too.
func (w *leakWorld) adminAPIOutputs(t *testing.T) []leakOutput {
	paths := []string{"/api/v1/customers", "/api/v1/customers/" + w.custA.ID}
	for _, inc := range w.incidents {
		paths = append(paths, "/api/v1/pages/"+w.page.ID+"/incidents/"+inc.ID)
	}
	outs := make([]leakOutput, len(paths))
	for i, path := range paths {
		outs[i] = leakOutput{name: "admin API " + path, audience: audienceTeam, path: path, fetch: func() []byte {
			t.Helper()
			r := w.b.do(t, apiRequest(http.MethodGet, path, w.apiToken, nil))
			require.Equal(t, http.StatusOK, r.Code, "admin API %s: %s", path, excerpt(r.String()))
			return r.Body
		}}
	}
	return outs
}

// visibility is the incident's visibility now.
func (w *leakWorld) visibility(t *testing.T, inc *status.Incident) status.Visibility {
	cur, err := w.b.svc.Incidents.ByID(w.b.ctx, w.page.ID, inc.ID)
	require.NoError(t, err)
	return cur.Visibility
}

var leakOlder = regexp.MustCompile(`/history\?page=(\d+)" rel="next"`)

// historyPages follows the history's "Older" links and returns how many
// pages there are; the world fills more than one.
func (w *leakWorld) historyPages(t *testing.T) int {
	n := 1
	for {
		r := w.b.get(t, leakHost, fmt.Sprintf("/history?page=%d", n))
		require.Equal(t, http.StatusOK, r.Code)
		m := leakOlder.FindSubmatch(r.Body)
		if m == nil {
			break
		}
		require.Equal(t, strconv.Itoa(n+1), string(m[1]))
		n++
	}
	require.GreaterOrEqual(t, n, 2, "the world's history fills more than one page")
	return n
}

var leakConfirmLink = regexp.MustCompile(`https://` + regexp.QuoteMeta(leakHost) + `(/subscribe/confirm/[A-Za-z0-9_.-]+)`)

// confirmPath is the path of the link in the pending subscriber's
// confirmation email.
func (w *leakWorld) confirmPath(t *testing.T) string {
	var e comms.Email
	require.NoError(t, w.b.db.NewSelect().Model(&e).Where("to_addr = ? AND kind = ?", w.pendingSubscriber, "subscription_confirm").
		Limit(1).Scan(w.b.ctx))
	m := leakConfirmLink.FindStringSubmatch(e.Text)
	require.NotNil(t, m, "no confirm link in %s", e.Text)
	return m[1]
}

// pathOf is the path of an absolute link.
func pathOf(t *testing.T, link string) string {
	u, err := url.Parse(link)
	require.NoError(t, err)
	return u.Path
}

// requireRoutesCovered walks the app's GET routes: each must be excluded
// on purpose or match the path of a row.
func requireRoutesCovered(t *testing.T, srv *web.Server, outs []leakOutput) {
	used := map[string]bool{}
	var uncovered []string
	for _, r := range srv.App().GetRoutes(true) {
		if r.Method != http.MethodGet {
			continue
		}
		excluded := false
		for _, x := range leakRouteExclusions {
			if r.Path == x.prefix || strings.HasPrefix(r.Path, x.prefix+"/") {
				excluded, used[x.prefix] = true, true
			}
		}
		pattern := routePattern(r.Path)
		if excluded || slices.ContainsFunc(outs, func(o leakOutput) bool {
			path, _, _ := strings.Cut(o.path, "?")
			return o.path != "" && pattern.MatchString(path)
		}) {
			continue
		}
		uncovered = append(uncovered, r.Path)
	}
	require.Empty(t, uncovered, "GET routes without a row in the leak matrix (add one, or an exclusion saying why)")
	for _, x := range leakRouteExclusions {
		require.True(t, used[x.prefix], "the exclusion %s (%s) matches no route any more: remove it", x.prefix, x.why)
	}
}

// routePattern matches the paths a Fiber route path serves.
func routePattern(route string) *regexp.Regexp {
	parts := strings.Split(strings.TrimSuffix(route, "/"), "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, ":"):
			parts[i] = "[^/]+"
		case p == "*":
			parts[i] = ".*"
		default:
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return regexp.MustCompile("^" + strings.Join(parts, "/") + "/?$")
}

// requireEmailKindsCovered reads comms' email kinds from its source: each
// that reaches people outside the team must have a row.
func requireEmailKindsCovered(t *testing.T, outs []leakOutput) {
	kinds := commsEmailKinds(t)
	for k, why := range leakTeamEmailKinds {
		require.Contains(t, kinds, k, "the team-only kind %q (%s) is no longer sent: remove it", k, why)
	}
	var missing []string
	for _, k := range kinds {
		if _, team := leakTeamEmailKinds[k]; !team && !slices.ContainsFunc(outs, func(o leakOutput) bool { return o.kind == k }) {
			missing = append(missing, k)
		}
	}
	require.Empty(t, missing, "email kinds reaching people outside the team with no row (make the world send one): found %v", kinds)
}

// commsEmailKinds returns the kind of every email comms composes: the Kind
// of each Email literal (a string or a string constant) and the kind of
// each notice literal, for the emails that take theirs from a notice.
func commsEmailKinds(t *testing.T) []string {
	fset, files, consts := parseComms(t)
	var kinds []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if typ, _ := lit.Type.(*ast.Ident); typ == nil || (typ.Name != "Email" && typ.Name != "notice") {
				return true
			}
			for _, e := range lit.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if key, _ := kv.Key.(*ast.Ident); !ok || key == nil || !strings.EqualFold(key.Name, "kind") {
					continue
				}
				if kind, ok := kindOf(t, fset, kv.Value, consts); ok && !slices.Contains(kinds, kind) {
					kinds = append(kinds, kind)
				}
			}
			return true
		})
	}
	slices.Sort(kinds)
	return kinds
}

// kindOf reads the kind an email or notice literal sets: ok is false for
// an Email taking its notice's kind (read from the notice literals).
func kindOf(t *testing.T, fset *token.FileSet, v ast.Expr, consts map[string]string) (kind string, ok bool) {
	pos := fset.Position(v.Pos())
	switch v := v.(type) {
	case *ast.BasicLit:
		kind, err := strconv.Unquote(v.Value)
		require.NoError(t, err, pos)
		return kind, true
	case *ast.Ident:
		kind, ok := consts[v.Name]
		require.True(t, ok, "%s: email kind %s is no string constant of comms", pos, v.Name)
		return kind, true
	case *ast.SelectorExpr:
		require.Equal(t, "kind", v.Sel.Name, "%s: the leak matrix cannot read this email kind", pos)
		return "", false
	}
	require.Fail(t, "the leak matrix cannot read this email kind", pos)
	return "", false
}

// parseComms parses comms' non-test source and collects its string
// constants.
func parseComms(t *testing.T) (*token.FileSet, []*ast.File, map[string]string) {
	names, err := filepath.Glob(filepath.Join("..", "..", "comms", "*.go"))
	require.NoError(t, err)
	fset, consts := token.NewFileSet(), map[string]string{}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		files = append(files, f)
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if lit, ok := valueAt(vs, i).(*ast.BasicLit); ok && lit.Kind == token.STRING {
						consts[id.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	require.NotEmpty(t, files, "comms' source not found")
	return fset, files, consts
}

func valueAt(vs *ast.ValueSpec, i int) ast.Expr {
	if i < len(vs.Values) {
		return vs.Values[i]
	}
	return nil
}
