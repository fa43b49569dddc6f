package status

// CadenceWords are the words the console and the internal notices use for
// an incident's regular update (DESIGN.md §1: the ticket and the
// customers hear at least every 30 minutes). An internal incident still
// needs its 30-minute status on the ticket, but no customer hears of it,
// so it has internal updates; the others have customer updates.
type CadenceWords struct {
	// Update is the update mid-sentence: "customer update".
	Update string
	// Next starts a sentence about the next one: "Next customer update".
	Next string
	// Updates heads the list of them: "Customer updates".
	Updates string
	// Due starts the reminder's subject: "Customer update due".
	Due string
	// Overdue starts the overdue notice's subject: "Customer update
	// overdue".
	Overdue string
}

// Cadence words by the audience of the update.
var (
	customerCadenceWords = CadenceWords{Update: "customer update", Next: "Next customer update", Updates: "Customer updates",
		Due: "Customer update due", Overdue: "Customer update overdue"}
	internalCadenceWords = CadenceWords{Update: "internal update", Next: "Next internal update", Updates: "Internal updates",
		Due: "Internal update due", Overdue: "Internal update overdue (the ticket needs its 30-minute status)"}
)

// CadenceWordsFor returns the words for the regular update of an incident
// of visibility v: internal ones for an internal incident, customer ones
// for a customers-only or public incident (and for a visibility not yet
// chosen, as on an empty declare form).
func CadenceWordsFor(v Visibility) CadenceWords {
	if v == VisibilityInternal {
		return internalCadenceWords
	}
	return customerCadenceWords
}
