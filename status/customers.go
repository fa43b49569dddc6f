package status

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// newCustomerLists builds c's domains and contacts from in.
func newCustomerLists(c *Customer, in CustomerInput, now time.Time) {
	c.Domains = append([]string{}, in.Domains...)
	sort.Strings(c.Domains)
	c.Contacts = make([]*CustomerContact, len(in.Contacts))
	for i, ci := range in.Contacts {
		c.Contacts[i] = &CustomerContact{ID: NewID(), CustomerID: c.ID, Name: ci.Name, Email: ci.Email, Phone: ci.Phone,
			PhoneKey: PhoneKey(ci.Phone), PreferredChannel: ci.PreferredChannel, Role: ci.Role, Position: i, CreatedAt: now}
	}
}

// checkCustomerFree refuses a name another customer has (ignoring case)
// and domains that belong to another customer, naming that customer: the
// console is internal, and the person needs to know where to look.
// Domain fields are numbered as in domains, the input's order.
func checkCustomerFree(ctx context.Context, tx bun.IDB, c *Customer, domains []string) error {
	f := FieldErrors{}
	var other string
	err := tx.NewSelect().Model((*Customer)(nil)).Column("name").
		Where("lower(name) = lower(?)", c.Name).Where("id <> ?", c.ID).Limit(1).Scan(ctx, &other)
	switch {
	case err == nil:
		f.Add("name", "another customer is called "+other)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("check customer name: %w", err)
	}
	if len(domains) > 0 {
		var taken []struct {
			Domain string `bun:"domain"`
			Name   string `bun:"name"`
		}
		err := tx.NewSelect().TableExpr("customer_domains AS d").ColumnExpr("d.domain, cu.name").
			Join("JOIN customers AS cu ON cu.id = d.customer_id").
			Where("d.domain IN (?)", bun.List(domains)).Where("d.customer_id <> ?", c.ID).Scan(ctx, &taken)
		if err != nil {
			return fmt.Errorf("check customer domains: %w", err)
		}
		owner := map[string]string{}
		for _, t := range taken {
			owner[t.Domain] = t.Name
		}
		for i, d := range domains {
			if n, ok := owner[d]; ok {
				f.Add(fmt.Sprintf("domains[%d]", i), "already belongs to "+n)
			}
		}
	}
	if len(f) > 0 {
		return &Error{Kind: KindConflict, Message: "Some fields clash with another customer.", Fields: f}
	}
	return nil
}

// saveCustomerLists replaces the stored domains and contacts of c with
// those in memory.
func saveCustomerLists(ctx context.Context, tx bun.IDB, c *Customer) error {
	if _, err := tx.NewDelete().Model((*customerDomain)(nil)).Where("customer_id = ?", c.ID).Exec(ctx); err != nil {
		return fmt.Errorf("clear domains of customer %s: %w", c.ID, err)
	}
	if _, err := tx.NewDelete().Model((*CustomerContact)(nil)).Where("customer_id = ?", c.ID).Exec(ctx); err != nil {
		return fmt.Errorf("clear contacts of customer %s: %w", c.ID, err)
	}
	if len(c.Domains) > 0 {
		ds := make([]customerDomain, len(c.Domains))
		for i, d := range c.Domains {
			ds[i] = customerDomain{Domain: d, CustomerID: c.ID}
		}
		if _, err := tx.NewInsert().Model(&ds).Exec(ctx); err != nil {
			return fmt.Errorf("insert domains of customer %s: %w", c.ID, err)
		}
	}
	if len(c.Contacts) > 0 {
		if _, err := tx.NewInsert().Model(&c.Contacts).Exec(ctx); err != nil {
			return fmt.Errorf("insert contacts of customer %s: %w", c.ID, err)
		}
	}
	return nil
}

// Create adds a customer. Invalid input is a KindInvalid error; a
// name or domain another customer has is a KindConflict error, both with
// Fields. The change is written to the audit log.
func (s *Customers) Create(ctx context.Context, in CustomerInput) (*Customer, error) {
	in.normalise()
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	c := &Customer{ID: NewID(), Name: in.Name, AccountManagerEmail: in.AccountManagerEmail, OncallNotes: in.OncallNotes,
		OncallURL: in.OncallURL, Version: 1, CreatedAt: now, UpdatedAt: now}
	newCustomerLists(c, in, now)
	err := s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := checkCustomerFree(ctx, tx, c, in.Domains); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return fmt.Errorf("insert customer: %w", err)
		}
		if err := saveCustomerLists(ctx, tx, c); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "create", SubjectType: "customer", SubjectID: c.ID, After: c})
	})
	if err != nil {
		return nil, err
	}
	return s.ByID(ctx, c.ID)
}

// Update replaces a customer's fields, domains and contacts with
// in. When in.Version is set and the customer has changed since that
// version, nothing is saved and the error is KindConflict. Otherwise the
// errors are those of CreateCustomer, or KindNotFound.
func (s *Customers) Update(ctx context.Context, id string, in CustomerInput) (*Customer, error) {
	if !ValidID(id) {
		return nil, notFound("Customer", id)
	}
	in.normalise()
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	err := s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old, err := customerByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.Version != 0 && in.Version != old.Version {
			return staleCustomer()
		}
		c := &Customer{ID: old.ID, Name: in.Name, AccountManagerEmail: in.AccountManagerEmail, OncallNotes: in.OncallNotes,
			OncallURL: in.OncallURL, Version: old.Version + 1, CreatedAt: old.CreatedAt, UpdatedAt: now}
		newCustomerLists(c, in, now)
		if err := checkCustomerFree(ctx, tx, c, in.Domains); err != nil {
			return err
		}
		// The version in the WHERE clause settles a race between two saves
		// that both read the old version.
		res, err := tx.NewUpdate().Model(c).Column("name", "account_manager_email", "oncall_notes", "oncall_url", "version", "updated_at").
			Where("id = ? AND version = ?", id, old.Version).Exec(ctx)
		if err != nil {
			return fmt.Errorf("update customer %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return staleCustomer()
		}
		if err := saveCustomerLists(ctx, tx, c); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "update", SubjectType: "customer", SubjectID: id, Before: old, After: c})
	})
	if err != nil {
		return nil, err
	}
	return s.ByID(ctx, id)
}

func staleCustomer() error {
	return Errorf(KindConflict, "Someone else changed this customer after you opened the form, so nothing was saved. "+
		"Reload the page to see their changes, then make yours again.")
}

// Delete removes a customer with its domains, contacts and links
// to incidents, and writes the audit log. It returns KindNotFound if there
// is no such customer.
func (s *Customers) Delete(ctx context.Context, id string) error {
	if !ValidID(id) {
		return notFound("Customer", id)
	}
	return s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old, err := customerByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*Customer)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("delete customer %s: %w", id, err)
		}
		return audit(ctx, tx, s.Now(), Change{Action: "delete", SubjectType: "customer", SubjectID: id, Before: old})
	})
}

// List returns every customer with its domains and contacts, sorted
// by name.
func (s *Customers) List(ctx context.Context) ([]*Customer, error) {
	return customers(ctx, s.db)
}

func customers(ctx context.Context, db bun.IDB) ([]*Customer, error) {
	var out []*Customer
	if err := db.NewSelect().Model(&out).OrderExpr("lower(cu.name), cu.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	if err := loadCustomerDetails(ctx, db, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ByID returns a customer with its domains and contacts, or a
// KindNotFound error.
func (s *Customers) ByID(ctx context.Context, id string) (*Customer, error) {
	return customerByID(ctx, s.db, id)
}

func customerByID(ctx context.Context, db bun.IDB, id string) (*Customer, error) {
	if !ValidID(id) {
		return nil, notFound("Customer", id)
	}
	c := new(Customer)
	if err := db.NewSelect().Model(c).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFoundOr(err, "Customer", id)
	}
	if err := loadCustomerDetails(ctx, db, []*Customer{c}); err != nil {
		return nil, err
	}
	return c, nil
}

func loadCustomerDetails(ctx context.Context, db bun.IDB, cs []*Customer) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]string, len(cs))
	byID := map[string]*Customer{}
	for i, c := range cs {
		ids[i] = c.ID
		byID[c.ID] = c
		c.Domains, c.Contacts = []string{}, []*CustomerContact{}
	}
	var ds []customerDomain
	if err := db.NewSelect().Model(&ds).Where("customer_id IN (?)", bun.List(ids)).Order("domain").Scan(ctx); err != nil {
		return fmt.Errorf("load customer domains: %w", err)
	}
	for _, d := range ds {
		byID[d.CustomerID].Domains = append(byID[d.CustomerID].Domains, d.Domain)
	}
	var cts []*CustomerContact
	if err := db.NewSelect().Model(&cts).Where("customer_id IN (?)", bun.List(ids)).Order("position", "id").Scan(ctx); err != nil {
		return fmt.Errorf("load customer contacts: %w", err)
	}
	for _, ct := range cts {
		byID[ct.CustomerID].Contacts = append(byID[ct.CustomerID].Contacts, ct)
	}
	return nil
}

// CustomerMatch says how a sender was matched to a customer.
type CustomerMatch string

// How a sender matched: as one of a customer's contacts, by the email
// domain, or not at all.
const (
	MatchContact CustomerMatch = "contact"
	MatchDomain  CustomerMatch = "domain"
	MatchUnknown CustomerMatch = "unknown"
)

// ForEmail returns the customer an email address belongs to, as
// matchCustomer finds it.
func (s *Customers) ForEmail(ctx context.Context, address string) (*Customer, error) {
	c, _, err := s.matchCustomer(ctx, s.db, address)
	return c, err
}

// matchCustomer finds the customer an email address belongs to: the one
// customer listing the address as a contact (ignoring case) or, failing
// that, the one owning the address's domain or the closest parent domain
// (eu.acme.com falls back to acme.com). An address several customers list
// as a contact is matched by domain only. It returns KindInvalid if address
// is not an email address and KindNotFound if no customer matches.
func (s *core) matchCustomer(ctx context.Context, db bun.IDB, address string) (*Customer, CustomerMatch, error) {
	addr := strings.TrimSpace(address)
	if a, err := mail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || len(addr) > 254 || strings.ContainsAny(addr, " \t\r\n<>\x00") || !utf8.ValidString(addr) {
		return nil, MatchUnknown, Errorf(KindInvalid, "That is not an email address.")
	}
	var owners []string
	if err := db.NewSelect().Model((*CustomerContact)(nil)).Distinct().Column("customer_id").
		Where("lower(email) = lower(?)", addr).Limit(2).Scan(ctx, &owners); err != nil {
		return nil, MatchUnknown, fmt.Errorf("match customer contact: %w", err)
	}
	if len(owners) == 1 {
		c, err := customerByID(ctx, db, owners[0])
		return c, MatchContact, err
	}
	candidates := parentDomains(normaliseDomain(addr[at+1:]))
	if len(candidates) > 0 {
		var ds []customerDomain
		if err := db.NewSelect().Model(&ds).Where("domain IN (?)", bun.List(candidates)).Scan(ctx); err != nil {
			return nil, MatchUnknown, fmt.Errorf("match customer domain: %w", err)
		}
		if len(ds) > 0 {
			best := ds[0]
			for _, d := range ds[1:] {
				if len(d.Domain) > len(best.Domain) {
					best = d
				}
			}
			c, err := customerByID(ctx, db, best.CustomerID)
			return c, MatchDomain, err
		}
	}
	return nil, MatchUnknown, Errorf(KindNotFound, "No customer matches that address.")
}

// parentDomains returns d and each parent of it down to two labels:
// a.b.acme.com → a.b.acme.com, b.acme.com, acme.com.
func parentDomains(d string) []string {
	var out []string
	for strings.Count(d, ".") >= 1 && len(out) < 127 {
		out = append(out, d)
		_, d, _ = strings.Cut(d, ".")
	}
	return out
}

// customerRef names a customer in the audit log of an incident.
type customerRef struct {
	ID   string `json:"id" bun:"id"`
	Name string `json:"name" bun:"name"`
}

// incidentCustomerRefs returns the customers linked to an incident, by id.
func incidentCustomerRefs(ctx context.Context, tx bun.IDB, incidentID string) ([]customerRef, error) {
	out := []customerRef{}
	err := tx.NewSelect().TableExpr("incident_customers AS icu").ColumnExpr("cu.id, cu.name").
		Join("JOIN customers AS cu ON cu.id = icu.customer_id").
		Where("icu.incident_id = ?", incidentID).OrderExpr("cu.id").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("load customers of incident %s: %w", incidentID, err)
	}
	return out, nil
}

// SetCustomers makes customerIDs the customers an incident of the
// page affects. A change is written to the incident's timeline (counts
// only: the timeline feeds the post-mortem draft, and customers must not
// learn of each other) and to the audit log (with names). It returns
// KindNotFound if the incident is not on the page and KindInvalid, with
// Fields "customers[i]", for an id that names no customer.
func (s *Incidents) SetCustomers(ctx context.Context, pageID, incidentID string, customerIDs []string) error {
	f := FieldErrors{}
	checkCustomerIDs(f, customerIDs)
	if err := f.Err(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, id := range customerIDs {
		seen[id] = true
	}
	return s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		before, err := incidentCustomerRefs(ctx, tx, inc.ID)
		if err != nil {
			return err
		}
		if err := checkCustomersExist(ctx, tx, customerIDs); err != nil {
			return err
		}
		was := map[string]bool{}
		for _, r := range before {
			was[r.ID] = true
		}
		var added, removed []string
		for _, id := range customerIDs {
			if !was[id] {
				added = append(added, id)
			}
		}
		for _, r := range before {
			if !seen[r.ID] {
				removed = append(removed, r.ID)
			}
		}
		if len(added) == 0 && len(removed) == 0 {
			return nil
		}
		return s.moveIncidentCustomers(ctx, tx, inc, before, added, removed)
	})
}

// checkCustomerIDs checks the form of a list of customer ids: at most 500,
// each valid and listed once.
func checkCustomerIDs(f FieldErrors, ids []string) {
	if len(ids) > 500 {
		f.Add("customers", "at most 500 customers")
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if !ValidID(id) {
			f.Add(fmt.Sprintf("customers[%d]", i), "is not a valid id")
		} else if seen[id] {
			f.Add(fmt.Sprintf("customers[%d]", i), "is listed twice")
		}
		seen[id] = true
	}
}

func checkCustomersExist(ctx context.Context, tx bun.IDB, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var found []string
	if err := tx.NewSelect().Model((*Customer)(nil)).Column("id").Where("id IN (?)", bun.List(ids)).Scan(ctx, &found); err != nil {
		return fmt.Errorf("check customers: %w", err)
	}
	exists := map[string]bool{}
	for _, id := range found {
		exists[id] = true
	}
	f := FieldErrors{}
	for i, id := range ids {
		if !exists[id] {
			f.Add(fmt.Sprintf("customers[%d]", i), "no such customer")
		}
	}
	return f.Err()
}

func (s *core) moveIncidentCustomers(ctx context.Context, tx bun.Tx, inc *Incident, before []customerRef, added, removed []string) error {
	if len(removed) > 0 {
		if _, err := tx.NewDelete().Model((*incidentCustomer)(nil)).
			Where("incident_id = ? AND customer_id IN (?)", inc.ID, bun.List(removed)).Exec(ctx); err != nil {
			return fmt.Errorf("unlink customers from incident %s: %w", inc.ID, err)
		}
	}
	if len(added) > 0 {
		links := make([]incidentCustomer, len(added))
		for i, id := range added {
			links[i] = incidentCustomer{IncidentID: inc.ID, CustomerID: id}
		}
		if _, err := tx.NewInsert().Model(&links).Exec(ctx); err != nil {
			return fmt.Errorf("link customers to incident %s: %w", inc.ID, err)
		}
	}
	after, err := incidentCustomerRefs(ctx, tx, inc.ID)
	if err != nil {
		return err
	}
	now := s.Now()
	if err := addTimeline(ctx, tx, inc.ID, TimelineChange, ActorFrom(ctx).Name, now, now,
		msgCustomersChanged(len(added), len(removed), len(after))); err != nil {
		return err
	}
	type refs struct {
		Customers []customerRef `json:"customers"`
	}
	return audit(ctx, tx, now, Change{Action: "set_customers", SubjectType: "incident", SubjectID: inc.ID, PageID: inc.PageID,
		Before: refs{before}, After: refs{after}})
}

// Customers returns the customers an incident affects, with their
// domains and contacts, sorted by name. An unknown incident has none.
func (s *Incidents) Customers(ctx context.Context, incidentID string) ([]*Customer, error) {
	return incidentCustomers(ctx, s.db, incidentID)
}

func incidentCustomers(ctx context.Context, db bun.IDB, incidentID string) ([]*Customer, error) {
	if !ValidID(incidentID) {
		return nil, notFound("Incident", incidentID)
	}
	var out []*Customer
	if err := db.NewSelect().Model(&out).Join("JOIN incident_customers AS icu ON icu.customer_id = cu.id").
		Where("icu.incident_id = ?", incidentID).OrderExpr("lower(cu.name), cu.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list customers of incident %s: %w", incidentID, err)
	}
	if err := loadCustomerDetails(ctx, db, out); err != nil {
		return nil, err
	}
	return out, nil
}

// maxCustomerIncidents is how many incidents CustomerIncidents returns.
const maxCustomerIncidents = 50

// Incidents returns the most recent incidents (at most 50) that
// affect a customer, on any page, most recently started first, without
// their updates. It returns KindNotFound if there is no such customer.
func (s *Customers) Incidents(ctx context.Context, customerID string) ([]*Incident, error) {
	if !ValidID(customerID) {
		return nil, notFound("Customer", customerID)
	}
	n, err := s.db.NewSelect().Model((*Customer)(nil)).Where("id = ?", customerID).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("check customer %s: %w", customerID, err)
	}
	if n == 0 {
		return nil, notFound("Customer", customerID)
	}
	var out []*Incident
	if err := s.db.NewSelect().Model(&out).Join("JOIN incident_customers AS icu ON icu.incident_id = i.id").
		Where("icu.customer_id = ?", customerID).OrderExpr("i.started_at DESC, i.id").
		Limit(maxCustomerIncidents).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list incidents of customer %s: %w", customerID, err)
	}
	return out, nil
}

// OpenIncidents returns, per customer id, how many open
// incidents affect the customer. Customers without any are left out.
func (s *Customers) OpenIncidents(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		CustomerID string `bun:"customer_id"`
		N          int    `bun:"n"`
	}
	if err := s.db.NewSelect().TableExpr("incident_customers AS icu").ColumnExpr("icu.customer_id, count(*) AS n").
		Join("JOIN incidents AS i ON i.id = icu.incident_id").Where("i.state <> ?", StateResolved).
		GroupExpr("icu.customer_id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count open incidents per customer: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.CustomerID] = r.N
	}
	return out, nil
}
