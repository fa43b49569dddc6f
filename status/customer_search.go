package status

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// MaxSearchHits is how many customers Search returns at most.
const MaxSearchHits = 20

// CustomerHit is a customer Search found. Contacts are the contacts whose
// phone number matched, in the customer's order; empty when the name did.
type CustomerHit struct {
	Customer *Customer
	Contacts []*CustomerContact
}

// ByName reports whether the hit's name matched (no contact's number).
func (h CustomerHit) ByName() bool { return len(h.Contacts) == 0 }

// searchQuery is a Search query taken apart: the folded text for names
// and, when the query looks like a phone number, how its digits match.
type searchQuery struct {
	name  string // lower case, "" to match no name
	phone string // a phone key to match exactly, or digits a key ends with
	exact bool   // phone is a whole key (the query had 8 digits or more)
}

// minPhoneSearchDigits is how many digits a query needs to be searched
// as (the end of) a phone number.
const minPhoneSearchDigits = 4

// parseSearch checks q and takes it apart. A query of phone number
// characters with at least minPhoneSearchDigits digits matches numbers by
// their last eight digits (PhoneKey), or, with fewer than eight, numbers
// ending in them.
func parseSearch(q string) (searchQuery, error) {
	f := FieldErrors{}
	checkText(f, "q", q, MaxNameLen, false, false)
	if err := f.Err(); err != nil {
		return searchQuery{}, err
	}
	q = strings.Join(strings.Fields(q), " ")
	sq := searchQuery{name: strings.ToLower(q)}
	if d := phoneDigits(q); phoneChars.MatchString(q) && len(d) >= minPhoneSearchDigits {
		sq.phone, sq.exact = PhoneKey(q), len(d) >= phoneKeyDigits
	}
	return sq, nil
}

// Search finds customers for a person who knows a name or a number: those
// whose name contains q (ignoring case), and those with a contact whose
// phone number matches q's digits ("+49 30 1234-567" finds
// "0049 30 1234567": the last eight digits are compared; four to seven
// digits find the numbers ending in them). Name matches come first, then
// number matches, each sorted by name; at most MaxSearchHits. A blank q
// finds nothing; a q over 200 bytes or with control characters is a
// KindInvalid error for field "q".
func (s *Customers) Search(ctx context.Context, q string) ([]CustomerHit, error) {
	sq, err := parseSearch(q)
	if err != nil || sq.name == "" {
		return nil, err
	}
	byName, err := s.customersNamed(ctx, sq.name)
	if err != nil {
		return nil, err
	}
	byPhone, err := s.contactsCalled(ctx, sq)
	if err != nil {
		return nil, err
	}
	hits, seen := []CustomerHit{}, map[string]bool{}
	ids := []string{}
	for _, id := range byName {
		if len(ids) < MaxSearchHits {
			ids, seen[id] = append(ids, id), true
		}
	}
	for _, ct := range byPhone {
		if !seen[ct.CustomerID] && len(ids) < MaxSearchHits {
			ids, seen[ct.CustomerID] = append(ids, ct.CustomerID), true
		}
	}
	if len(ids) == 0 {
		return hits, nil
	}
	cs, err := customersByIDs(ctx, s, ids)
	if err != nil {
		return nil, err
	}
	matched := map[string]bool{}
	for _, ct := range byPhone {
		matched[ct.ID] = true
	}
	named := map[string]bool{}
	for _, id := range byName {
		named[id] = true
	}
	for _, c := range cs {
		h := CustomerHit{Customer: c}
		if !named[c.ID] {
			for _, ct := range c.Contacts {
				if matched[ct.ID] {
					h.Contacts = append(h.Contacts, ct)
				}
			}
		}
		hits = append(hits, h)
	}
	// Name matches first, then number matches; each by name.
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].ByName() != hits[j].ByName() {
			return hits[i].ByName()
		}
		return strings.ToLower(hits[i].Customer.Name) < strings.ToLower(hits[j].Customer.Name)
	})
	return hits, nil
}

// customersNamed returns the ids of the customers whose name contains
// name (lower case), sorted by name. Names are compared in Go: SQLite's
// lower() folds ASCII letters only.
func (s *Customers) customersNamed(ctx context.Context, name string) ([]string, error) {
	var rows []struct {
		ID   string `bun:"id"`
		Name string `bun:"name"`
	}
	if err := s.db.NewSelect().Model((*Customer)(nil)).Column("id", "name").OrderExpr("lower(cu.name), cu.id").
		Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("search customer names: %w", err)
	}
	var out []string
	for _, r := range rows {
		if utf8.ValidString(r.Name) && strings.Contains(strings.ToLower(r.Name), name) {
			out = append(out, r.ID)
		}
	}
	return out, nil
}

// contactsCalled returns the contacts whose phone number matches sq's
// digits (none when sq has no phone part), at most 500.
func (s *Customers) contactsCalled(ctx context.Context, sq searchQuery) ([]*CustomerContact, error) {
	if sq.phone == "" {
		return nil, nil
	}
	var out []*CustomerContact
	q := s.db.NewSelect().Model(&out).Column("id", "customer_id").Where("phone_key <> ''")
	if sq.exact {
		q = q.Where("phone_key = ?", sq.phone)
	} else {
		// Only digits: nothing in it has a meaning to LIKE.
		q = q.Where("phone_key LIKE ?", "%"+sq.phone)
	}
	if err := q.OrderExpr("customer_id, position, id").Limit(500).Scan(ctx); err != nil {
		return nil, fmt.Errorf("search contacts by phone: %w", err)
	}
	return out, nil
}

// customersByIDs loads the customers with the given ids, with their
// domains and contacts.
func customersByIDs(ctx context.Context, s *Customers, ids []string) ([]*Customer, error) {
	var out []*Customer
	if err := s.db.NewSelect().Model(&out).Where("cu.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load found customers: %w", err)
	}
	if err := loadCustomerDetails(ctx, s.db, out); err != nil {
		return nil, err
	}
	return out, nil
}
