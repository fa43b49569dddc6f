package status

import "strings"

// Each enum of status (Severity, State, Visibility, UpdateKind, Source,
// ComponentStatus, IntakeSource, IntakeState, Role, IncidentRole,
// MaintenanceState, ContactRole) has one exported list of its values
// beside its type (Severities, States, …). Its Valid method, the forms
// that offer it and the messages that name its values all read that list,
// so a new value is added in one place.

// OneOf is the field message for a value that is not one of values:
// "must be one of a, b, c".
func OneOf[T ~string](values []T) string {
	return "must be one of " + joinValues(values)
}

// joinValues lists values as "a, b, c".
func joinValues[T ~string](values []T) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
