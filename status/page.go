package status

import (
	"net/url"
	"strings"
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
	// The team's process settings (DESIGN.md §1), internal only.
	Office           OfficeHours `bun:"embed:office_"`
	OncallGuideURL   string      `bun:"oncall_guide_url"`  // what applies outside office hours
	VideoRoomURL     string      `bun:"video_room_url"`    // the team's standing video room
	VulnerabilityURL string      `bun:"vulnerability_url"` // the vulnerability process
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

// URL is the absolute URL of the page's root: its first host name with the
// base URL's scheme (and port, when the host names none), or the base URL
// with /p/{slug}. A nil base means http://localhost:8080.
func (p *Page) URL(base *url.URL) string {
	if base == nil {
		base = &url.URL{Scheme: "http", Host: "localhost:8080"}
	}
	if len(p.Hosts) > 0 {
		host := p.Hosts[0]
		if port := base.Port(); port != "" && !strings.Contains(host, ":") {
			host += ":" + port
		}
		return base.Scheme + "://" + host
	}
	return strings.TrimRight(base.String(), "/") + "/p/" + p.Slug
}
