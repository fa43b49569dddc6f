package status_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

func TestOneOfNamesEveryValueInOrder(t *testing.T) {
	t.Parallel()
	require.Equal(t, "must be one of public, customers, internal", status.OneOf(status.Visibilities))
	require.Equal(t, "must be one of trivial, minor, major, business_continuity", status.OneOf(status.Severities))
	require.Equal(t, "must be one of email, phone, portal, alert", status.OneOf(status.IntakeSources))
	require.Equal(t, "must be one of open, attached, declared, dismissed", status.OneOf(status.IntakeStates))
	require.Equal(t, "must be one of scheduled, in_progress, completed", status.OneOf(status.MaintenanceStates))
	require.Equal(t, "must be one of analysis, progress, eta, resolution, general", status.OneOf(status.UpdateKinds))
}

// Each list holds exactly the values its Valid accepts.
func TestEnumListsMatchValid(t *testing.T) {
	t.Parallel()
	for _, v := range status.Visibilities {
		require.True(t, v.Valid(), v)
	}
	for _, v := range status.UpdateKinds {
		require.True(t, v.Valid(), v)
	}
	for _, v := range status.IntakeSources {
		require.True(t, v.Valid(), v)
	}
	for _, v := range status.IntakeStates {
		require.True(t, v.Valid(), v)
	}
	for _, v := range status.MaintenanceStates {
		require.True(t, v.Valid(), v)
	}
	require.True(t, status.SourceNone.Valid(), "no source is allowed")
	require.False(t, status.Visibility("everyone").Valid())
	require.False(t, status.UpdateKind("gossip").Valid())
	require.False(t, status.IntakeSource("fax").Valid())
	require.False(t, status.IntakeState("").Valid())
	require.False(t, status.MaintenanceState("paused").Valid())
	require.False(t, status.IncidentRole("boss").Valid())
	require.False(t, status.Role("root").Valid())
}
