package alerts_test

import (
	"testing"

	"github.com/herald-status/herald/status/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
