package status_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
)

func TestUpdateTemplates(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		seeded, err := b.svc.Templates.List(b.ctx)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(seeded), 6, "a fresh database has a template per kind")
		kinds := map[status.UpdateKind]bool{}
		for _, tpl := range seeded {
			kinds[tpl.Kind] = true
		}
		for _, k := range []status.UpdateKind{status.KindAnalysis, status.KindProgress, status.KindETA, status.KindResolution} {
			require.True(t, kinds[k], "a template for %s", k)
		}

		tpl, err := b.svc.Templates.Save(b.ctx, "", status.UpdateTemplateInput{Name: " Holding ", Kind: status.KindGeneral,
			Body: "Still on {title}.", Position: 9})
		require.NoError(t, err)
		require.Equal(t, "Holding", tpl.Name)
		_, err = b.svc.Templates.Save(b.ctx, "", status.UpdateTemplateInput{Name: "HOLDING", Kind: status.KindGeneral, Body: "x"})
		require.Contains(t, requireKindError(t, err, status.KindConflict).Fields, "name")
		tpl, err = b.svc.Templates.Save(b.ctx, tpl.ID, status.UpdateTemplateInput{Name: "Holding", Kind: status.KindProgress,
			State: status.StateMitigating, Body: "Still on {title}, now mitigating."})
		require.NoError(t, err, "renaming to its own name is fine")
		got, err := b.svc.Templates.ByID(b.ctx, tpl.ID)
		require.NoError(t, err)
		require.Equal(t, status.KindProgress, got.Kind)

		for name, in := range map[string]status.UpdateTemplateInput{
			"name":     {Kind: status.KindGeneral, Body: "x"},
			"kind":     {Name: "a", Kind: "gossip", Body: "x"},
			"state":    {Name: "b", Kind: status.KindGeneral, State: "asleep", Body: "x"},
			"body":     {Name: "c", Kind: status.KindGeneral, Body: strings.Repeat("x", status.MaxBodyLen+1)},
			"position": {Name: "d", Kind: status.KindGeneral, Body: "x", Position: -1},
		} {
			_, err := b.svc.Templates.Save(b.ctx, "", in)
			require.Contains(t, requireKindError(t, err, status.KindInvalid).Fields, name, name)
		}
		_, err = b.svc.Templates.Save(b.ctx, "nosuchtempla", status.UpdateTemplateInput{Name: "e", Kind: status.KindGeneral, Body: "x"})
		require.Equal(t, status.KindNotFound, status.KindOf(err))

		require.NoError(t, b.svc.Templates.Delete(b.ctx, tpl.ID))
		require.Equal(t, status.KindNotFound, status.KindOf(b.svc.Templates.Delete(b.ctx, tpl.ID)))
		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "update_template", SubjectID: tpl.ID})
		require.NoError(t, err)
		require.Len(t, log, 3)
	})
}

func TestTemplatesForState(t *testing.T) {
	t.Parallel()
	all := []*status.UpdateTemplate{
		{Name: "any", Kind: status.KindGeneral},
		{Name: "inv", Kind: status.KindAnalysis, State: status.StateInvestigating},
		{Name: "mit", Kind: status.KindProgress, State: status.StateMitigating},
	}
	var names []string
	for _, tpl := range status.TemplatesFor(all, status.StateMitigating) {
		names = append(names, tpl.Name)
	}
	require.Equal(t, []string{"mit", "any"}, names)
}

func TestFillTemplate(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	next := time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC)
	eta := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	inc := &status.Incident{Title: "Slow API", StartedAt: time.Date(2026, 3, 10, 11, 5, 0, 0, time.UTC), NextUpdateAt: &next,
		Components: []*status.IncidentComponent{{ComponentID: "a"}, {ComponentID: "b"}, {ComponentID: "gone"}},
		Updates:    []*status.IncidentUpdate{{Kind: status.KindProgress}, {Kind: status.KindETA, ETA: &eta}}}
	names := map[string]string{"a": "API", "b": "Dashboard"}
	require.Equal(t, "Slow API on API and Dashboard since 12:05 CET; next by 13:30 CET, fixed by 15:00 CET. {unknown}",
		status.FillTemplate("{title} on {components} since {started}; next by {next_update}, fixed by {eta}. {unknown}", inc, names, berlin))

	bare := &status.Incident{Title: "X"}
	require.Equal(t, "[the affected service] by [time] / [time]",
		status.FillTemplate("{components} by {eta} / {next_update}", bare, nil, time.UTC))
}

func TestHoldingDraft(t *testing.T) {
	t.Parallel()
	eta := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	next := time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		updates []*status.IncidentUpdate
		want    []string
		wantNot []string
	}{
		{"nothing to build on", nil, nil, nil},
		{"general updates only", []*status.IncidentUpdate{{Kind: status.KindGeneral, Body: "Hello"}}, nil, nil},
		{"latest of each kind", []*status.IncidentUpdate{
			{Kind: status.KindProgress, Body: "Half the nodes are patched\n\nDetails follow."},
			{Kind: status.KindETA, ETA: &eta, Body: "By two."},
			{Kind: status.KindProgress, Body: "Patching started."},
			{Kind: status.KindAnalysis, Body: "A bad certificate on the **load balancer**."},
		}, []string{
			"What we know: A bad certificate on the **load balancer**.",
			"Latest progress: Half the nodes are patched.",
			"resolved by 14:00 UTC",
			"next update will follow by 12:30 UTC",
		}, []string{"Patching started", "Details follow"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := status.HoldingDraft(&status.Incident{Updates: tc.updates}, time.UTC, next)
			if tc.want == nil {
				require.Empty(t, got)
				return
			}
			for _, w := range tc.want {
				require.Contains(t, got, w)
			}
			for _, w := range tc.wantNot {
				require.NotContains(t, got, w)
			}
		})
	}
}
