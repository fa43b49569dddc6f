package status_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// statusTables are the tables package status owns: nobody else names them
// in SQL or reads and writes them through status's models (STYLE.md §2).
var statusTables = []string{
	"settings", "users", "api_tokens", "sessions", "login_failures", "audit_log",
	"pages", "page_hosts", "component_groups", "components", "component_status_changes",
	"incidents", "incident_components", "incident_updates", "incident_roles", "incident_customers", "timeline_entries",
	"maintenances", "maintenance_components", "maintenance_updates", "scheduled_updates", "update_templates",
	"customers", "customer_contacts", "customer_domains", "intake_items", "intake_entries", "confirmation_requests",
}

// otherTables are the tables other packages own, by owner.
var otherTables = map[string][]string{
	"comms":          {"emails", "subscribers", "subscriber_groups", "subscriber_components", "subscribe_limits", "delivery_problems"},
	"inbound":        {"mailboxes", "inbound_messages", "inbound_message_chunks"},
	"inbound/alerts": {"alerts", "alert_rules", "hook_tokens"},
}

// Every table the migrations create has one owner above, so that a new
// table of status's is guarded as soon as it exists.
func TestTablesHaveOwners(t *testing.T) {
	t.Parallel()
	owned := slices.Clone(statusTables)
	for _, ts := range otherTables {
		owned = append(owned, ts...)
	}
	create := regexp.MustCompile(`(?i)\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)`)
	var created []string
	files, err := filepath.Glob("../migrations/postgres/*.up.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range create.FindAllStringSubmatch(string(b), -1) {
			require.Contains(t, owned, m[1], "%s creates table %s: add it to statusTables or otherTables", filepath.Base(f), m[1])
			created = append(created, m[1])
		}
	}
	for _, tbl := range owned {
		require.Contains(t, created, tbl, "no migration creates table %s", tbl)
	}
}

// comms and inbound use status only through its methods: no SQL naming
// status's tables, no bun query over a status model, no database handed
// out by the status service (DESIGN.md §3, STYLE.md §2).
func TestCommsAndInboundKeepOffStatusTables(t *testing.T) {
	t.Parallel()
	var problems []string
	for _, dir := range []string{"../comms", "../inbound"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && d.Name() == "testdata":
				return filepath.SkipDir
			case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
				return nil
			}
			problems = append(problems, statusReaches(t, path)...)
			return nil
		})
		require.NoError(t, err)
	}
	require.Empty(t, problems, "comms and inbound reach around status:\n%s", strings.Join(problems, "\n"))
}

// tableRefs finds a status table named where SQL names tables: after
// FROM, JOIN, INTO, UPDATE or TABLE (Herald writes SQL keywords in capitals,
// prose does not), and in a bun model's table tag.
var tableRefs = regexp.MustCompile(`(?:\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+"?|\btable:)(\w+)\b`)

// tableArgs are the bun query methods whose string argument starts with a
// table name.
var tableArgs = []string{"Table", "TableExpr", "ModelTableExpr"}

// statusReaches returns what the Go file at path does with status's tables.
func statusReaches(t *testing.T, path string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	require.NoError(t, err)
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, fset.Position(n.Pos()).String()+": "+fmt.Sprintf(format, args...))
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(n.Value)
			if err != nil {
				return true
			}
			for _, m := range tableRefs.FindAllStringSubmatch(s, -1) {
				if slices.Contains(statusTables, m[1]) {
					report(n, "SQL names status's table %s", m[1])
				}
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch {
			case sel.Sel.Name == "DB" && len(n.Args) == 0:
				report(n, "calls DB(): use the status service's methods, or InTx to share a transaction")
			case sel.Sel.Name == "Model" && len(n.Args) == 1 && isStatusValue(n.Args[0]):
				report(n, "queries a status model: ask status for it")
			case slices.Contains(tableArgs, sel.Sel.Name) && len(n.Args) > 0:
				if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					if fields := strings.Fields(s); len(fields) > 0 && slices.Contains(statusTables, strings.Trim(fields[0], `"`)) {
						report(n, "SQL names status's table %s", fields[0])
					}
				}
			}
		}
		return true
	})
	return out
}

// isStatusValue reports whether e is, as far as the file alone tells, a
// value of one of status's types: (*status.X)(nil), &status.X{},
// new(status.X), or a variable or parameter declared with such a type or
// value.
func isStatusValue(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.UnaryExpr:
		return isStatusValue(x.X)
	case *ast.ParenExpr:
		return isStatusValue(x.X)
	case *ast.CompositeLit:
		return x.Type != nil && namesStatus(x.Type)
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "new" && len(x.Args) == 1 {
			return namesStatus(x.Args[0])
		}
		_, conversion := x.Fun.(*ast.ParenExpr)
		return conversion && namesStatus(x.Fun)
	case *ast.Ident:
		if x.Obj == nil {
			return false
		}
		switch d := x.Obj.Decl.(type) {
		case *ast.Field:
			return namesStatus(d.Type)
		case *ast.ValueSpec:
			if d.Type != nil {
				return namesStatus(d.Type)
			}
			for i, n := range d.Names {
				if n.Obj == x.Obj && i < len(d.Values) {
					return isStatusValue(d.Values[i])
				}
			}
		case *ast.AssignStmt:
			for i, l := range d.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Obj == x.Obj && len(d.Rhs) == len(d.Lhs) {
					return isStatusValue(d.Rhs[i])
				}
			}
		}
	}
	return false
}

// namesStatus reports whether the type expression t names a type of
// package status (status.X, *status.X, []*status.X…).
func namesStatus(t ast.Expr) bool {
	found := false
	ast.Inspect(t, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "status" && ast.IsExported(sel.Sel.Name) {
				found = true
			}
		}
		return !found
	})
	return found
}

// The one way to share a transaction with status is Service.InTx and the
// methods of the *status.Tx it hands out: no other exported function or
// method of status takes a transaction or database of the caller's
// (bun.Tx, bun.IDB, *bun.DB, *sql.Tx), so that no caller can make status
// write in a transaction status did not open. New takes the database
// status runs on; the job types and interfaces take River's own.
func TestTransactionsAreSharedThroughTxOnly(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{"New": true, "JobQueue": true}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var found []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || !fd.Name.IsExported() || allowed[fd.Name.Name] {
				continue
			}
			if fd.Recv != nil {
				recv := types(fd.Recv.List[0].Type)
				if recv == "*Tx" || !ast.IsExported(strings.TrimPrefix(recv, "*")) {
					continue
				}
			}
			for _, p := range fd.Type.Params.List {
				switch typ := types(p.Type); typ {
				case "bun.Tx", "bun.IDB", "*bun.DB", "*sql.Tx", "*bun.Tx":
					found = append(found, fmt.Sprintf("%s: %s takes a %s", fset.Position(fd.Pos()), fd.Name.Name, typ))
				}
			}
		}
	}
	require.Empty(t, found, "share a transaction through Service.InTx and a method of *status.Tx")
}

// types renders a parameter or receiver type as written.
func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return "*" + types(e.X)
	case *ast.SelectorExpr:
		return types(e.X) + "." + e.Sel.Name
	case *ast.Ident:
		return e.Name
	}
	return ""
}
