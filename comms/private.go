package comms

import (
	"net/url"
	"strings"
	"time"

	"github.com/herald-status/herald/status"
)

// PurposeIncidentView marks a customer contact's private, read-only link
// to an incident's customer-facing updates.
const PurposeIncidentView = "incident.view"

// PrivateLinkValid is how long a private incident link works.
const PrivateLinkValid = 30 * 24 * time.Hour

// PrivateIncidentURL is a customer's link to the customer-facing updates of
// an incident that is not public, valid PrivateLinkValid from now.
func PrivateIncidentURL(t *Tokens, base *url.URL, page *status.Page, incidentID, customerID string, now time.Time) string {
	tok := t.Make(PurposeIncidentView, incidentID+"."+customerID, now.Add(PrivateLinkValid))
	return page.URL(base) + "/incidents/" + incidentID + "/private/" + tok
}

// CheckPrivateLink returns the incident and customer a private link was
// made for.
func CheckPrivateLink(t *Tokens, token string, now time.Time) (incidentID, customerID string, err error) {
	subject, err := t.Check(PurposeIncidentView, token, now)
	if err != nil {
		return "", "", err
	}
	incidentID, customerID, ok := strings.Cut(subject, ".")
	if !ok {
		return "", "", ErrTokenInvalid
	}
	return incidentID, customerID, nil
}
