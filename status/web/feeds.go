package web

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/templates"
)

// feedLimit is how many entries the history feeds carry.
const feedLimit = 50

// feedEntry is one incident or maintenance in a feed.
type feedEntry struct {
	ID, Title, Link string
	Published       time.Time
	Updated         time.Time
	Created         time.Time // never changes, so the entry id is stable
	HTML            string
}

// feedEntries are the page's incidents and maintenance as feed entries,
// newest first; links in their text are made absolute against base
// (HERALD_BASE_URL), since a feed reader has no page to resolve them on.
func feedEntries(v *status.PageView, pageURL string, base *url.URL) []feedEntry {
	loc := v.Page.Location()
	var out []feedEntry
	for _, inc := range v.Incidents {
		var b strings.Builder
		for _, u := range inc.Updates {
			fmt.Fprintf(&b, "<div><p><small>%s</small><br><strong>%s</strong></p>%s</div>",
				xmlEscape(u.DisplayAt.In(loc).Format("Jan 2, 15:04 MST")), xmlEscape(u.State.Label()), templates.MarkdownAt(u.Body, base))
		}
		out = append(out, feedEntry{ID: "incident/" + inc.ID, Title: status.IsolateDirection(inc.Title), Link: pageURL + "/incidents/" + inc.ID,
			Published: inc.StartedAt, Updated: inc.UpdatedAt, Created: inc.CreatedAt, HTML: b.String()})
	}
	for _, m := range v.Maintenances {
		var b strings.Builder
		fmt.Fprintf(&b, "<p><strong>Scheduled:</strong> %s – %s</p>", xmlEscape(m.ScheduledFor.In(loc).Format("Jan 2, 15:04 MST")),
			xmlEscape(m.ScheduledUntil.In(loc).Format("Jan 2, 15:04 MST")))
		for _, u := range m.Updates {
			fmt.Fprintf(&b, "<div><p><small>%s</small><br><strong>%s</strong></p>%s</div>",
				xmlEscape(u.CreatedAt.In(loc).Format("Jan 2, 15:04 MST")), xmlEscape(u.State.Label()), templates.MarkdownAt(u.Body, base))
		}
		out = append(out, feedEntry{ID: "maintenance/" + m.ID, Title: status.IsolateDirection(m.Title), Link: pageURL + "/maintenance/" + m.ID,
			Published: m.CreatedAt, Updated: m.UpdatedAt, Created: m.CreatedAt, HTML: b.String()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	if len(out) > feedLimit {
		out = out[:feedLimit]
	}
	return out
}

// tag is the entry's stable id (RFC 4151 tag URI): the day it was made
// and its id, whatever the page's address.
func (e feedEntry) tag() string {
	return "tag:herald," + e.Created.UTC().Format("2006-01-02") + ":" + e.ID
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string   `xml:"id"`
	Title     string   `xml:"title"`
	Published string   `xml:"published"`
	Updated   string   `xml:"updated"`
	Link      atomLink `xml:"link"`
	Content   atomText `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// atom renders the page's history as an Atom 1.0 feed (RFC 4287).
func atom(v *status.PageView, pageURL string, base *url.URL) ([]byte, error) {
	entries := feedEntries(v, pageURL, base)
	updated := v.UpdatedAt
	f := atomFeed{Lang: "en", ID: "tag:herald," + v.Page.CreatedAt.UTC().Format("2006-01-02") + ":" + v.Page.ID,
		Title: v.Page.Name + " Status - Incident History", Updated: updated.UTC().Format(time.RFC3339),
		Links:  []atomLink{{Rel: "alternate", Type: "text/html", Href: pageURL}, {Rel: "self", Type: "application/atom+xml", Href: pageURL + "/history.atom"}},
		Author: atomAuthor{Name: v.Page.Name}}
	for _, e := range entries {
		f.Entries = append(f.Entries, atomEntry{ID: e.tag(),
			Title: e.Title, Published: e.Published.UTC().Format(time.RFC3339), Updated: e.Updated.UTC().Format(time.RFC3339),
			Link: atomLink{Rel: "alternate", Type: "text/html", Href: e.Link}, Content: atomText{Type: "html", Body: e.HTML}})
	}
	return marshalXML(f)
}

type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Atom    string     `xml:"xmlns:atom,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	Description string    `xml:"description"`
	Language    string    `xml:"language"`
	LastBuild   string    `xml:"lastBuildDate"`
	Self        atomLink  `xml:"atom:link"`
	Items       []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	GUID        rssGUID `xml:"guid"`
	PubDate     string  `xml:"pubDate"`
	Description string  `xml:"description"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

// rss renders the page's history as RSS 2.0.
func rss(v *status.PageView, pageURL string, base *url.URL) ([]byte, error) {
	self := atomLink{Rel: "self", Type: "application/rss+xml", Href: pageURL + "/history.rss"}
	ch := rssChannel{Title: v.Page.Name + " Status - Incident History", Link: pageURL,
		Description: "Statuspage for " + v.Page.Name, Language: "en",
		LastBuild: v.UpdatedAt.UTC().Format(time.RFC1123Z), Self: self}
	for _, e := range feedEntries(v, pageURL, base) {
		// The same stable tag as Atom's id: the link changes when the page
		// gets a host name, and readers would show every item again.
		ch.Items = append(ch.Items, rssItem{Title: e.Title, Link: e.Link, GUID: rssGUID{IsPermaLink: false, Value: e.tag()},
			PubDate: e.Published.UTC().Format(time.RFC1123Z), Description: e.HTML})
	}
	return marshalXML(rssDoc{Version: "2.0", Atom: "http://www.w3.org/2005/Atom", Channel: ch})
}

func marshalXML(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal feed: %w", err)
	}
	return append([]byte(xml.Header), b...), nil
}

// badge renders a small SVG with the page's overall status.
func badge(v *status.PageView) []byte {
	label, text := "status", v.Overall.Description
	color := map[status.Impact]string{status.ImpactNone: "#1f8a4c", status.ImpactMinor: "#b07900",
		status.ImpactMajor: "#c8560b", status.ImpactCritical: "#c42b2b", status.ImpactMaintenance: "#2f6fc9"}[v.Overall.Indicator]
	lw, tw := 7*len(label)+12, 7*len(text)+12
	return []byte(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%[1]d" height="20" role="img" aria-label="%[3]s: %[4]s">`+
		`<title>%[3]s: %[4]s</title><rect width="%[2]d" height="20" fill="#555"/><rect x="%[2]d" width="%[5]d" height="20" fill="%[6]s"/>`+
		`<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">`+
		`<text x="6" y="14">%[3]s</text><text x="%[7]d" y="14">%[4]s</text></g></svg>`,
		lw+tw, lw, xmlEscape(label), xmlEscape(text), tw, color, lw+6))
}
