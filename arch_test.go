// Package yubin holds only the repository-wide tests: the import rules of
// docs/ARCHITECTURE.md, checked on the real package graph.
package yubin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const modulePath = "github.com/yubinmail/yubin"

// listedPackage is the part of `go list -json` output the rules need.
type listedPackage struct {
	ImportPath string
	Imports    []string
}

// importRule forbids every package under one of From to depend on a package under
// one of To, directly or through any chain of packages of this module. Test files are
// not part of the graph: a webmail test may start the real mail server as its peer.
type importRule struct {
	From, To []string // module-relative path prefixes: "web" covers web and web/...
	Why      string
}

// importRules are the rules of docs/ARCHITECTURE.md ("Import rules").
var importRules = []importRule{
	{
		From: []string{"web", "handlers", "templates"},
		To:   []string{"mailbackend"},
		Why:  "the webmail is a pure IMAP/SMTP client of the server at run time",
	},
	{
		From: []string{"mailbackend"},
		To:   []string{"web", "handlers", "templates"},
		Why:  "the mail server runs without the webmail",
	},
	{
		From: []string{"internal"},
		To:   []string{"mailbackend", "web", "handlers", "templates"},
		Why:  "internal/ is shared by both sides, so it may depend on neither",
	},
}

// underAny reports whether the module-relative path rel is one of prefixes or below one.
func underAny(rel string, prefixes []string) bool {
	for _, p := range prefixes {
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return false
}

// importViolations returns one line per forbidden dependency in pkgs, each naming the
// chain of imports that makes it (web -> internal/x -> mailbackend/store). Only
// packages of module are followed: a package outside it cannot import one inside.
func importViolations(module string, pkgs []listedPackage, rules []importRule) []string {
	relative := func(path string) (string, bool) {
		if path == module {
			return "", true
		}
		rel, ok := strings.CutPrefix(path, module+"/")
		return rel, ok
	}
	imports := map[string][]string{} // module-relative path -> module-relative imports
	for _, p := range pkgs {
		rel, ok := relative(p.ImportPath)
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			if irel, ok := relative(imp); ok {
				imports[rel] = append(imports[rel], irel)
			}
		}
		if _, seen := imports[rel]; !seen {
			imports[rel] = nil
		}
	}
	starts := make([]string, 0, len(imports))
	for rel := range imports {
		starts = append(starts, rel)
	}
	slices.Sort(starts)

	var out []string
	for _, rule := range rules {
		for _, start := range starts {
			if !underAny(start, rule.From) {
				continue
			}
			// Breadth first, so the chain reported is a shortest one.
			parent := map[string]string{start: start}
			queue := []string{start}
			for len(queue) > 0 {
				cur := queue[0]
				queue = queue[1:]
				if cur != start && underAny(cur, rule.To) {
					var chain []string
					for n := cur; n != start; n = parent[n] {
						chain = append(chain, n)
					}
					chain = append(chain, start)
					slices.Reverse(chain)
					out = append(out, fmt.Sprintf("%s (%s)", strings.Join(chain, " -> "), rule.Why))
					continue
				}
				for _, next := range imports[cur] {
					if _, seen := parent[next]; !seen {
						parent[next] = cur
						queue = append(queue, next)
					}
				}
			}
		}
	}
	return out
}

// goListDeps runs `go list -deps` over the whole module and decodes its package stream.
func goListDeps(t *testing.T) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestImportRules(t *testing.T) {
	pkgs := goListDeps(t)
	// The rules only mean something if both sides are in the graph we read.
	var sawWeb, sawBackend bool
	for _, p := range pkgs {
		sawWeb = sawWeb || p.ImportPath == modulePath+"/web"
		sawBackend = sawBackend || p.ImportPath == modulePath+"/mailbackend/store"
	}
	if !sawWeb || !sawBackend {
		t.Fatalf("go list returned %d packages without web and mailbackend/store; the check would be empty", len(pkgs))
	}
	for _, v := range importViolations(modulePath, pkgs, importRules) {
		t.Errorf("forbidden import: %s", v)
	}
}

// TestImportRulesCatchForbiddenEdge proves the checker fails: a synthetic graph in
// which the webmail reaches the store through an internal package, and the server
// reaches the handlers directly, must be reported with both chains, and the same
// graph without those edges must pass.
func TestImportRulesCatchForbiddenEdge(t *testing.T) {
	m := "example.com/mod"
	clean := []listedPackage{
		{ImportPath: m + "/web", Imports: []string{m + "/handlers", m + "/internal/mailaddr", "net/http"}},
		{ImportPath: m + "/handlers", Imports: []string{m + "/templates", m + "/web/compose"}},
		{ImportPath: m + "/web/compose", Imports: []string{m + "/internal/mailaddr"}},
		{ImportPath: m + "/templates"},
		{ImportPath: m + "/internal/mailaddr", Imports: []string{"golang.org/x/net/idna"}},
		{ImportPath: m + "/mailbackend/store", Imports: []string{m + "/internal/mailaddr"}},
		{ImportPath: m + "/mailbackend/smtpd", Imports: []string{m + "/mailbackend/store"}},
		// A package named like a forbidden prefix but not under it is allowed.
		{ImportPath: m + "/webhooks", Imports: []string{m + "/mailbackend/store"}},
		{ImportPath: m + "/cmd/yubin", Imports: []string{m + "/web", m + "/mailbackend/smtpd"}},
	}
	if v := importViolations(m, clean, importRules); len(v) != 0 {
		t.Fatalf("clean graph reported violations: %q", v)
	}

	bad := slices.Clone(clean)
	bad[4] = listedPackage{ImportPath: m + "/internal/mailaddr", Imports: []string{m + "/mailbackend/store"}}
	bad[6] = listedPackage{ImportPath: m + "/mailbackend/smtpd", Imports: []string{m + "/handlers"}}
	got := strings.Join(importViolations(m, bad, importRules), "\n")
	for _, want := range []string{
		"web -> internal/mailaddr -> mailbackend/store",
		"web/compose -> internal/mailaddr -> mailbackend/store",
		"mailbackend/smtpd -> handlers",
		"internal/mailaddr -> mailbackend/store",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("violations do not name %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "webhooks") || strings.Contains(got, "cmd/yubin") {
		t.Errorf("violations name a package no rule covers:\n%s", got)
	}
}
