package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// obj is a JSON object under construction.
type obj map[string]any

// with returns a copy of o with k set to v.
func (o obj) with(k string, v any) obj {
	out := obj{}
	for key, val := range o {
		out[key] = val
	}
	out[k] = v
	return out
}

// without returns a copy of o without k.
func (o obj) without(k string) obj {
	out := obj{}
	for key, val := range o {
		if key != k {
			out[key] = val
		}
	}
	return out
}

// raw is a request body sent byte for byte.
type raw string

// badInput is one request the admin API must refuse.
type badInput struct {
	name        string
	body        any    // obj (as JSON), raw (as is) or nil
	contentType string // default application/json
	code        int
	field       string // the field the error must name, if any
}

// inputEndpoint is a POST, PUT or PATCH route with a body it accepts.
type inputEndpoint struct {
	method, path string
	valid        obj
	cases        []badInput
	// optional are string fields the valid body leaves out; like every
	// string field of the valid body they are probed with a NUL byte.
	optional []string
}

// nulCases set each string field to text with a NUL byte, which the
// database drivers refuse: it must be a 422 naming the field, never a 500.
func nulCases(ep inputEndpoint) []badInput {
	var out []badInput
	keys := append([]string{}, ep.optional...)
	for k, v := range ep.valid {
		if _, ok := v.(string); ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		out = append(out, badInput{name: "NUL byte in " + k, body: ep.valid.with(k, "x\u0000y"), code: 422, field: k})
	}
	return out
}

// genericCases are refused by every endpoint that reads a JSON body.
func genericCases(valid obj) []badInput {
	validJSON, _ := json.Marshal(valid)
	huge := valid.with("description", strings.Repeat("a", 64*1024))
	hugeJSON, _ := json.Marshal(huge)
	return []badInput{
		{name: "body over 64 KiB", body: raw(hugeJSON), code: http.StatusRequestEntityTooLarge},
		{name: "invalid UTF-8", body: raw(`{"title":"caf` + "\xe9" + `","name":"caf` + "\xff\xfe" + `"}`), code: http.StatusBadRequest},
		{name: "malformed JSON", body: raw(`{"name": "x",`), code: http.StatusBadRequest},
		{name: "trailing garbage", body: raw(string(validJSON) + ` {"more":1}`), code: http.StatusBadRequest},
		{name: "single quotes", body: raw(`{'name': 'x'}`), code: http.StatusBadRequest},
		{name: "empty body", body: raw(""), code: http.StatusBadRequest},
		{name: "whitespace body", body: raw("  \n\t "), code: http.StatusBadRequest},
		{name: "JSON array", body: raw(`[` + string(validJSON) + `]`), code: http.StatusBadRequest},
		{name: "JSON string", body: raw(`"hello"`), code: http.StatusBadRequest},
		{name: "JSON number", body: raw(`42`), code: http.StatusBadRequest},
		{name: "deeply nested", body: raw(strings.Repeat("[", 20000) + strings.Repeat("]", 20000)), code: http.StatusBadRequest},
		{name: "wrong content type", body: raw(validJSON), contentType: "text/plain", code: http.StatusUnsupportedMediaType},
		{name: "form content type", body: raw("name=x"), contentType: "application/x-www-form-urlencoded", code: http.StatusUnsupportedMediaType},
		{name: "no content type", body: raw(validJSON), contentType: "-", code: http.StatusUnsupportedMediaType},
		{name: "unknown field", body: valid.with("nmae", "typo"), code: http.StatusUnprocessableEntity, field: "nmae"},
		{name: "field in the wrong case", body: valid.with("Slug", "x").with("Title", "x").with("Name", "x").with("Body", "x"),
			code: http.StatusUnprocessableEntity, field: "Name"},
		{name: "internal field", body: valid.with("page_id", "zzzzzzzzzzzz").with("id", "zzzzzzzzzzzz"),
			code: http.StatusUnprocessableEntity, field: "page_id"},
	}
}

// inputWorld is two pages with one of everything each.
type inputWorld struct {
	a, b      *status.Page
	ga, gb    *status.ComponentGroup
	ca, cb    *status.Component
	ia, ib    *status.Incident
	ma, mb    *status.Maintenance
	now       time.Time
	pages, aP string // "/api/v1/pages", "/api/v1/pages/{a}"
}

func buildInputWorld(t *testing.T, b *adminBundle) *inputWorld {
	t.Helper()
	w := &inputWorld{now: b.clock.Now()}
	w.a = statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "a", Name: "Page A", Hosts: []string{"a.example.com"}})
	w.b = statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "b", Name: "Page B", Hosts: []string{"b.example.com"}})
	w.ga = statustest.Group(t, b.svc, w.a.ID, nil)
	w.gb = statustest.Group(t, b.svc, w.b.ID, nil)
	w.ca = statustest.Component(t, b.svc, w.a.ID, &statustest.ComponentOpts{GroupID: &w.ga.ID})
	w.cb = statustest.Component(t, b.svc, w.b.ID, &statustest.ComponentOpts{GroupID: &w.gb.ID})
	w.ia = statustest.Incident(t, b.svc, w.a.ID, &statustest.IncidentOpts{
		Components: []status.ComponentStatusInput{{ComponentID: w.ca.ID, Status: status.PartialOutage}}})
	w.ib = statustest.Incident(t, b.svc, w.b.ID, nil)
	w.ma = statustest.Maintenance(t, b.svc, w.a.ID, &statustest.MaintenanceOpts{ComponentIDs: []string{w.ca.ID}})
	w.mb = statustest.Maintenance(t, b.svc, w.b.ID, nil)
	w.pages = "/api/v1/pages"
	w.aP = w.pages + "/" + w.a.ID
	return w
}

// state reads everything through the admin API, to prove a refused
// request changed nothing.
func (w *inputWorld) state(t *testing.T, b *adminBundle) string {
	t.Helper()
	var out bytes.Buffer
	out.Write(b.call(t, http.MethodGet, w.pages, nil).Body)
	for _, p := range []*status.Page{w.a, w.b} {
		for _, sub := range []string{"", "/groups", "/components", "/incidents", "/maintenances"} {
			r := b.call(t, http.MethodGet, w.pages+"/"+p.ID+sub, nil)
			require.Equal(t, http.StatusOK, r.Code, "body: %s", r.Body)
			out.WriteString("\n" + sub + ": ")
			out.Write(r.Body)
		}
	}
	return out.String()
}

func (w *inputWorld) endpoints() []inputEndpoint {
	future := w.now.Add(time.Hour).Format(time.RFC3339)
	past := w.now.Add(-time.Hour).Format(time.RFC3339)
	unknownID := "zzzzzzzzzzzz"
	aComps := func(id string) []obj { return []obj{{"id": id, "status": "major_outage"}} }
	incA := w.aP + "/incidents/" + w.ia.ID
	mntA := w.aP + "/maintenances/" + w.ma.ID

	page := obj{"slug": "new-page", "name": "New page"}
	group := obj{"name": "New group"}
	comp := obj{"name": "New component"}
	incident := obj{"title": "New incident", "severity": "minor", "visibility": "public", "body": "Looking."}
	update := obj{"body": "An update."}
	mnt := obj{"title": "New maintenance", "description": "Work.", "scheduled_for": future,
		"scheduled_until": w.now.Add(2 * time.Hour).Format(time.RFC3339)}

	return []inputEndpoint{
		{http.MethodPost, w.pages, page, []badInput{
			{name: "missing slug", body: page.without("slug"), code: 422, field: "slug"},
			{name: "missing name", body: page.without("name"), code: 422, field: "name"},
			{name: "null body", body: raw("null"), code: 422, field: "slug"},
			{name: "slug wrong type", body: page.with("slug", 12), code: 422, field: "slug"},
			{name: "hosts wrong type", body: page.with("hosts", "a.example.net"), code: 422, field: "hosts"},
			{name: "hosts item wrong type", body: page.with("hosts", []any{1}), code: 422, field: "hosts"},
			{name: "bad slug", body: page.with("slug", "Bad Slug!"), code: 422, field: "slug"},
			{name: "path in slug", body: page.with("slug", "../admin"), code: 422, field: "slug"},
			{name: "slug taken", body: page.with("slug", "a"), code: 409, field: "slug"},
			{name: "host taken", body: page.with("hosts", []string{"A.example.com"}), code: 409, field: "hosts[0]"},
			{name: "duplicate hosts", body: page.with("hosts", []string{"x.example.net", "x.example.net"}), code: 422, field: "hosts[1]"},
			{name: "bad host", body: page.with("hosts", []string{"http://x.example.net/"}), code: 422, field: "hosts[0]"},
			{name: "NUL in a host", body: page.with("hosts", []string{"x\u0000.example.net"}), code: 422, field: "hosts[0]"},
			{name: "too many hosts", body: page.with("hosts", manyHosts(21)), code: 422, field: "hosts"},
			{name: "bad time zone", body: page.with("time_zone", "Mars/Olympus"), code: 422, field: "time_zone"},
			{name: "local time zone", body: page.with("time_zone", "Local"), code: 422, field: "time_zone"},
			{name: "bad email", body: page.with("support_email", "not an email"), code: 422, field: "support_email"},
			{name: "script URL", body: page.with("support_url", "javascript:alert(1)"), code: 422, field: "support_url"},
			{name: "blank name", body: page.with("name", "  "), code: 422, field: "name"},
			{name: "name too long", body: page.with("name", strings.Repeat("n", 201)), code: 422, field: "name"},
		}, []string{"description", "time_zone", "support_email", "support_url"}},
		{http.MethodPatch, w.aP, obj{"name": "Renamed"}, []badInput{
			{name: "slug of another page", body: obj{"name": "Renamed", "slug": "b"}, code: 409, field: "slug"},
			{name: "host of another page", body: obj{"name": "Renamed", "hosts": []string{"a.example.com", "B.example.com"}},
				code: 409, field: "hosts[1]"},
			{name: "name null", body: obj{"name": nil, "time_zone": "Mars/Olympus"}, code: 422, field: "time_zone"},
			{name: "time zone wrong type", body: obj{"time_zone": 1}, code: 422, field: "time_zone"},
		}, []string{"slug", "description", "time_zone", "support_email", "support_url"}},
		{http.MethodPost, w.aP + "/groups", group, []badInput{
			{name: "missing name", body: group.without("name"), code: 422, field: "name"},
			{name: "position wrong type", body: group.with("position", "1"), code: 422, field: "position"},
			{name: "position not whole", body: group.with("position", 1.5), code: 422, field: "position"},
			{name: "position negative", body: group.with("position", -1), code: 422, field: "position"},
			{name: "position huge", body: group.with("position", 1e30), code: 422, field: "position"},
		}, []string{"description"}},
		{http.MethodPut, w.aP + "/groups/" + w.ga.ID, group, []badInput{
			{name: "missing name", body: group.without("name"), code: 422, field: "name"},
		}, []string{"description"}},
		{http.MethodPost, w.aP + "/components", comp, []badInput{
			{name: "missing name", body: comp.without("name"), code: 422, field: "name"},
			{name: "bad status", body: comp.with("status", "broken"), code: 422, field: "status"},
			{name: "status wrong type", body: comp.with("status", 3), code: 422, field: "status"},
			{name: "group of another page", body: comp.with("group_id", w.gb.ID), code: 422, field: "group_id"},
			{name: "unknown group", body: comp.with("group_id", unknownID), code: 422, field: "group_id"},
			{name: "malformed group id", body: comp.with("group_id", "x' OR '1'='1"), code: 422, field: "group_id"},
			{name: "group id wrong type", body: comp.with("group_id", 5), code: 422, field: "group_id"},
			{name: "hidden wrong type", body: comp.with("hidden", "yes"), code: 422, field: "hidden"},
		}, []string{"description", "group_id"}},
		{http.MethodPatch, w.aP + "/components/" + w.ca.ID, obj{"name": "Renamed"}, []badInput{
			{name: "group of another page", body: obj{"name": "Renamed", "group_id": w.gb.ID}, code: 422, field: "group_id"},
			{name: "bad status", body: obj{"name": "Renamed", "status": "down"}, code: 422, field: "status"},
		}, []string{"description", "group_id", "status"}},
		{http.MethodPost, w.aP + "/incidents", incident, []badInput{
			{name: "missing title", body: incident.without("title"), code: 422, field: "title"},
			{name: "missing severity", body: incident.without("severity"), code: 422, field: "severity"},
			{name: "missing visibility", body: incident.without("visibility"), code: 422, field: "visibility"},
			{name: "missing body", body: incident.without("body"), code: 422, field: "body"},
			{name: "bad severity", body: incident.with("severity", "sev1"), code: 422, field: "severity"},
			{name: "severity wrong type", body: incident.with("severity", 2), code: 422, field: "severity"},
			{name: "bad visibility", body: incident.with("visibility", "everyone"), code: 422, field: "visibility"},
			{name: "bad state", body: incident.with("state", "fixed"), code: 422, field: "state"},
			{name: "bad kind", body: incident.with("kind", "rant"), code: 422, field: "kind"},
			{name: "notify wrong type", body: incident.with("notify", "yes"), code: 422, field: "notify"},
			{name: "components wrong type", body: incident.with("components", "all"), code: 422, field: "components"},
			{name: "unknown component", body: incident.with("components", aComps(unknownID)), code: 422, field: "components[0].id"},
			{name: "component of another page", body: incident.with("components", aComps(w.cb.ID)), code: 422, field: "components[0].id"},
			{name: "good then foreign component", body: incident.with("components", append(aComps(w.ca.ID), aComps(w.cb.ID)...)),
				code: 422, field: "components[1].id"},
			{name: "component listed twice", body: incident.with("components", append(aComps(w.ca.ID), aComps(w.ca.ID)...)),
				code: 422, field: "components[1].id"},
			{name: "NUL in a component id", body: incident.with("components", []obj{{"id": "x\u0000", "status": "major_outage"}}),
				code: 422, field: "components[0].id"},
			{name: "NUL in a component status", body: incident.with("components", []obj{{"id": w.ca.ID, "status": "x\u0000"}}),
				code: 422, field: "components[0].status"},
			{name: "bad component status", body: incident.with("components", []obj{{"id": w.ca.ID, "status": "meh"}}),
				code: 422, field: "components[0].status"},
			{name: "component unknown field", body: incident.with("components", []obj{{"id": w.ca.ID, "status": "major_outage", "x": 1}}),
				code: 422, field: "components[0].x"},
			{name: "started_at in the future", body: incident.with("started_at", future), code: 422, field: "started_at"},
			{name: "started_at not a time", body: incident.with("started_at", "yesterday"), code: 422, field: "started_at"},
			{name: "control character in title", body: incident.with("title", "a\x1bb"), code: 422, field: "title"},
			{name: "body too long", body: incident.with("body", strings.Repeat("b", 40*1024)), code: 422, field: "body"},
			{name: "customers wrong type", body: incident.with("customers", "all"), code: 422, field: "customers"},
			{name: "unknown customer", body: incident.with("customers", []string{unknownID}), code: 422, field: "customers[0]"},
			{name: "bad customer id", body: incident.with("customers", []string{"../x"}), code: 422, field: "customers[0]"},
		}, []string{"state", "kind", "author", "started_at"}},
		{http.MethodPatch, incA, obj{"title": "Retitled"}, []badInput{
			{name: "started_at in the future", body: obj{"title": "Retitled", "started_at": future}, code: 422, field: "started_at"},
			{name: "bad severity", body: obj{"title": "Retitled", "severity": "huge"}, code: 422, field: "severity"},
			{name: "bad visibility", body: obj{"visibility": "world"}, code: 422, field: "visibility"},
			{name: "state is not patched", body: obj{"title": "Retitled", "state": "resolved"}, code: 422, field: "state"},
			{name: "blank title", body: obj{"title": ""}, code: 422, field: "title"},
		}, []string{"severity", "visibility", "started_at", "postmortem"}},
		{http.MethodPost, incA + "/updates", update, []badInput{
			{name: "missing body", body: update.without("body").with("state", "mitigating"), code: 422, field: "body"},
			{name: "eta update without eta", body: update.with("kind", "eta"), code: 422, field: "eta"},
			{name: "eta in the past", body: update.with("kind", "eta").with("eta", past), code: 422, field: "eta"},
			{name: "eta not a time", body: update.with("eta", "soon"), code: 422, field: "eta"},
			{name: "eta far away", body: update.with("eta", w.now.AddDate(2, 0, 0).Format(time.RFC3339)), code: 422, field: "eta"},
			{name: "bad state", body: update.with("state", "done"), code: 422, field: "state"},
			{name: "resolution on a progress update", body: update.with("kind", "progress").with("resolution", "permanent"),
				code: 422, field: "resolution"},
			{name: "component of another page", body: update.with("state", "mitigating").with("components", aComps(w.cb.ID)),
				code: 422, field: "components[0].id"},
			{name: "good then unknown component", body: update.with("state", "resolved").with("components", append(aComps(w.ca.ID), aComps(unknownID)...)),
				code: 422, field: "components[1].id"},
		}, []string{"state", "kind", "eta", "resolution", "author"}},
		{http.MethodPost, incA + "/resolve", update, []badInput{
			{name: "other state", body: update.with("state", "mitigating"), code: 422, field: "state"},
			{name: "bad resolution", body: update.with("resolution", "forever"), code: 422, field: "resolution"},
			{name: "missing body", body: obj{}, code: 422, field: "body"},
			{name: "component of another page", body: update.with("components", aComps(w.cb.ID)), code: 422, field: "components[0].id"},
		}, []string{"kind", "eta", "resolution", "author"}},
		{http.MethodPost, w.aP + "/maintenances", mnt, []badInput{
			{name: "missing title", body: mnt.without("title"), code: 422, field: "title"},
			{name: "missing description", body: mnt.without("description"), code: 422, field: "description"},
			{name: "missing scheduled_for", body: mnt.without("scheduled_for"), code: 422, field: "scheduled_for"},
			{name: "missing scheduled_until", body: mnt.without("scheduled_until"), code: 422, field: "scheduled_until"},
			{name: "ends before it starts", body: mnt.with("scheduled_until", w.now.Add(30*time.Minute).Format(time.RFC3339)),
				code: 422, field: "scheduled_until"},
			{name: "window in the past", body: mnt.with("scheduled_for", w.now.Add(-3*time.Hour).Format(time.RFC3339)).
				with("scheduled_until", past), code: 422, field: "scheduled_until"},
			{name: "window too long", body: mnt.with("scheduled_until", w.now.AddDate(0, 2, 0).Format(time.RFC3339)),
				code: 422, field: "scheduled_until"},
			{name: "scheduled_for not a time", body: mnt.with("scheduled_for", "tomorrow"), code: 422, field: "scheduled_for"},
			{name: "scheduled_for wrong type", body: mnt.with("scheduled_for", 1700000000), code: 422, field: "scheduled_for"},
			{name: "components wrong type", body: mnt.with("components", w.ca.ID), code: 422, field: "components"},
			{name: "component of another page", body: mnt.with("components", []string{w.ca.ID, w.cb.ID}), code: 422, field: "components[1]"},
			{name: "malformed component id", body: mnt.with("components", []string{"../../x"}), code: 422, field: "components[0]"},
			{name: "NUL in a component id", body: mnt.with("components", []string{"x\u0000"}), code: 422, field: "components[0]"},
			{name: "component listed twice", body: mnt.with("components", []string{w.ca.ID, w.ca.ID}), code: 422, field: "components[1]"},
		}, []string{"author"}},
		{http.MethodPatch, mntA, obj{"title": "Retitled"}, []badInput{
			{name: "description", body: obj{"title": "Retitled", "description": "New text"}, code: 422, field: "description"},
			{name: "author", body: obj{"title": "Retitled", "author": "Eve"}, code: 422, field: "author"},
			{name: "component of another page", body: obj{"title": "Retitled", "components": []string{w.cb.ID}},
				code: 422, field: "components[0]"},
			{name: "ends before it starts", body: obj{"title": "Retitled", "scheduled_until": w.now.Add(30 * time.Minute).Format(time.RFC3339)},
				code: 422, field: "scheduled_until"},
		}, []string{"scheduled_for", "scheduled_until"}},
		{http.MethodPost, mntA + "/updates", update, []badInput{
			{name: "missing body", body: obj{"state": "in_progress"}, code: 422, field: "body"},
			{name: "bad state", body: update.with("state", "paused"), code: 422, field: "state"},
			{name: "notify wrong type", body: update.with("notify", "no"), code: 422, field: "notify"},
		}, []string{"state", "author"}},
	}
}

// requireUnchanged fails when now differs from *before, showing the lines
// that changed, and takes now as the new baseline so that one failure
// does not cascade into every later case.
func requireUnchanged(t *testing.T, before *string, now string) {
	t.Helper()
	was := *before
	*before = now
	if was == now {
		return
	}
	old, cur := strings.Split(was, "\n"), strings.Split(now, "\n")
	var diff []string
	for i := range max(len(old), len(cur)) {
		var o, c string
		if i < len(old) {
			o = old[i]
		}
		if i < len(cur) {
			c = cur[i]
		}
		if o != c {
			diff = append(diff, "- "+o, "+ "+c)
		}
	}
	require.Fail(t, "a refused request wrote something", strings.Join(diff, "\n"))
}

func manyHosts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "h" + strings.Repeat("x", i+1) + ".example.net"
	}
	return out
}

func TestAdminAPIBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)
		w := buildInputWorld(t, b)
		before := w.state(t, b)

		send := func(t *testing.T, method, path string, in badInput) reply {
			t.Helper()
			var body any
			switch v := in.body.(type) {
			case raw:
				body = string(v)
			case obj:
				body = map[string]any(v)
			}
			req := apiRequest(method, path, b.token, body)
			switch in.contentType {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
				req.Header.Del("Content-Type")
			default:
				req.Header.Set("Content-Type", in.contentType)
			}
			return b.do(t, req)
		}

		ids := strings.NewReplacer(w.a.ID, "{a}", w.ga.ID, "{group}", w.ca.ID, "{component}", w.ia.ID, "{incident}",
			w.ma.ID, "{maintenance}")
		for _, ep := range w.endpoints() {
			cases := append(append(genericCases(ep.valid), nulCases(ep)...), ep.cases...)
			for _, in := range cases {
				t.Run(ep.method+" "+ids.Replace(ep.path)+" "+in.name, func(t *testing.T) {
					r := send(t, ep.method, ep.path, in)
					fields := requireAPIError(t, r, in.code)
					if in.field != "" {
						require.Contains(t, fields, in.field, "the error names the field: %s", r.Body)
						require.NotEmpty(t, fields[in.field])
					}
					for k := range fields {
						require.NotEmpty(t, k, "no nameless field: %s", r.Body)
					}
					require.NotContains(t, r.String(), "Something went wrong")
					requireUnchanged(t, &before, w.state(t, b))
				})
			}
		}

		t.Run("unknown or foreign ids are 404", func(t *testing.T) {
			aP, bID := w.aP, w.b.ID
			name, title, body := obj{"name": "x"}, obj{"title": "x"}, obj{"body": "x"}
			for _, tc := range []struct {
				method, path string
				body         obj
			}{
				{http.MethodGet, w.pages + "/zzzzzzzzzzzz", nil},
				{http.MethodGet, w.pages + "/no-such-slug", nil},
				{http.MethodGet, w.pages + "/..%2F" + w.a.ID, nil},
				{http.MethodPatch, w.pages + "/zzzzzzzzzzzz", name},
				{http.MethodDelete, w.pages + "/zzzzzzzzzzzz", nil},
				{http.MethodPost, w.pages + "/zzzzzzzzzzzz/groups", name},
				{http.MethodPut, aP + "/groups/zzzzzzzzzzzz", name},
				{http.MethodPut, aP + "/groups/" + w.gb.ID, name},
				{http.MethodDelete, aP + "/groups/" + w.gb.ID, nil},
				{http.MethodGet, aP + "/components/" + w.cb.ID, nil},
				{http.MethodPatch, aP + "/components/" + w.cb.ID, name},
				{http.MethodDelete, aP + "/components/" + w.cb.ID, nil},
				{http.MethodGet, aP + "/incidents/" + w.ib.ID, nil},
				{http.MethodPatch, aP + "/incidents/" + w.ib.ID, title},
				{http.MethodDelete, aP + "/incidents/" + w.ib.ID, nil},
				{http.MethodPost, aP + "/incidents/" + w.ib.ID + "/updates", body},
				{http.MethodPost, aP + "/incidents/" + w.ib.ID + "/resolve", body},
				{http.MethodPost, aP + "/incidents/zzzzzzzzzzzz/updates", body},
				{http.MethodGet, aP + "/maintenances/" + w.mb.ID, nil},
				{http.MethodPatch, aP + "/maintenances/" + w.mb.ID, title},
				{http.MethodDelete, aP + "/maintenances/" + w.mb.ID, nil},
				{http.MethodPost, aP + "/maintenances/" + w.mb.ID + "/updates", body},
				{http.MethodGet, w.pages + "/" + bID + "/incidents/" + w.ia.ID, nil},
			} {
				var in any
				if tc.body != nil {
					in = map[string]any(tc.body)
				}
				r := b.call(t, tc.method, tc.path, in)
				requireAPIError(t, r, http.StatusNotFound)
				requireUnchanged(t, &before, w.state(t, b))
			}
		})

		t.Run("list filters", func(t *testing.T) {
			for _, q := range []struct{ query, field string }{
				{"?open=maybe", "open"}, {"?limit=0", "limit"}, {"?limit=abc", "limit"}, {"?limit=100000", "limit"}, {"?offset=-1", "offset"},
			} {
				fields := requireAPIError(t, b.call(t, http.MethodGet, w.aP+"/incidents"+q.query, nil), 422)
				require.Contains(t, fields, q.field)
			}
			fields := requireAPIError(t, b.call(t, http.MethodGet, w.aP+"/maintenances?limit=-5", nil), 422)
			require.Contains(t, fields, "limit")
		})

		t.Run("conflicting maintenance moves", func(t *testing.T) {
			mnt := w.aP + "/maintenances/" + w.ma.ID
			b.object(t, http.StatusCreated, http.MethodPost, mnt+"/updates", map[string]any{"state": "in_progress", "body": "Go."})
			after := w.state(t, b)
			r := b.call(t, http.MethodPost, mnt+"/updates", map[string]any{"state": "scheduled", "body": "Back?"})
			requireAPIError(t, r, http.StatusConflict)
			requireUnchanged(t, &after, w.state(t, b))
		})
	})
}
