package status

import (
	"time"

	"github.com/uptrace/bun"
)

// Page is one public status page.
type Page struct {
	bun.BaseModel `bun:"table:pages"`

	ID           string `bun:"id,pk"`
	Slug         string `bun:"slug"`
	Name         string `bun:"name"`
	Description  string `bun:"description"`
	TimeZone     string `bun:"time_zone"`
	SupportEmail string `bun:"support_email"`
	SupportURL   string `bun:"support_url"`
	// Version grows with every change to the page's public data; replicas
	// compare it to decide when to rebuild their snapshot.
	Version   int64     `bun:"version"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`

	Hosts []string `bun:"-"`
}

// Location returns the page's time zone, UTC if it cannot be loaded.
func (p *Page) Location() *time.Location {
	if loc, err := time.LoadLocation(p.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

type pageHost struct {
	bun.BaseModel `bun:"table:page_hosts"`

	Host   string `bun:"host,pk"`
	PageID string `bun:"page_id"`
}
