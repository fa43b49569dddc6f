package status

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// PageInput describes a new page. Empty TimeZone means Etc/UTC.
type PageInput struct {
	Slug         string
	Name         string
	Description  string
	TimeZone     string
	SupportEmail string
	SupportURL   string
	Hosts        []string
	// The team's process settings, internal only.
	Office           OfficeHours
	OncallGuideURL   string
	VideoRoomURL     string
	VulnerabilityURL string
}

// PagePatch changes some fields of a page; nil fields stay as they are.
type PagePatch struct {
	Slug         *string
	Name         *string
	Description  *string
	TimeZone     *string
	SupportEmail *string
	SupportURL   *string
	Hosts        *[]string
	// Office sets the office hours (no days: none kept).
	Office           *OfficeHours
	OncallGuideURL   *string
	VideoRoomURL     *string
	VulnerabilityURL *string
}

func (p *PagePatch) validate() error {
	f := FieldErrors{}
	if p.Slug != nil {
		checkSlug(f, "slug", *p.Slug)
	}
	if p.Name != nil {
		checkText(f, "name", *p.Name, MaxNameLen, true, false)
	}
	if p.Description != nil {
		checkText(f, "description", *p.Description, MaxShortLen, false, true)
	}
	if p.TimeZone != nil {
		checkTimeZone(f, "time_zone", *p.TimeZone)
	}
	if p.SupportEmail != nil {
		checkEmail(f, "support_email", *p.SupportEmail)
	}
	if p.SupportURL != nil {
		checkURL(f, "support_url", *p.SupportURL)
	}
	if p.Office != nil {
		p.Office.check(f)
	}
	for field, v := range map[string]*string{"oncall_guide_url": p.OncallGuideURL, "video_room_url": p.VideoRoomURL,
		"vulnerability_url": p.VulnerabilityURL} {
		if v != nil {
			checkURL(f, field, strings.TrimSpace(*v))
		}
	}
	if p.Hosts != nil {
		if len(*p.Hosts) > 20 {
			f.Add("hosts", "at most 20 host names")
		}
		seen := map[string]bool{}
		for i, h := range *p.Hosts {
			checkHost(f, fmt.Sprintf("hosts[%d]", i), h)
			if seen[h] {
				f.Add(fmt.Sprintf("hosts[%d]", i), "is listed twice")
			}
			seen[h] = true
		}
	}
	return f.Err()
}

func normaliseHosts(hosts []string) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, strings.ToLower(strings.TrimSpace(h)))
	}
	return out
}

// Create adds a page. A slug or host name already in use is a
// KindConflict error.
func (s *Pages) Create(ctx context.Context, in PageInput) (*Page, error) {
	if in.TimeZone == "" {
		in.TimeZone = "Etc/UTC"
	}
	hosts := normaliseHosts(in.Hosts)
	patch := PagePatch{Slug: &in.Slug, Name: &in.Name, Description: &in.Description, TimeZone: &in.TimeZone,
		SupportEmail: &in.SupportEmail, SupportURL: &in.SupportURL, Hosts: &hosts, Office: &in.Office,
		OncallGuideURL: &in.OncallGuideURL, VideoRoomURL: &in.VideoRoomURL, VulnerabilityURL: &in.VulnerabilityURL}
	if err := patch.validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	p := &Page{ID: NewID(), Slug: in.Slug, Name: strings.TrimSpace(in.Name), Description: in.Description,
		TimeZone: in.TimeZone, SupportEmail: in.SupportEmail, SupportURL: in.SupportURL,
		Version: 1, CreatedAt: now, UpdatedAt: now, Hosts: hosts, Office: in.Office.normalised(),
		OncallGuideURL: strings.TrimSpace(in.OncallGuideURL), VideoRoomURL: strings.TrimSpace(in.VideoRoomURL),
		VulnerabilityURL: strings.TrimSpace(in.VulnerabilityURL)}
	err := s.inTx(ctx, &p.ID, func(ctx context.Context, tx bun.Tx) error {
		if err := checkSlugFree(ctx, tx, p.Slug, ""); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return fmt.Errorf("insert page: %w", err)
		}
		if err := setHosts(ctx, tx, p.ID, hosts); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "create", SubjectType: "page", SubjectID: p.ID, PageID: p.ID, After: p})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func checkSlugFree(ctx context.Context, tx bun.IDB, slug, exceptID string) error {
	n, err := tx.NewSelect().Model((*Page)(nil)).Where("slug = ?", slug).Where("id <> ?", exceptID).Count(ctx)
	if err != nil {
		return fmt.Errorf("check slug: %w", err)
	}
	if n > 0 {
		return &Error{Kind: KindConflict, Message: "That slug is taken.", Fields: map[string]string{"slug": "is already used by another page"}}
	}
	return nil
}

func setHosts(ctx context.Context, tx bun.IDB, pageID string, hosts []string) error {
	if _, err := tx.NewDelete().Model((*pageHost)(nil)).Where("page_id = ?", pageID).Exec(ctx); err != nil {
		return fmt.Errorf("clear hosts: %w", err)
	}
	for i, h := range hosts {
		var owner string
		err := tx.NewSelect().Model((*pageHost)(nil)).Column("page_id").Where("host = ?", h).Scan(ctx, &owner)
		if err != nil && KindOf(normalise(err)) != KindNotFound {
			return fmt.Errorf("check host %s: %w", h, err)
		}
		if err == nil {
			return &Error{Kind: KindConflict, Message: "A host name is taken.",
				Fields: map[string]string{fmt.Sprintf("hosts[%d]", i): "is already used by another page"}}
		}
		if _, err := tx.NewInsert().Model(&pageHost{Host: h, PageID: pageID}).Exec(ctx); err != nil {
			return fmt.Errorf("insert host: %w", err)
		}
	}
	return nil
}

// Update applies patch to the page.
func (s *Pages) Update(ctx context.Context, id string, patch PagePatch) (*Page, error) {
	if patch.Hosts != nil {
		h := normaliseHosts(*patch.Hosts)
		patch.Hosts = &h
	}
	if err := patch.validate(); err != nil {
		return nil, err
	}
	var p *Page
	err := s.inTx(ctx, &id, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if p, err = pageByID(ctx, tx, id); err != nil {
			return err
		}
		before := *p
		if patch.Slug != nil {
			if err := checkSlugFree(ctx, tx, *patch.Slug, id); err != nil {
				return err
			}
			p.Slug = *patch.Slug
		}
		if patch.Name != nil {
			p.Name = strings.TrimSpace(*patch.Name)
		}
		setIf(&p.Description, patch.Description)
		setIf(&p.TimeZone, patch.TimeZone)
		setIf(&p.SupportEmail, patch.SupportEmail)
		setIf(&p.SupportURL, patch.SupportURL)
		if patch.Office != nil {
			p.Office = patch.Office.normalised()
		}
		for dst, v := range map[*string]*string{&p.OncallGuideURL: patch.OncallGuideURL, &p.VideoRoomURL: patch.VideoRoomURL,
			&p.VulnerabilityURL: patch.VulnerabilityURL} {
			if v != nil {
				*dst = strings.TrimSpace(*v)
			}
		}
		p.UpdatedAt = s.Now()
		p.Version++
		if _, err := tx.NewUpdate().Model(p).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update page: %w", err)
		}
		if patch.Hosts != nil {
			p.Hosts = *patch.Hosts
			if err := setHosts(ctx, tx, id, p.Hosts); err != nil {
				return err
			}
		}
		return audit(ctx, tx, p.UpdatedAt, Change{Action: "update", SubjectType: "page", SubjectID: id, PageID: id, Before: before, After: p})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Delete removes a page and everything on it.
func (s *Pages) Delete(ctx context.Context, id string) error {
	if !ValidID(id) {
		return notFound("Page", id)
	}
	return s.inTx(ctx, &id, func(ctx context.Context, tx bun.Tx) error {
		p, err := pageByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*Page)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("delete page: %w", err)
		}
		return audit(ctx, tx, s.Now(), Change{Action: "delete", SubjectType: "page", SubjectID: id, PageID: id, Before: p})
	})
}

// ByID returns the page with the given id or a KindNotFound error.
func (s *Pages) ByID(ctx context.Context, id string) (*Page, error) {
	return pageByID(ctx, s.db, id)
}

func pageByID(ctx context.Context, db bun.IDB, id string) (*Page, error) {
	p := new(Page)
	if !ValidID(id) {
		return nil, notFound("Page", id)
	}
	if err := db.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		if KindOf(normalise(err)) == KindNotFound {
			return nil, notFound("Page", id)
		}
		return nil, fmt.Errorf("load page %s: %w", id, err)
	}
	if err := db.NewSelect().Model((*pageHost)(nil)).Column("host").Where("page_id = ?", id).Order("host").Scan(ctx, &p.Hosts); err != nil {
		return nil, fmt.Errorf("load hosts of page %s: %w", id, err)
	}
	return p, nil
}

// List returns every page ordered by name.
func (s *Pages) List(ctx context.Context) ([]*Page, error) {
	var pages []*Page
	if err := s.db.NewSelect().Model(&pages).Order("name", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list pages: %w", err)
	}
	var hosts []pageHost
	if err := s.db.NewSelect().Model(&hosts).Order("host").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	byID := map[string]*Page{}
	for _, p := range pages {
		byID[p.ID] = p
	}
	for _, h := range hosts {
		if p := byID[h.PageID]; p != nil {
			p.Hosts = append(p.Hosts, h.Host)
		}
	}
	return pages, nil
}

// Versions returns every page's id and version, for cheap polling.
func (s *Pages) Versions(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		ID      string `bun:"id"`
		Version int64  `bun:"version"`
	}
	if err := s.db.NewSelect().Model((*Page)(nil)).Column("id", "version").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read page versions: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Version
	}
	return out, nil
}

// BySlug returns the page with the given slug or KindNotFound.
func (s *Pages) BySlug(ctx context.Context, slug string) (*Page, error) {
	if !slugPattern.MatchString(slug) {
		return nil, notFound("Page", slug)
	}
	var id string
	if err := s.db.NewSelect().Model((*Page)(nil)).Column("id").Where("slug = ?", slug).Scan(ctx, &id); err != nil {
		return nil, notFoundOr(err, "Page", slug)
	}
	return pageByID(ctx, s.db, id)
}
