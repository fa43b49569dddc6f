package alerts_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// same reports every field where got differs from want.
func same(t *testing.T, got, want alerts.Alert) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		name := g.Type().Field(i).Name
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		if gt, ok := gf.(time.Time); ok {
			if !gt.Equal(wf.(time.Time)) {
				t.Errorf("%s = %v, want %v", name, gt, wf)
			}
			continue
		}
		if !reflect.DeepEqual(gf, wf) {
			t.Errorf("%s = %#v, want %#v", name, gf, wf)
		}
	}
}

func one(t *testing.T, as []alerts.Alert, err error) alerts.Alert {
	t.Helper()
	if err != nil {
		t.Fatalf("error: %v", err)
	}
	if len(as) != 1 {
		t.Fatalf("%d alerts, want 1", len(as))
	}
	return as[0]
}

var pgLabels = map[string]string{"alertname": "PostgresDown", "instance": "db1:9187", "job": "postgres", "service": "postgres", "severity": "critical"}

const pgGroup = `{}:{alertname="PostgresDown"}`

func TestAlertmanagerFiringResolvedResent(t *testing.T) {
	firing := alerts.Alert{
		Source: "alertmanager", Key: "c4a1b2d3e4f50617", Event: alerts.Firing,
		Title:       "PostgresDown: Postgres is down on db1",
		Description: "pg_up has been 0 for 5 minutes.",
		Severity:    "critical", Labels: pgLabels,
		Link:     "http://prometheus.example:9090/graph?g0.expr=pg_up+%3D%3D+0&g0.tab=1",
		Group:    pgGroup,
		StartsAt: time.Date(2024, 5, 1, 10, 0, 0, 123e6, time.UTC),
	}
	as, err := alerts.ParseAlertmanager(fixture(t, "am_firing.json"))
	same(t, one(t, as, err), firing)

	as, err = alerts.ParseAlertmanager(fixture(t, "am_resent.json"))
	same(t, one(t, as, err), firing)

	resolved := firing
	resolved.Event = alerts.Resolved
	resolved.EndsAt = utc("2024-05-01T10:12:30Z")
	as, err = alerts.ParseAlertmanager(fixture(t, "am_resolved.json"))
	same(t, one(t, as, err), resolved)
}

func TestAlertmanagerGrouped(t *testing.T) {
	as, err := alerts.ParseAlertmanager(fixture(t, "am_grouped.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 3 {
		t.Fatalf("%d alerts, want 3", len(as))
	}
	group := `{}/{severity="warning"}:{alertname="DiskFilling"}`
	for i, w := range []struct {
		key, instance, title string
		event                alerts.Event
		starts, ends         string
	}{
		{"aaaa000000000001", "db1", "DiskFilling: Disk 91% full", alerts.Firing, "2024-05-01T09:00:00Z", ""},
		{"aaaa000000000002", "db2", "DiskFilling: Disk 93% full", alerts.Firing, "2024-05-01T09:01:00Z", ""},
		{"aaaa000000000003", "db3", "DiskFilling: Disk 90% full", alerts.Resolved, "2024-05-01T08:00:00Z", "2024-05-01T09:02:00Z"},
	} {
		t.Run(w.key, func(t *testing.T) {
			want := alerts.Alert{Source: "alertmanager", Key: w.key, Event: w.event, Title: w.title, Severity: "warning",
				Labels: map[string]string{"alertname": "DiskFilling", "instance": w.instance, "severity": "warning"},
				Link:   "http://prometheus.example:9090/graph?g0.expr=disk", Group: group, StartsAt: utc(w.starts)}
			if w.ends != "" {
				want.EndsAt = utc(w.ends)
			}
			same(t, as[i], want)
		})
	}
}

func TestAlertmanagerWithoutLabels(t *testing.T) {
	body := fixture(t, "am_no_labels.json")
	var raw struct{ Alerts []json.RawMessage }
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	as, err := alerts.ParseAlertmanager(body)
	same(t, one(t, as, err), alerts.Alert{
		Source: "alertmanager", Key: "sha256:" + sum(string(raw.Alerts[0])), Event: alerts.Firing,
		Title: "Alert without labels", Description: "Something fired.",
		Link: "http://am.example:9093", Group: "{}:{}", StartsAt: utc("2024-05-01T10:00:00Z"),
		Problems: []string{"no labels and no fingerprint: the key is derived from the alert's content"},
	})
	again, _ := alerts.ParseAlertmanager(body)
	if again[0].Key != as[0].Key {
		t.Errorf("key not stable: %q then %q", as[0].Key, again[0].Key)
	}
}

func TestAlertmanagerWithoutFingerprint(t *testing.T) {
	as, err := alerts.ParseAlertmanager(fixture(t, "am_no_fingerprint.json"))
	same(t, one(t, as, err), alerts.Alert{
		Source: "alertmanager", Key: "labels:" + sum("alertname=HighLatency\npriority=P2\nservice=api\n"),
		Event: alerts.Firing, Title: "HighLatency", Description: "p99 above 2s", Severity: "P2",
		Labels: map[string]string{"alertname": "HighLatency", "service": "api", "priority": "P2"},
		Link:   "http://am.example:9093", Group: `{}:{alertname="HighLatency"}`,
		StartsAt: utc("2024-05-01T10:00:00Z"), // endsAt is dropped: the alert fires
		Problems: []string{"no fingerprint: the key is derived from the labels"},
	})
}

func TestAlertmanagerJavascriptLinkAndNumberLabels(t *testing.T) {
	as, err := alerts.ParseAlertmanager(fixture(t, "am_javascript.json"))
	same(t, one(t, as, err), alerts.Alert{
		Source: "alertmanager", Key: "f00", Event: alerts.Firing, Title: "X fired",
		Labels: map[string]string{"alertname": "X", "port": "9187", "up": "false"},
		Link:   "https://wiki.example/x", Group: `{}:{alertname="X"}`,
		Problems: []string{"generatorURL dropped: not an http(s) URL", `startsAt: not an RFC 3339 time: "yesterday"`},
	})

	// Without the runbook, the externalURL is the last chance, and it is no URL either.
	body := strings.Replace(string(fixture(t, "am_javascript.json")), `"runbook_url":"https://wiki.example/x"`, `"runbook_url":"JavaScript:x"`, 1)
	as, err = alerts.ParseAlertmanager([]byte(body))
	a := one(t, as, err)
	if a.Link != "" {
		t.Errorf("Link = %q, want none", a.Link)
	}
	want := []string{"generatorURL dropped: not an http(s) URL", "annotations.runbook_url dropped: not an http(s) URL",
		"externalURL dropped: not an http(s) URL", `startsAt: not an RFC 3339 time: "yesterday"`}
	if !reflect.DeepEqual(a.Problems, want) {
		t.Errorf("Problems = %q, want %q", a.Problems, want)
	}
}

// amBody is an Alertmanager payload with the given alerts.
func amBody(alertsJSON ...string) []byte {
	return []byte(`{"version":"4","groupKey":"g","status":"firing","alerts":[` + strings.Join(alertsJSON, ",") + `]}`)
}

func TestAlertmanagerCleaning(t *testing.T) {
	t.Run("long summary", func(t *testing.T) {
		summary := strings.Repeat("é", 5000)
		as, err := alerts.ParseAlertmanager(amBody(`{"fingerprint":"f","annotations":{"summary":"` + summary + `"}}`))
		a := one(t, as, err)
		// 200 bytes: 98 two-byte characters and the ellipsis's three.
		if want := strings.Repeat("é", 98) + "…"; a.Title != want {
			t.Errorf("Title = %q (%d bytes), want %d bytes", a.Title, len(a.Title), len(want))
		}
		if !reflect.DeepEqual(a.Problems, []string{"title cut to 200 bytes"}) {
			t.Errorf("Problems = %q", a.Problems)
		}
	})
	t.Run("multi-line title", func(t *testing.T) {
		as, err := alerts.ParseAlertmanager(amBody(`{"fingerprint":"f","labels":{"alertname":"Disk"},"annotations":{"summary":"  full\n\tsoon  "}}`))
		if a := one(t, as, err); a.Title != "Disk: full soon" {
			t.Errorf("Title = %q", a.Title)
		}
	})
	t.Run("invalid UTF-8 and NUL", func(t *testing.T) {
		as, err := alerts.ParseAlertmanager(amBody("{\"fingerprint\":\"f\\u0000\",\"labels\":{\"host\":\"a\xffb\",\"n\\u0000ame\":\"c\\u0000d\"}}"))
		a := one(t, as, err)
		same(t, a, alerts.Alert{Source: "alertmanager", Key: "f", Event: alerts.Firing, Title: "Alert without a name",
			Labels: map[string]string{"host": "a\uFFFDb", "name": "cd"}, Group: "g",
			Problems: []string{"labels.host: invalid UTF-8 replaced by U+FFFD", "fingerprint: NUL bytes removed", "labels: NUL bytes removed"}})
	})
	t.Run("long fingerprint", func(t *testing.T) {
		fp := strings.Repeat("f", alerts.MaxKeyLen+1)
		as, err := alerts.ParseAlertmanager(amBody(`{"fingerprint":"` + fp + `","labels":{"alertname":"A"}}`))
		a := one(t, as, err)
		if a.Key != "sha256:"+sum(fp) {
			t.Errorf("Key = %q", a.Key)
		}
		if len(a.Problems) != 1 || !strings.Contains(a.Problems[0], "SHA-256") {
			t.Errorf("Problems = %q", a.Problems)
		}
	})
	t.Run("too many labels", func(t *testing.T) {
		var ls []string
		for i := range alerts.MaxLabels + 6 {
			ls = append(ls, fmt.Sprintf(`"l%03d":"v"`, i))
		}
		as, err := alerts.ParseAlertmanager(amBody(`{"fingerprint":"f","labels":{` + strings.Join(ls, ",") + `}}`))
		a := one(t, as, err)
		if len(a.Labels) != alerts.MaxLabels {
			t.Errorf("%d labels, want %d", len(a.Labels), alerts.MaxLabels)
		}
		if _, ok := a.Labels["l063"]; !ok {
			t.Errorf("l063 dropped, want the first in name order kept")
		}
		if _, ok := a.Labels["l064"]; ok {
			t.Errorf("l064 kept")
		}
		if want := []string{"labels: 6 dropped, at most 64 are kept"}; !reflect.DeepEqual(a.Problems, want) {
			t.Errorf("Problems = %q, want %q", a.Problems, want)
		}
	})
	t.Run("long label name and value", func(t *testing.T) {
		name, value := strings.Repeat("n", 300), strings.Repeat("v", 3000)
		as, err := alerts.ParseAlertmanager(amBody(`{"fingerprint":"f","labels":{"` + name + `":"` + value + `"}}`))
		a := one(t, as, err)
		for k, v := range a.Labels {
			if len(k) != alerts.MaxLabelNameLen || len(v) != alerts.MaxLabelValueLen || !strings.HasSuffix(k, "…") || !strings.HasSuffix(v, "…") {
				t.Errorf("label of %d and %d bytes", len(k), len(v))
			}
		}
		if len(a.Problems) != 2 {
			t.Errorf("Problems = %q", a.Problems)
		}
	})
	t.Run("3 MB strings", func(t *testing.T) {
		big := strings.Repeat("x", 3<<20)
		as, err := alerts.ParseAlertmanager(amBody(`{"fingerprint":"` + big + `","labels":{"a":"` + big + `"},"annotations":{"summary":"` + big + `","description":"` + big + `"},"generatorURL":"http://x/` + big + `"}`))
		a := one(t, as, err)
		if len(a.Title) > alerts.MaxTitleLen || len(a.Description) > alerts.MaxDescriptionLen ||
			len(a.Key) != len("sha256:")+64 || a.Link != "" || len(a.Labels["a"]) > alerts.MaxLabelValueLen {
			t.Errorf("not cut: title %d, description %d, key %d, link %d bytes", len(a.Title), len(a.Description), len(a.Key), len(a.Link))
		}
	})
	t.Run("truncated alerts", func(t *testing.T) {
		as, err := alerts.ParseAlertmanager([]byte(`{"status":"firing","truncatedAlerts":5,"alerts":[{"fingerprint":"f"}]}`))
		if a := one(t, as, err); len(a.Problems) != 1 || !strings.Contains(a.Problems[0], "5 more alerts") {
			t.Errorf("Problems = %q", a.Problems)
		}
	})
	t.Run("status from the payload, alert's own first", func(t *testing.T) {
		as, err := alerts.ParseAlertmanager([]byte(`{"status":"resolved","alerts":[{"fingerprint":"a","labels":null,"annotations":null},{"fingerprint":"b","status":"FIRING"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if as[0].Event != alerts.Resolved || as[1].Event != alerts.Firing {
			t.Errorf("events %s, %s", as[0].Event, as[1].Event)
		}
	})
}

func TestOpsgenie(t *testing.T) {
	labels := map[string]string{"service": "postgres", "cores": "16", "url": "https://grafana.example/d/cpu",
		"tag:db": "true", "tag:prod": "true", "entity": "db1", "source": "prometheus", "team": "ops"}
	created := time.UnixMilli(1700000000000).UTC()
	for _, c := range []struct {
		file string
		want alerts.Alert
	}{
		{"og_create.json", alerts.Alert{Source: "opsgenie", Key: "cpu-db1", Event: alerts.Firing, Title: "CPU high on db1",
			Description: "CPU above 95% for 10 minutes", Severity: "P1", Labels: labels,
			Link: "https://grafana.example/d/cpu", StartsAt: created}},
		{"og_acknowledge.json", alerts.Alert{Source: "opsgenie", Key: "cpu-db1", Event: alerts.Acknowledged, Title: "CPU high on db1",
			Description: "CPU above 95% for 10 minutes", Severity: "P1", Labels: labels,
			Link: "https://grafana.example/d/cpu", StartsAt: created, By: "ann@example.com"}},
		{"og_close.json", alerts.Alert{Source: "opsgenie", Key: "cpu-db1", Event: alerts.Resolved, Title: "cpu-db1",
			Severity: "P1", StartsAt: created, EndsAt: time.Unix(1700000900, 0).UTC(), By: "ann@example.com"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			as, ignored, err := alerts.ParseOpsgenie(fixture(t, c.file))
			if ignored != "" {
				t.Errorf("ignored: %s", ignored)
			}
			same(t, one(t, as, err), c.want)
		})
	}
	t.Run("AddNote", func(t *testing.T) {
		as, ignored, err := alerts.ParseOpsgenie(fixture(t, "og_addnote.json"))
		if err != nil || len(as) != 0 || ignored != `action "AddNote" is not one Herald acts on` {
			t.Errorf("got %v, %q, %v", as, ignored, err)
		}
	})
}

func TestOpsgenieEpoch(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want time.Time
	}{
		{"1700000000", time.Unix(1700000000, 0)},
		{"1700000000123", time.UnixMilli(1700000000123)},
		{"1700000000123456789", time.Unix(0, 1700000000123456789)},
		{`"1700000000123"`, time.UnixMilli(1700000000123)},
		{"1.7e12", time.Unix(1700000000, 0)},
		{"0", time.Time{}},
		{"null", time.Time{}},
	} {
		body := `{"action":"close","alert":{"alias":"a","createdAt":` + c.raw + `,"updatedAt":` + c.raw + `}}`
		as, _, err := alerts.ParseOpsgenie([]byte(body))
		a := one(t, as, err)
		if !a.StartsAt.Equal(c.want) || !a.EndsAt.Equal(c.want) || len(a.Problems) != 0 {
			t.Errorf("%s: %v, %v, %q; want %v", c.raw, a.StartsAt, a.EndsAt, a.Problems, c.want)
		}
	}
	as, _, err := alerts.ParseOpsgenie([]byte(`{"action":"Create","alert":{"alias":"a","message":"m","createdAt":"soon"}}`))
	if a := one(t, as, err); !a.StartsAt.IsZero() || !reflect.DeepEqual(a.Problems, []string{`alert.createdAt: not a time since the epoch: "soon"`}) {
		t.Errorf("%v, %q", a.StartsAt, a.Problems)
	}
}

func TestGeneric(t *testing.T) {
	as, err := alerts.ParseGeneric(fixture(t, "generic_one.json"))
	same(t, one(t, as, err), alerts.Alert{Source: "icinga", Key: "db1/disk", Event: alerts.Firing,
		Title: "Disk almost full on db1", Description: "/var at 97%", Severity: "critical",
		Labels: map[string]string{"service": "postgres", "host": "db1"}, Link: "https://icinga.example/host/db1",
		StartsAt: utc("2024-05-01T08:00:00Z")})

	as, err = alerts.ParseGeneric(fixture(t, "generic_array.json"))
	if err != nil || len(as) != 2 {
		t.Fatalf("%d alerts, %v", len(as), err)
	}
	same(t, as[0], alerts.Alert{Source: "generic", Key: "derived:" + sum("Backup failed\nattempt=3\nretry=true\nservice=backup\n"),
		Event: alerts.Firing, Title: "Backup failed", Labels: map[string]string{"service": "backup", "attempt": "3", "retry": "true"},
		Problems: []string{"no key: derived from the title and labels"}})
	same(t, as[1], alerts.Alert{Source: "cron", Key: "nightly", Event: alerts.Resolved, Title: "Nightly job late",
		EndsAt: utc("2024-05-02T03:00:00Z"), Problems: []string{"link dropped: not an http(s) URL"}})

	as, err = alerts.ParseGeneric(fixture(t, "generic_icinga.json"))
	if err != nil || len(as) != 3 {
		t.Fatalf("%d alerts, %v", len(as), err)
	}
	for i, want := range []alerts.Event{alerts.Firing, alerts.Resolved, alerts.Resolved} {
		if as[i].Event != want {
			t.Errorf("[%d].Event = %s, want %s", i, as[i].Event, want)
		}
	}
}

type parser struct {
	name  string
	parse func([]byte) ([]alerts.Alert, error)
}

var parsers = []parser{
	{"alertmanager", alerts.ParseAlertmanager},
	{"opsgenie", func(b []byte) ([]alerts.Alert, error) { as, _, err := alerts.ParseOpsgenie(b); return as, err }},
	{"generic", alerts.ParseGeneric},
}

func manyAlerts(n int, one string) []byte {
	return []byte("[" + strings.TrimSuffix(strings.Repeat(one+",", n), ",") + "]")
}

func TestRefusals(t *testing.T) {
	firing := fixture(t, "am_firing.json")
	cases := map[string][]struct{ body, want string }{
		"alertmanager": {
			{"", "the body is empty"},
			{" \n", "the body is empty"},
			{"null", "no alerts in the payload"},
			{"{}", "no alerts in the payload"},
			{`{"alerts":[]}`, "no alerts in the payload"},
			{"[]", "the payload must be an object, got an array"},
			{string(firing[:57]), "malformed JSON at byte 57: the body ends inside the JSON value"},
			{`{"alerts":[{"status":"firing",}]}`, "malformed JSON at byte 31: invalid character '}'"},
			{string(firing) + " x", fmt.Sprintf("malformed JSON at byte %d: data after the end of the JSON value", len(firing)+2)},
			{`{"alerts":[]} {}`, "data after the end of the JSON value"},
			{`{"alerts":{}}`, "alerts: must be an array, got an object"},
			{`{"status":"firing","alerts":[null]}`, "alerts[0]: must be an object, got null"},
			{`{"status":"firing","alerts":[{"startsAt":true},{"startsAt":5}]}`, "alerts[1].startsAt: must be a string, got a number"},
			{`{"status":"firing","alerts":[{"labels":["a"]}]}`, "alerts[0].labels: must be an object, got an array"},
			{`{"status":"firing","alerts":[{"labels":{"env":{"x":1}}}]}`, "alerts[0].labels.env: must be a string, got an object"},
			{`{"status":"firing","alerts":[{"annotations":{"summary":[1]}}]}`, "alerts[0].annotations.summary: must be a string, got an array"},
			{`{"alerts":[{"status":"firng"},{"status":"fring"}]}`, `alerts[1].status: must be "firing" or "resolved", got "fring"`},
			{`{"alerts":[{"fingerprint":"x"}]}`, "alerts[0].status is missing, and so is the payload's status"},
			{`{"status":"odd","alerts":[{"fingerprint":"x"}]}`, `status: must be "firing" or "resolved", got "odd"`},
			{`{"status":"firing","alerts":` + string(manyAlerts(alerts.MaxAlerts+1, `{}`)) + `}`, "too many alerts: 1001, at most 1000"},
		},
		"opsgenie": {
			{"", "the body is empty"},
			{"null", "action is required"},
			{"{}", "action is required"},
			{"[]", "the payload must be an object, got an array"},
			{`{"action":"Create","alert":{"alias":"a","mess`, "malformed JSON at byte 45: the body ends inside the JSON value"},
			{`{"action":5}`, "action: must be a string, got a number"},
			{`{"action":"Create"}`, "alert is required"},
			{`{"action":"Create","alert":"x"}`, "alert: must be an object, got a string"},
			{`{"action":"Create","alert":{"message":"m"}}`, "alert.alias or alert.alertId is required"},
			{`{"action":"Create","alert":{"alias":"a"}}`, "alert.message is required for the Create action"},
			{`{"action":"Create","alert":{"alias":"a","message":"m","tags":[1]}}`, "alert.tags: must be a string, got a number"},
			{`{"action":"Create","alert":{"alias":"a","message":"m","details":{"k":{}}}}`, "alert.details.k: must be a string, got an object"},
			{`{"action":"Create","alert":{"alias":"a","message":"m"}}]`, "malformed JSON at byte 56: data after the end of the JSON value"},
		},
		"generic": {
			{"", "the body is empty"},
			{"null", "the payload must be an alert object or an array of them, got null"},
			{`"x"`, "the payload must be an alert object or an array of them, got a string"},
			{"[]", "no alerts in the payload"},
			{"{}", "title is required"},
			{`[{"title":""},{"title":" \n "}]`, "[1].title is required"},
			{`[{},null]`, "[1]: must be an alert object, got null"},
			{`{"title":5}`, "title: must be a string, got a number"},
			{`[{"title":"a","labels":5},{"title":"b","labels":"x"}]`, "[1].labels: must be an object, got a string"},
			{`{"title":"a","labels":{"x":{"y":"z"}}}`, "labels.x: must be a string, got an object"},
			{`[{"title":"a","status":"x"},{"title":"b","status":"y"},{"title":"c","status":"broken"},{}]`, `[2].status: must be "firing" or "resolved", got "broken"; and 1 more`},
			{`{"title":"a","source":"my source"}`, `source: must be 1 to 64 lower-case letters`},
			{`{"title":"a","source":"-x"}`, `source: must be 1 to 64`},
			{`{"title":"a","source":"` + strings.Repeat("s", 65) + `"}`, `source: must be 1 to 64`},
			{`{"title":"a","source":"AlertManager"}`, `source: "alertmanager" has a hook of its own`},
			{`{"title":"a","source":"opsgenie"}`, `source: "opsgenie" has a hook of its own`},
			{`{"title":"a"`, "malformed JSON at byte 12"},
			{`{"title":"a"} {"title":"b"}`, "malformed JSON at byte 15: data after the end of the JSON value"},
			{string(manyAlerts(alerts.MaxAlerts+1, `{"title":"a"}`)), "too many alerts: 1001, at most 1000"},
		},
	}
	for _, p := range parsers {
		for _, c := range cases[p.name] {
			name := c.body
			if len(name) > 40 {
				name = name[:40]
			}
			t.Run(p.name+"/"+name, func(t *testing.T) {
				as, err := p.parse([]byte(c.body))
				var pe *alerts.PayloadError
				if !errors.As(err, &pe) {
					t.Fatalf("got %d alerts, error %v (%T), want a PayloadError", len(as), err, err)
				}
				if !strings.Contains(pe.Msg, c.want) {
					t.Errorf("error %q, want %q in it", pe.Msg, c.want)
				}
				if as != nil {
					t.Errorf("alerts with the error: %v", as)
				}
			})
		}
	}
}

func TestBigStrings(t *testing.T) {
	big := strings.Repeat("a b\n", 3<<18) // 3 MB
	for _, c := range []struct {
		p    parser
		body string
	}{
		{parsers[0], `{"status":"firing","alerts":[{"fingerprint":"f","annotations":{"summary":"` + strings.ReplaceAll(big, "\n", `\n`) + `"}}]}`},
		{parsers[1], `{"action":"Create","alert":{"alias":"a","message":"` + strings.ReplaceAll(big, "\n", `\n`) + `"}}`},
		{parsers[2], `{"title":"` + strings.ReplaceAll(big, "\n", `\n`) + `","key":"` + strings.Repeat("k", 3<<20) + `"}`},
	} {
		as, err := c.p.parse([]byte(c.body))
		a := one(t, as, err)
		if want := strings.Repeat("a b ", 49) + "a…"; a.Title != want {
			t.Errorf("%s: Title = %q, want %q", c.p.name, a.Title, want)
		}
		if !strings.Contains(strings.Join(a.Problems, "\n"), "title cut to 200 bytes") {
			t.Errorf("%s: Problems = %q", c.p.name, a.Problems)
		}
		checkAlert(t, a)
	}
}

// checkAlert checks what every parsed alert promises.
func checkAlert(t *testing.T, a alerts.Alert) {
	t.Helper()
	if a.Dropped != "" {
		if a.Key != "" || a.Title != "" || a.Problems != nil || !utf8.ValidString(a.Dropped) {
			t.Errorf("dropped alert with more than why: %+v", a)
		}
		return
	}
	if a.Key == "" {
		t.Errorf("empty key")
	}
	if utf8.RuneCountInString(a.Key) > alerts.MaxKeyLen {
		t.Errorf("key of %d characters", utf8.RuneCountInString(a.Key))
	}
	if a.Title == "" || len(a.Title) > alerts.MaxTitleLen || len(a.Title) > status.MaxNameLen {
		t.Errorf("title %q", a.Title)
	}
	for _, r := range a.Title {
		if unicode.IsControl(r) {
			t.Errorf("control %U in title %q", r, a.Title)
		}
	}
	if len(a.Description) > alerts.MaxDescriptionLen {
		t.Errorf("description of %d bytes", len(a.Description))
	}
	for _, r := range a.Description {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			t.Errorf("control %U in description", r)
		}
	}
	if a.Event != alerts.Firing && a.Event != alerts.Resolved && a.Event != alerts.Acknowledged {
		t.Errorf("event %q", a.Event)
	}
	if a.Link != "" && !strings.HasPrefix(a.Link, "http://") && !strings.HasPrefix(a.Link, "https://") {
		t.Errorf("link %q", a.Link)
	}
	if len(a.Labels) > alerts.MaxLabels {
		t.Errorf("%d labels", len(a.Labels))
	}
	strs := []string{a.Source, a.Key, string(a.Event), a.Title, a.Description, a.Severity, a.Link, a.Group, a.By}
	strs = append(strs, a.Problems...)
	for k, v := range a.Labels {
		if k == "" || len(k) > alerts.MaxLabelNameLen || len(v) > alerts.MaxLabelValueLen {
			t.Errorf("label %q=%q", k, v)
		}
		strs = append(strs, k, v)
	}
	for _, s := range strs {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			t.Errorf("invalid UTF-8 or NUL in %q", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		f.Add(fixture(f, filepath.Base(name)))
	}
	f.Add([]byte(`{"title":"a","labels":{"x":1.5e3,"y":null},"link":"HTTPS://x.example/\u0000"}`))
	f.Add([]byte("{\"status\":\"firing\",\"alerts\":[{\"labels\":{\"\\u0000\":\"\xff\"},\"annotations\":{\"summary\":\" \\n \"}}]}"))
	f.Add([]byte(`{"action":"close","alert":{"alertId":" ","alias":"\u0000x","updatedAt":-5,"createdAt":1e300}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range parsers {
			as, err := p.parse(body)
			if err != nil {
				var pe *alerts.PayloadError
				if !errors.As(err, &pe) || pe.Msg == "" || !utf8.ValidString(pe.Msg) {
					t.Errorf("%s: error %v (%T), want a PayloadError", p.name, err, err)
				}
				if len(as) != 0 {
					t.Errorf("%s: alerts with an error", p.name)
				}
				continue
			}
			for _, a := range as {
				checkAlert(t, a)
			}
		}
	})
}
