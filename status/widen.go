package status

import (
	"context"
)

// Widening is what making an incident more public would show, and to
// whom, before it is saved: the console shows it and asks first.
type Widening struct {
	From, To Visibility
	// Title is what the new audience would read: the public title when one
	// is set and the incident goes public.
	Title       string
	PublicTitle string
	// Updates are the earlier updates, newest first, each with the
	// audience it was posted for. By default each keeps that audience.
	Updates []*UpdateView
	// Components are the public status changes that making an open
	// incident public causes.
	Components []ComponentChange
	// Customers are the names of the customers who see the incident (in
	// their emails and private links) once it is widened.
	Customers []string
	// Flags are what in the title looks like it should not be public.
	Flags []PublicationFlag
}

// Keeps reports whether an earlier update stays hidden from the wider
// audience unless it is ticked.
func (w *Widening) Keeps(u *UpdateView) bool { return w.To.Wider(u.Visibility) }

// ReviewWidening returns what widening an incident to the given visibility
// would make visible. KindInvalid when to is not wider than today's,
// KindConflict when the incident is resolved.
func (s *Incidents) ReviewWidening(ctx context.Context, pageID, id string, to Visibility) (*Widening, error) {
	inc, err := s.ByID(ctx, pageID, id)
	if err != nil {
		return nil, err
	}
	if !to.Valid() || !to.Wider(inc.Visibility) {
		return nil, Errorf(KindInvalid, "The visibility is not wider than today's.")
	}
	if !inc.State.Open() {
		return nil, errResolvedWidening
	}
	w := &Widening{From: inc.Visibility, To: to, Title: inc.Title, PublicTitle: inc.PublicTitle, Updates: inc.InternalView().Updates}
	if to == VisibilityPublic {
		if inc.PublicTitle != "" {
			w.Title = inc.PublicTitle
		}
		comps, err := s.svc.Pages.Components(ctx, pageID)
		if err != nil {
			return nil, err
		}
		for _, ic := range inc.Components {
			for _, c := range comps {
				if c.ID == ic.ComponentID && !c.Hidden && ic.Status.Rank() > c.Status.Rank() {
					w.Components = append(w.Components, ComponentChange{ComponentID: c.ID, Name: c.Name, OldStatus: c.Status, NewStatus: ic.Status})
				}
			}
		}
		if w.Flags, err = s.PublicationFlags(ctx, pageID, id, w.Title); err != nil {
			return nil, err
		}
	}
	cs, err := s.Customers(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		w.Customers = append(w.Customers, c.Name)
	}
	return w, nil
}

var errResolvedWidening = Errorf(KindConflict, "This incident is resolved: its updates went to the audience they were written for, and it cannot be made more public now. Publish a post-mortem, or declare a new incident, instead.")
