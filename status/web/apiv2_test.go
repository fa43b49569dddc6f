package web_test

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// JSON value kinds of the Statuspage v2 fields
// (shared/reference/statuspage-api-v2.md §b.2).
const (
	kString     = "string"
	kNullString = "string|null"
	kTime       = "time"      // ISO-8601 with offset
	kNullTime   = "time|null" // ISO-8601 with offset, or null
	kNullDate   = "date|null"
	kInt        = "integer"
	kBool       = "bool"
	kArray      = "array"
	kNullArray  = "array|null"
	kObject     = "object"
)

var (
	pageFields   = map[string]string{"id": kString, "name": kString, "url": kString, "time_zone": kString, "updated_at": kTime}
	statusFields = map[string]string{"indicator": kString, "description": kString}
	compFields   = map[string]string{"id": kString, "name": kString, "status": kString, "created_at": kTime,
		"updated_at": kTime, "position": kInt, "description": kNullString, "showcase": kBool, "start_date": kNullDate,
		"group_id": kNullString, "page_id": kString, "group": kBool, "only_show_if_degraded": kBool}
	incidentFields = map[string]string{"id": kString, "name": kString, "status": kString, "created_at": kTime,
		"updated_at": kTime, "monitoring_at": kNullTime, "resolved_at": kNullTime, "impact": kString,
		"shortlink": kString, "started_at": kTime, "page_id": kString, "incident_updates": kArray, "components": kArray}
	updateFields = map[string]string{"id": kString, "status": kString, "body": kString, "incident_id": kString,
		"created_at": kTime, "updated_at": kTime, "display_at": kTime, "affected_components": kNullArray,
		"deliver_notifications": kBool, "custom_tweet": kNullString, "tweet_id": kNullString}
	affectedFields    = map[string]string{"code": kString, "name": kString, "old_status": kString, "new_status": kString}
	maintenanceFields = func() map[string]string {
		m := map[string]string{"scheduled_for": kTime, "scheduled_until": kTime}
		for k, v := range incidentFields {
			m[k] = v
		}
		return m
	}()

	indicators          = []string{"none", "minor", "major", "critical", "maintenance"}
	componentStatuses   = []string{"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
	incidentStatuses    = []string{"investigating", "identified", "monitoring", "resolved", "postmortem"}
	incidentImpacts     = []string{"none", "minor", "major", "critical"}
	maintenanceStatuses = []string{"scheduled", "in_progress", "verifying", "completed"}
)

// requireFields checks that obj has every field with the right JSON kind.
func requireFields(t *testing.T, what string, obj any, fields map[string]string) map[string]any {
	t.Helper()
	m, ok := obj.(map[string]any)
	require.True(t, ok, "%s is an object: %#v", what, obj)
	for name, kind := range fields {
		v, ok := m[name]
		require.True(t, ok, "%s has field %q: %v", what, name, m)
		where := what + "." + name
		if v == nil {
			require.True(t, strings.HasSuffix(kind, "|null"), "%s must not be null", where)
			continue
		}
		switch strings.TrimSuffix(kind, "|null") {
		case kString:
			require.IsType(t, "", v, where)
		case kTime:
			s, ok := v.(string)
			require.True(t, ok, "%s is a string", where)
			_, err := time.Parse(time.RFC3339, s)
			require.NoError(t, err, "%s is ISO-8601 with an offset", where)
		case "date":
			s, ok := v.(string)
			require.True(t, ok, "%s is a string", where)
			_, err := time.Parse(time.DateOnly, s)
			require.NoError(t, err, "%s is a date", where)
		case kInt:
			f, ok := v.(float64)
			require.True(t, ok, "%s is a number", where)
			require.Equal(t, float64(int64(f)), f, "%s is an integer", where)
		case kBool:
			require.IsType(t, true, v, where)
		case "array":
			require.IsType(t, []any{}, v, where)
		case kObject:
			require.IsType(t, map[string]any{}, v, where)
		default:
			t.Fatalf("unknown kind %q", kind)
		}
	}
	return m
}

func requireOneOf(t *testing.T, what string, v any, allowed []string) {
	t.Helper()
	s, ok := v.(string)
	require.True(t, ok, "%s is a string", what)
	require.Contains(t, allowed, s, what)
}

func requirePage(t *testing.T, v any, w *world) {
	t.Helper()
	p := requireFields(t, "page", v, pageFields)
	require.Equal(t, w.page.ID, p["id"])
	require.Equal(t, "Acme Cloud", p["name"])
	require.Equal(t, "https://"+acmeHost, p["url"])
	require.Equal(t, "Etc/UTC", p["time_zone"])
}

func requireStatus(t *testing.T, v any) map[string]any {
	t.Helper()
	s := requireFields(t, "status", v, statusFields)
	requireOneOf(t, "status.indicator", s["indicator"], indicators)
	return s
}

func requireComponent(t *testing.T, v any) map[string]any {
	t.Helper()
	c := requireFields(t, "component", v, compFields)
	requireOneOf(t, "component.status", c["status"], componentStatuses)
	return c
}

// requireIncident checks an incident or, when maintenance, a scheduled
// maintenance with its updates and components.
func requireIncident(t *testing.T, v any, maintenance bool) map[string]any {
	t.Helper()
	fields, statuses, impacts, what := incidentFields, incidentStatuses, incidentImpacts, "incident"
	if maintenance {
		fields, statuses, impacts, what = maintenanceFields, maintenanceStatuses, []string{"maintenance"}, "scheduled_maintenance"
	}
	inc := requireFields(t, what, v, fields)
	requireOneOf(t, what+".status", inc["status"], statuses)
	requireOneOf(t, what+".impact", inc["impact"], impacts)
	require.True(t, strings.HasPrefix(inc["shortlink"].(string), "https://"+acmeHost+"/"), "absolute shortlink")
	for _, u := range inc["incident_updates"].([]any) {
		upd := requireFields(t, what+".incident_updates[]", u, updateFields)
		requireOneOf(t, "incident_update.status", upd["status"], statuses)
		require.Equal(t, inc["id"], upd["incident_id"])
		if ac, ok := upd["affected_components"].([]any); ok {
			for _, a := range ac {
				x := requireFields(t, "affected_components[]", a, affectedFields)
				requireOneOf(t, "old_status", x["old_status"], componentStatuses)
				requireOneOf(t, "new_status", x["new_status"], componentStatuses)
			}
		}
	}
	for _, c := range inc["components"].([]any) {
		requireComponent(t, c)
	}
	return inc
}

func byName(t *testing.T, list any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, x := range list.([]any) {
		m := x.(map[string]any)
		out[m["name"].(string)] = m
	}
	return out
}

func names(list any) []string {
	var out []string
	for _, x := range list.([]any) {
		out = append(out, x.(map[string]any)["name"].(string))
	}
	sort.Strings(out)
	return out
}

func TestAPIv2(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		w := buildWorld(t, b)
		getDoc := func(t *testing.T, host, path string, keys ...string) map[string]any {
			t.Helper()
			r := b.get(t, host, path)
			require.Equal(t, http.StatusOK, r.Code, "%s: %s", path, r.Body)
			require.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
			require.Equal(t, "*", r.Header.Get("Access-Control-Allow-Origin"), path)
			require.NotEmpty(t, r.Header.Get("Cache-Control"))
			doc := decodeObject(t, r.Body)
			got := make([]string, 0, len(doc))
			for k := range doc {
				got = append(got, k)
			}
			require.ElementsMatch(t, keys, got, "top-level keys of %s", path)
			requirePage(t, doc["page"], w)
			return doc
		}

		for _, root := range roots {
			t.Run(root.name, func(t *testing.T) {
				api := func(t *testing.T, name string, keys ...string) map[string]any {
					t.Helper()
					return getDoc(t, root.host, root.prefix+"/api/v2/"+name, keys...)
				}

				t.Run("summary.json", func(t *testing.T) {
					doc := api(t, "summary.json", "page", "components", "incidents", "scheduled_maintenances", "status")
					st := requireStatus(t, doc["status"])
					require.Equal(t, "major", st["indicator"])
					require.Equal(t, "Partial System Outage", st["description"])
					for _, c := range doc["components"].([]any) {
						requireComponent(t, c)
					}
					require.Equal(t, []string{"Elevated API errors"}, names(doc["incidents"]), "unresolved only")
					for _, inc := range doc["incidents"].([]any) {
						requireIncident(t, inc, false)
					}
					require.Equal(t, []string{"Database upgrade", "Network maintenance"}, names(doc["scheduled_maintenances"]))
					for _, m := range doc["scheduled_maintenances"].([]any) {
						requireIncident(t, m, true)
					}
				})

				t.Run("status.json", func(t *testing.T) {
					doc := api(t, "status.json", "page", "status")
					require.Equal(t, "major", requireStatus(t, doc["status"])["indicator"])
				})

				t.Run("components.json", func(t *testing.T) {
					doc := api(t, "components.json", "page", "components")
					cs := byName(t, doc["components"])
					require.Len(t, cs, 4, "the group container and three public components")
					for _, c := range doc["components"].([]any) {
						requireComponent(t, c)
					}
					group := cs["Core Platform"]
					require.Equal(t, true, group["group"])
					require.Equal(t, w.core.ID, group["id"])
					require.Equal(t, []any{w.api.ID}, group["components"], "only public children")
					require.Equal(t, "partial_outage", group["status"])
					apiComp := cs["Public API"]
					require.Equal(t, false, apiComp["group"])
					require.Equal(t, w.core.ID, apiComp["group_id"])
					require.Equal(t, "partial_outage", apiComp["status"])
					require.Equal(t, "The REST API", apiComp["description"])
					require.Equal(t, true, apiComp["showcase"])
					require.Equal(t, w.page.ID, apiComp["page_id"])
					require.Nil(t, cs["Website"]["group_id"])
					require.Nil(t, cs["Website"]["description"])
					require.Equal(t, "under_maintenance", cs["Website"]["status"])
					require.Equal(t, "operational", cs["Edge CDN"]["status"], "a customers-only incident holds it for its customers only")
				})

				t.Run("incidents.json", func(t *testing.T) {
					doc := api(t, "incidents.json", "page", "incidents")
					list := doc["incidents"].([]any)
					require.Len(t, list, 3)
					for _, inc := range list {
						requireIncident(t, inc, false)
					}
					require.Equal(t, "Elevated API errors", list[0].(map[string]any)["name"], "newest first")
					incs := byName(t, list)

					active := incs["Elevated API errors"]
					require.Equal(t, w.active.ID, active["id"])
					require.Equal(t, "identified", active["status"], "mitigating is identified")
					require.Equal(t, "major", active["impact"])
					require.Equal(t, "https://"+acmeHost+"/incidents/"+w.active.ID, active["shortlink"])
					require.Equal(t, "2026-03-10T11:00:00.000Z", active["started_at"])
					require.Nil(t, active["resolved_at"])
					require.Nil(t, active["monitoring_at"])
					ups := active["incident_updates"].([]any)
					require.Len(t, ups, 2)
					require.Equal(t, "Rolling back.\n\nAn update is on its way.", ups[0].(map[string]any)["body"],
						"newest update first, carrying the promised next update, whose time (11:40) has passed at 12:00")
					require.Equal(t, "2026-03-10T11:40:00.000Z", active["next_update_at"])
					require.Equal(t, "We identified a faulty deploy.", ups[1].(map[string]any)["body"])
					require.Nil(t, ups[0].(map[string]any)["affected_components"], "the update touched only a hidden component")
					require.Equal(t, []any{map[string]any{"code": w.api.ID, "name": "Public API", "old_status": "operational",
						"new_status": "partial_outage"}}, ups[1].(map[string]any)["affected_components"])
					require.Len(t, active["components"], 1)
					require.Equal(t, w.api.ID, active["components"].([]any)[0].(map[string]any)["id"])

					past := incs["Login outage"]
					require.Equal(t, "resolved", past["status"])
					require.Equal(t, "2026-03-08T12:30:00.000Z", past["monitoring_at"])
					require.Equal(t, "2026-03-08T13:00:00.000Z", past["resolved_at"])
					var statuses []string
					for _, u := range past["incident_updates"].([]any) {
						statuses = append(statuses, u.(map[string]any)["status"].(string))
					}
					require.Equal(t, []string{"resolved", "monitoring", "investigating"}, statuses, "observing is monitoring")
					require.Equal(t, "minor", incs["Old storage incident"]["impact"])
				})

				t.Run("incidents/unresolved.json", func(t *testing.T) {
					doc := api(t, "incidents/unresolved.json", "page", "incidents")
					require.Equal(t, []string{"Elevated API errors"}, names(doc["incidents"]))
					requireIncident(t, doc["incidents"].([]any)[0], false)
				})

				t.Run("scheduled-maintenances", func(t *testing.T) {
					for _, tc := range []struct {
						name  string
						names []string
					}{
						{"scheduled-maintenances.json", []string{"Database upgrade", "Network maintenance"}},
						{"scheduled-maintenances/upcoming.json", []string{"Database upgrade"}},
						{"scheduled-maintenances/active.json", []string{"Network maintenance"}},
					} {
						doc := api(t, tc.name, "page", "scheduled_maintenances")
						require.Equal(t, tc.names, names(doc["scheduled_maintenances"]), tc.name)
						for _, m := range doc["scheduled_maintenances"].([]any) {
							mt := requireIncident(t, m, true)
							require.Equal(t, "maintenance", mt["impact"])
						}
					}
					doc := api(t, "scheduled-maintenances.json", "page", "scheduled_maintenances")
					ms := byName(t, doc["scheduled_maintenances"])
					up := ms["Database upgrade"]
					require.Equal(t, "scheduled", up["status"])
					require.Equal(t, "2026-03-11T12:00:00.000Z", up["scheduled_for"])
					require.Equal(t, "2026-03-11T14:00:00.000Z", up["scheduled_until"])
					require.Equal(t, "https://"+acmeHost+"/maintenance/"+w.upcoming.ID, up["shortlink"])
					require.Len(t, up["components"], 1, "hidden components are left out")
					prog := ms["Network maintenance"]
					require.Equal(t, "in_progress", prog["status"])
					var statuses []string
					for _, u := range prog["incident_updates"].([]any) {
						statuses = append(statuses, u.(map[string]any)["status"].(string))
					}
					require.Equal(t, []string{"in_progress", "scheduled"}, statuses)
				})

				t.Run("CORS preflight", func(t *testing.T) {
					r := b.do(t, newRequest(http.MethodOptions, root.host, root.prefix+"/api/v2/summary.json",
						"Origin", "https://widgets.example", "Access-Control-Request-Method", "GET"))
					require.Equal(t, http.StatusNoContent, r.Code)
					require.Equal(t, "*", r.Header.Get("Access-Control-Allow-Origin"))
					require.Contains(t, r.Header.Get("Access-Control-Allow-Methods"), "GET")
					require.NotEmpty(t, r.Header.Get("Access-Control-Max-Age"))
				})

				t.Run("unknown endpoint is 404 JSON", func(t *testing.T) {
					for _, name := range []string{"nope.json", "summary", "incidents/zzzzzzzzzzzz.json", "../summary.json"} {
						r := b.get(t, root.host, root.prefix+"/api/v2/"+name)
						requireAPIError(t, r, http.StatusNotFound)
					}
					r := b.get(t, root.host, root.prefix+"/api/v2/nope.json")
					require.Equal(t, "*", r.Header.Get("Access-Control-Allow-Origin"))
				})

				t.Run("read only", func(t *testing.T) {
					r := b.do(t, newRequest(http.MethodPost, root.host, root.prefix+"/api/v2/summary.json"))
					require.GreaterOrEqual(t, r.Code, 400)
					require.Less(t, r.Code, 500)
				})
			})
		}
	})
}

// TestAPIv2Mappings checks how severities, states and component statuses
// become Statuspage's impact, status and indicator values.
func TestAPIv2Mappings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "map"})
		comp := statustest.Component(t, b.svc, p.ID, nil)
		b.refresh(t)
		doc := func(name string) map[string]any {
			t.Helper()
			r := b.get(t, "", "/p/map/api/v2/"+name)
			require.Equal(t, http.StatusOK, r.Code, "body: %s", r.Body)
			return decodeObject(t, r.Body)
		}
		require.Equal(t, map[string]any{"indicator": "none", "description": "All Systems Operational"}, doc("status.json")["status"])

		t.Run("component status sets the indicator", func(t *testing.T) {
			for _, tc := range []struct {
				st        status.ComponentStatus
				indicator string
			}{
				{status.DegradedPerformance, "minor"},
				{status.PartialOutage, "major"},
				{status.MajorOutage, "critical"},
				{status.UnderMaintenance, "maintenance"},
				{status.Operational, "none"},
			} {
				_, err := b.svc.Pages.UpdateComponent(b.ctx, p.ID, comp.ID, status.ComponentPatch{Status: &tc.st})
				require.NoError(t, err)
				b.refresh(t)
				st := doc("status.json")["status"].(map[string]any)
				require.Equal(t, tc.indicator, st["indicator"], "component %s", tc.st)
				require.NotEmpty(t, st["description"])
				badge := b.get(t, "", "/p/map/badge.svg")
				require.Contains(t, badge.String(), st["description"].(string), "the badge shows the same status")
			}
		})

		t.Run("severity is impact, state is status", func(t *testing.T) {
			for _, tc := range []struct {
				title    string
				severity status.Severity
				state    status.State
				impact   string
				status   string
			}{
				{"Trivial one", status.SeverityTrivial, status.StateInvestigating, "none", "investigating"},
				{"Minor one", status.SeverityMinor, status.StateMitigating, "minor", "identified"},
				{"Major one", status.SeverityMajor, status.StateObserving, "major", "monitoring"},
				{"Critical one", status.SeverityBusinessContinuity, status.StateResolved, "critical", "resolved"},
			} {
				statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: tc.title, Severity: tc.severity, State: tc.state})
			}
			b.refresh(t)
			incs := byName(t, doc("incidents.json")["incidents"])
			for _, tc := range []struct{ title, impact, status string }{
				{"Trivial one", "none", "investigating"},
				{"Minor one", "minor", "identified"},
				{"Major one", "major", "monitoring"},
				{"Critical one", "critical", "resolved"},
			} {
				inc := incs[tc.title]
				require.NotNil(t, inc, tc.title)
				requireOneOf(t, "impact", inc["impact"], incidentImpacts)
				require.Equal(t, tc.impact, inc["impact"], tc.title)
				require.Equal(t, tc.status, inc["status"], tc.title)
				for _, u := range inc["incident_updates"].([]any) {
					require.Equal(t, tc.status, u.(map[string]any)["status"], tc.title)
				}
			}
			require.NotNil(t, incs["Major one"]["monitoring_at"])
			require.NotNil(t, incs["Critical one"]["resolved_at"])
			unresolved := names(doc("incidents/unresolved.json")["incidents"])
			require.False(t, slices.Contains(unresolved, "Critical one"))
			require.Len(t, unresolved, 3)
			// Open incidents raise the indicator to their impact.
			require.Equal(t, "major", doc("status.json")["status"].(map[string]any)["indicator"])

			// Publishing a post-mortem makes a resolved incident "postmortem".
			crit := incs["Critical one"]["id"].(string)
			_, err := b.svc.Incidents.Update(b.ctx, p.ID, crit, status.IncidentPatch{Postmortem: statustest.Ptr("What went wrong.")})
			require.NoError(t, err)
			b.refresh(t)
			require.Equal(t, "postmortem", byName(t, doc("incidents.json")["incidents"])["Critical one"]["status"])
		})

		t.Run("empty lists are arrays, not null", func(t *testing.T) {
			statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "empty"})
			b.refresh(t)
			r := b.get(t, "", "/p/empty/api/v2/summary.json")
			require.Equal(t, http.StatusOK, r.Code)
			d := decodeObject(t, r.Body)
			for _, k := range []string{"components", "incidents", "scheduled_maintenances"} {
				require.Equal(t, []any{}, d[k], k)
			}
		})
	})
}
