package alerts_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/herald-status/herald/inbound/alerts"
)

func TestParseMatchers(t *testing.T) {
	for _, c := range []struct {
		in, canonical string
	}{
		{`service="postgres"`, `service="postgres"`},
		{`service="postgres", env=~"prod|staging", team!="web", host!~"test-.*"`, `service="postgres", env=~"prod|staging", team!="web", host!~"test-.*"`},
		{`{service="postgres",env="prod"}`, `service="postgres", env="prod"`},
		{` { service = postgres , path=/var/lib , } `, `service="postgres", path="/var/lib"`},
		{`tag:db="true"`, `tag:db="true"`},
		{`"tag:on-call"="true"`, `"tag:on-call"="true"`},
		{`msg="say \"hi\"\\\n"`, `msg="say \"hi\"\\\n"`},
		{`env=""`, `env=""`},
		{`v="é☃"`, `v="é☃"`},
	} {
		t.Run(c.in, func(t *testing.T) {
			ms, err := alerts.ParseMatchers(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := ms.String(); got != c.canonical {
				t.Errorf("String() = %s, want %s", got, c.canonical)
			}
			again, err := alerts.ParseMatchers(ms.String())
			if err != nil {
				t.Fatalf("canonical form does not parse: %v", err)
			}
			if again.String() != ms.String() || len(again) != len(ms) {
				t.Errorf("round trip: %s, then %s", ms, again)
			}
			for i := range ms {
				if ms[i].Name != again[i].Name || ms[i].Op != again[i].Op || ms[i].Value != again[i].Value {
					t.Errorf("round trip changed matcher %d: %+v then %+v", i, ms[i], again[i])
				}
			}
		})
	}
	ms, err := alerts.ParseMatchers(`msg="say \"hi\"\\\n"`)
	if err != nil || ms[0].Name != "msg" || ms[0].Op != "=" || ms[0].Value != "say \"hi\"\\\n" {
		t.Errorf("escapes: %+v, %v", ms, err)
	}
}

func TestMatchersMatch(t *testing.T) {
	labels := map[string]string{"service": "postgres", "env": "production", "team": "db", "tag:prod": "true"}
	for _, c := range []struct {
		matchers string
		want     bool
	}{
		{`service="postgres"`, true},
		{`service="Postgres"`, false},
		{`service!="postgres"`, false},
		{`service!="mysql"`, true},
		{`env=~"prod"`, false}, // anchored: does not match "production"
		{`env=~"prod.*"`, true},
		{`env=~"staging|production"`, true},
		{`env!~"prod"`, true},
		{`env!~"prod.*"`, false},
		{`region!="eu"`, true}, // a missing label is ""
		{`region=""`, true},
		{`service=""`, false},
		{`region=~".*"`, true},
		{`region=~".+"`, false},
		{`region!~".+"`, true},
		{`region="eu"`, false},
		{`tag:prod="true"`, true},
		{`service="postgres", env=~"prod.*", team!="web"`, true},
		{`service="postgres", env=~"staging"`, false},
	} {
		ms, err := alerts.ParseMatchers(c.matchers)
		if err != nil {
			t.Fatalf("%s: %v", c.matchers, err)
		}
		if got := ms.Matches(labels); got != c.want {
			t.Errorf("%s matches %v: %v, want %v", c.matchers, labels, got, c.want)
		}
	}
	// A matcher made by hand, not parsed, still anchors its regexp.
	m := alerts.Matchers{{Name: "env", Op: "=~", Value: "prod"}}
	if m.Matches(labels) || !m.Matches(map[string]string{"env": "prod"}) {
		t.Errorf("hand-made =~ matcher is not anchored")
	}
}

func TestParseMatchersRefusals(t *testing.T) {
	many := strings.TrimSuffix(strings.Repeat(`a="b",`, alerts.MaxMatchers+1), ",")
	for _, c := range []struct{ in, want string }{
		{``, "at least one matcher is needed"},
		{`  `, "at least one matcher is needed"},
		{`{}`, "at least one matcher is needed"},
		{`,`, "must start with a label name"},
		{`service="postgres`, `the quoted value is not closed`},
		{`service="postgres", env=~"("`, `matcher 2 (env=~"("): bad regular expression`},
		{`9lives="x"`, "matcher 1 must start with a label name"},
		{`ser-vice="x"`, "expected an operator"},
		{`service=="x"`, `expected a value after service=`},
		{`service~="x"`, "expected an operator"},
		{`service<"x"`, "expected an operator"},
		{`service`, "expected an operator"},
		{`service=`, "expected a value after service="},
		{`service="a" env="b"`, "expected ',' after matcher 1"},
		{`{service="a"`, "the '{' is not closed"},
		{`service="\q"`, "bad escape"},
		{`""="x"`, "empty label name"},
		{"service=\"a\x00\"", "control character"},
		{`service="a\x00"`, "NUL byte"},
		{"service=\"\xff\"", "not valid UTF-8"},
		{many, fmt.Sprintf("too many matchers: more than %d", alerts.MaxMatchers)},
		{`a="` + strings.Repeat("x", alerts.MaxMatchersLen) + `"`, "at most 1000"},
	} {
		ms, err := alerts.ParseMatchers(c.in)
		if err == nil {
			t.Errorf("%q: parsed as %s, want an error", c.in, ms)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q, want %q in it", c.in, err, c.want)
		}
	}
	exactly := strings.TrimSuffix(strings.Repeat(`a="b",`, alerts.MaxMatchers), ",")
	if ms, err := alerts.ParseMatchers(exactly); err != nil || len(ms) != alerts.MaxMatchers {
		t.Errorf("%d matchers: %v", alerts.MaxMatchers, err)
	}
}

func FuzzMatchers(f *testing.F) {
	for _, s := range []string{`service="postgres", env=~"prod|staging"`, `{a!~"x.*",b!="y"}`, `"tag:x"="\n"`, `a=b/c`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := alerts.ParseMatchers(s)
		if err != nil {
			return
		}
		again, err := alerts.ParseMatchers(ms.String())
		if err != nil {
			t.Fatalf("%q parsed, its canonical form %q does not: %v", s, ms.String(), err)
		}
		if again.String() != ms.String() {
			t.Fatalf("round trip %q -> %q", ms.String(), again.String())
		}
		ms.Matches(map[string]string{"a": "b"})
	})
}
