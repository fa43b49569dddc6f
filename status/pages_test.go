package status_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func TestCreatePage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p, err := b.svc.Pages.Create(b.ctx, status.PageInput{
			Slug: "acme", Name: "  Acme Cloud  ", Description: "Line one\nline two",
			SupportEmail: "support@acme.example", SupportURL: "https://acme.example/help",
			Hosts: []string{" Status.Acme.Example ", "status.acme.example:8443"},
		})
		require.NoError(t, err)
		require.True(t, status.ValidID(p.ID))
		require.Equal(t, "Acme Cloud", p.Name)
		require.Equal(t, "Etc/UTC", p.TimeZone, "empty time zone means UTC")
		require.EqualValues(t, 1, p.Version)
		requireTime(t, epoch, p.CreatedAt)
		require.Equal(t, []string{"status.acme.example", "status.acme.example:8443"}, p.Hosts)

		got, err := b.svc.Pages.ByID(b.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, "acme", got.Slug)
		require.Equal(t, "Acme Cloud", got.Name)
		require.Equal(t, "Line one\nline two", got.Description)
		require.Equal(t, "support@acme.example", got.SupportEmail)
		require.Equal(t, "https://acme.example/help", got.SupportURL)
		require.Equal(t, p.Hosts, got.Hosts)
		requireTime(t, epoch, got.CreatedAt)
		require.Equal(t, "Etc/UTC", got.Location().String())
	})
}

func TestPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		zed := statustest.Page(t, b.svc, &statustest.PageOpts{Name: "Zed", Hosts: []string{"zed.example"}})
		alpha := statustest.Page(t, b.svc, &statustest.PageOpts{Name: "Alpha", Hosts: []string{"b.alpha.example", "a.alpha.example"}})
		bare := statustest.Page(t, b.svc, &statustest.PageOpts{Name: "Middle"})

		pages, err := b.svc.Pages.List(b.ctx)
		require.NoError(t, err)
		require.Len(t, pages, 3)
		require.Equal(t, []string{alpha.ID, bare.ID, zed.ID}, []string{pages[0].ID, pages[1].ID, pages[2].ID}, "ordered by name")
		require.Equal(t, []string{"a.alpha.example", "b.alpha.example"}, pages[0].Hosts)
		require.Empty(t, pages[1].Hosts)
		require.Equal(t, []string{"zed.example"}, pages[2].Hosts)
	})
}

func TestCreatePage_Conflicts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "acme", Hosts: []string{"status.acme.example"}})

		_, err := b.svc.Pages.Create(b.ctx, status.PageInput{Slug: "acme", Name: "Other"})
		requireField(t, err, status.KindConflict, "slug")

		_, err = b.svc.Pages.Create(b.ctx, status.PageInput{Slug: "other", Name: "Other",
			Hosts: []string{"free.example", "STATUS.acme.example"}})
		requireField(t, err, status.KindConflict, "hosts[1]")

		pages, err := b.svc.Pages.List(b.ctx)
		require.NoError(t, err)
		require.Len(t, pages, 1, "a refused page leaves nothing behind")

		// The free host of the refused page was rolled back too.
		_, err = b.svc.Pages.Create(b.ctx, status.PageInput{Slug: "other", Name: "Other", Hosts: []string{"free.example"}})
		require.NoError(t, err)
	})
}

func TestCreatePage_InvalidInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		edit  func(in *status.PageInput)
		field string
	}{
		{"empty slug", func(in *status.PageInput) { in.Slug = "" }, "slug"},
		{"slug with capitals", func(in *status.PageInput) { in.Slug = "Acme" }, "slug"},
		{"slug starting with a dash", func(in *status.PageInput) { in.Slug = "-acme" }, "slug"},
		{"slug ending with a dash", func(in *status.PageInput) { in.Slug = "acme-" }, "slug"},
		{"slug with a slash", func(in *status.PageInput) { in.Slug = "acme/../admin" }, "slug"},
		{"slug with a NUL", func(in *status.PageInput) { in.Slug = "acme\x00" }, "slug"},
		{"slug of 64 characters", func(in *status.PageInput) { in.Slug = strings.Repeat("a", 64) }, "slug"},
		{"blank name", func(in *status.PageInput) { in.Name = "   " }, "name"},
		{"name too long", func(in *status.PageInput) { in.Name = strings.Repeat("n", status.MaxNameLen+1) }, "name"},
		{"name with a NUL", func(in *status.PageInput) { in.Name = "Acme\x00" }, "name"},
		{"name with invalid UTF-8", func(in *status.PageInput) { in.Name = "Acme \xff\xfe" }, "name"},
		{"name with a newline", func(in *status.PageInput) { in.Name = "Acme\nInjected: header" }, "name"},
		{"name with an escape sequence", func(in *status.PageInput) { in.Name = "Acme\x1b[31m" }, "name"},
		{"name with DEL", func(in *status.PageInput) { in.Name = "Acme\x7f" }, "name"},
		{"description with a NUL", func(in *status.PageInput) { in.Description = "a\x00b" }, "description"},
		{"description too long", func(in *status.PageInput) { in.Description = strings.Repeat("d", status.MaxShortLen+1) }, "description"},
		{"unknown time zone", func(in *status.PageInput) { in.TimeZone = "Mars/Olympus_Mons" }, "time_zone"},
		{"Local time zone", func(in *status.PageInput) { in.TimeZone = "Local" }, "time_zone"},
		{"time zone path traversal", func(in *status.PageInput) { in.TimeZone = "../../../etc/passwd" }, "time_zone"},
		{"absolute time zone path", func(in *status.PageInput) { in.TimeZone = "/etc/localtime" }, "time_zone"},
		{"support email with a display name", func(in *status.PageInput) { in.SupportEmail = "Support <support@acme.example>" }, "support_email"},
		{"support email without a domain", func(in *status.PageInput) { in.SupportEmail = "support" }, "support_email"},
		{"support email with a newline", func(in *status.PageInput) { in.SupportEmail = "a@b.example\nBcc: x@y.example" }, "support_email"},
		{"support URL with a javascript scheme", func(in *status.PageInput) { in.SupportURL = "javascript:alert(1)" }, "support_url"},
		{"support URL with an ftp scheme", func(in *status.PageInput) { in.SupportURL = "ftp://acme.example/" }, "support_url"},
		{"support URL without a host", func(in *status.PageInput) { in.SupportURL = "https://" }, "support_url"},
		{"support URL relative", func(in *status.PageInput) { in.SupportURL = "/help" }, "support_url"},
		{"support URL too long", func(in *status.PageInput) {
			in.SupportURL = "https://acme.example/" + strings.Repeat("x", status.MaxShortLen)
		}, "support_url"},
		{"host with a space", func(in *status.PageInput) { in.Hosts = []string{"status.acme.example", "exa mple.com"} }, "hosts[1]"},
		{"host with a path", func(in *status.PageInput) { in.Hosts = []string{"acme.example/status"} }, "hosts[0]"},
		{"host with a scheme", func(in *status.PageInput) { in.Hosts = []string{"https://acme.example"} }, "hosts[0]"},
		{"empty host", func(in *status.PageInput) { in.Hosts = []string{""} }, "hosts[0]"},
		{"host listed twice", func(in *status.PageInput) { in.Hosts = []string{"a.example", "A.example"} }, "hosts[1]"},
		{"too many hosts", func(in *status.PageInput) {
			in.Hosts = nil
			for i := range 21 {
				in.Hosts = append(in.Hosts, "h"+strings.Repeat("x", i)+".example")
			}
		}, "hosts"},
	}
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := status.PageInput{Slug: "acme", Name: "Acme", Hosts: []string{"status.acme.example"}}
				tc.edit(&in)
				_, err := b.svc.Pages.Create(b.ctx, in)
				requireField(t, err, status.KindInvalid, tc.field)
			})
		}
		pages, err := b.svc.Pages.List(b.ctx)
		require.NoError(t, err)
		require.Empty(t, pages)
	})
}

func TestCreatePage_ValidEdges(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p, err := b.svc.Pages.Create(b.ctx, status.PageInput{
			Slug:     strings.Repeat("a", 63),
			Name:     strings.Repeat("ü", status.MaxNameLen/2), // exactly MaxNameLen bytes
			TimeZone: "America/Argentina/Buenos_Aires",
			Hosts:    []string{"localhost:8080"},
		})
		require.NoError(t, err)
		require.Equal(t, "America/Argentina/Buenos_Aires", p.Location().String())

		_, err = b.svc.Pages.Create(b.ctx, status.PageInput{Slug: "a", Name: "🚀 Launch", TimeZone: "UTC"})
		require.NoError(t, err)
	})
}

func TestUpdatePage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "acme", Name: "Acme", Description: "keep me",
			Hosts: []string{"old.acme.example", "keep.acme.example"}})
		other := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "other", Hosts: []string{"other.example"}})

		later := b.clock.Advance(time.Hour)
		got, err := b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{
			Name:     statustest.Ptr("Acme Cloud"),
			TimeZone: statustest.Ptr("Europe/Berlin"),
			Slug:     statustest.Ptr("acme"), // its own slug is no conflict
			Hosts:    &[]string{"keep.acme.example", "NEW.acme.example"},
		})
		require.NoError(t, err)
		require.Equal(t, "Acme Cloud", got.Name)
		require.Equal(t, "keep me", got.Description, "nil fields stay")
		require.Greater(t, got.Version, p.Version)
		requireTime(t, later, got.UpdatedAt)

		got, err = b.svc.Pages.ByID(b.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, "Europe/Berlin", got.TimeZone)
		require.Equal(t, []string{"keep.acme.example", "new.acme.example"}, got.Hosts)

		// The dropped host is free for another page.
		_, err = b.svc.Pages.Update(b.ctx, other.ID, status.PagePatch{Hosts: &[]string{"old.acme.example"}})
		require.NoError(t, err)

		_, err = b.svc.Pages.Update(b.ctx, other.ID, status.PagePatch{Slug: statustest.Ptr("acme")})
		requireField(t, err, status.KindConflict, "slug")

		_, err = b.svc.Pages.Update(b.ctx, other.ID, status.PagePatch{Hosts: &[]string{"old.acme.example", "new.acme.example"}})
		requireField(t, err, status.KindConflict, "hosts[1]")
		got, err = b.svc.Pages.ByID(b.ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"old.acme.example"}, got.Hosts, "a refused update keeps the hosts")
		require.Equal(t, "other", got.Slug)

		_, err = b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{TimeZone: statustest.Ptr("Nowhere/Special")})
		requireField(t, err, status.KindInvalid, "time_zone")
		_, err = b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{Name: statustest.Ptr("")})
		requireField(t, err, status.KindInvalid, "name")
		_, err = b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{SupportURL: statustest.Ptr("data:text/html,hi")})
		requireField(t, err, status.KindInvalid, "support_url")

		_, err = b.svc.Pages.Update(b.ctx, status.NewID(), status.PagePatch{Name: statustest.Ptr("Ghost")})
		requireKind(t, err, status.KindNotFound)
	})
}

func TestDeletePage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "acme", Hosts: []string{"status.acme.example"}})
		c := statustest.Component(t, b.svc, p.ID, nil)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{
			Components: []status.ComponentStatusInput{{ComponentID: c.ID, Status: status.MajorOutage}}})
		statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{ComponentIDs: []string{c.ID}})
		keep := statustest.Page(t, b.svc, nil)

		require.NoError(t, b.svc.Pages.Delete(b.ctx, p.ID))
		_, err := b.svc.Pages.ByID(b.ctx, p.ID)
		requireKind(t, err, status.KindNotFound)
		requireKind(t, b.svc.Pages.Delete(b.ctx, p.ID), status.KindNotFound)
		require.Empty(t, history(t, bdb, c.ID), "everything on the page goes with it")

		pages, err := b.svc.Pages.List(b.ctx)
		require.NoError(t, err)
		require.Len(t, pages, 1)
		require.Equal(t, keep.ID, pages[0].ID)

		// Slug and host are free again.
		statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "acme", Hosts: []string{"status.acme.example"}})
	})
}

func TestPageByID_NotFound(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		for _, id := range []string{status.NewID(), "", "NOT-AN-ID", "'; DROP TABLE pages; --", strings.Repeat("a", 1000)} {
			_, err := b.svc.Pages.ByID(b.ctx, id)
			requireKind(t, err, status.KindNotFound)
		}
	})
}

func TestPageVersions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		q := statustest.Page(t, b.svc, nil)
		v0, err := b.svc.Pages.Versions(b.ctx)
		require.NoError(t, err)
		require.Equal(t, map[string]int64{p.ID: 1, q.ID: 1}, v0)

		c := statustest.Component(t, b.svc, p.ID, nil)
		_, err = b.svc.Pages.UpdateComponent(b.ctx, p.ID, c.ID, status.ComponentPatch{Status: statustest.Ptr(status.PartialOutage)})
		require.NoError(t, err)
		v1, err := b.svc.Pages.Versions(b.ctx)
		require.NoError(t, err)
		require.Greater(t, v1[p.ID], v0[p.ID], "each change bumps the version")
		require.Equal(t, v0[q.ID], v1[q.ID], "other pages keep theirs")
	})
}

func TestChangedIsCalledAfterCommit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		var mu sync.Mutex
		var changed []string
		svc := status.New(bdb, status.Options{})
		svc.OnChanged(func(id string) {
			mu.Lock()
			defer mu.Unlock()
			changed = append(changed, id)
		})
		p := statustest.Page(t, svc, nil)
		statustest.Component(t, svc, p.ID, nil)
		_, err := svc.Pages.CreateComponent(t.Context(), p.ID, status.ComponentInput{Name: ""})
		requireKind(t, err, status.KindInvalid)
		_, err = svc.Pages.Update(t.Context(), p.ID, status.PagePatch{Slug: statustest.Ptr(p.Slug + "x")})
		require.NoError(t, err)

		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, []string{p.ID, p.ID, p.ID}, changed, "failed changes are not reported")
	})
}

func TestPageBySlug(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "acme", Hosts: []string{"status.acme.example"}})
		statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "acme-2"})

		got, err := b.svc.Pages.BySlug(b.ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, p.ID, got.ID)
		require.Equal(t, []string{"status.acme.example"}, got.Hosts)

		for _, slug := range []string{"acm", "ACME", "", "acme%", "acme_", "'acme'", "acme\x00"} {
			_, err := b.svc.Pages.BySlug(b.ctx, slug)
			requireKind(t, err, status.KindNotFound)
		}
	})
}
