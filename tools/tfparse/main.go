// tfparse reads every .tf file under the folders it is given with HashiCorp's HCL parser (the
// one Terraform and OpenTofu use) and prints the configuration as JSON, for tests that check
// properties of the Terraform without a provider: `tofu validate` needs the AWS provider, which
// cannot be had here (see deploy/terraform/README.md).
//
//	tfparse DIR...
//
// Output: {"modules": {"<folder>": {"files": [...], "blocks": [block...]}}}, one entry per
// folder holding .tf files (a Terraform module), where a block is
//
//	{"type", "labels", "file", "line", "attrs": {name: attr}, "blocks": [block...]}
//
// and an attribute is {"src": its source text, "line", "refs": ["var.x", "aws_s3_bucket.this.arn",
// …] (every variable it reads), "funcs": [functions it calls], "value": its value when it is a
// constant (no references, no function calls), "items": [attribute…] when it is a list written
// out}. Syntax errors go to stderr and exit 1.
package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

type attribute struct {
	Src   string          `json:"src"`
	Line  int             `json:"line"`
	Refs  []string        `json:"refs"`
	Funcs []string        `json:"funcs"`
	Value json.RawMessage `json:"value,omitempty"`
	// The elements of a list written out ([a, b]), each as an attribute of its own.
	Items []attribute `json:"items,omitempty"`
}

type block struct {
	Type   string               `json:"type"`
	Labels []string             `json:"labels"`
	File   string               `json:"file"`
	Line   int                  `json:"line"`
	Attrs  map[string]attribute `json:"attrs"`
	Blocks []block              `json:"blocks"`
}

type module struct {
	Files  []string `json:"files"`
	Blocks []block  `json:"blocks"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tfparse DIR...")
		os.Exit(2)
	}
	parser := hclparse.NewParser()
	modules := map[string]*module{}
	var diags hcl.Diagnostics
	for _, root := range os.Args[1:] {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			// .terraform/ holds what `init` downloaded: someone else's modules, not ours.
			if d.IsDir() && d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".tf") {
				return nil
			}
			file, fileDiags := parser.ParseHCLFile(path)
			diags = append(diags, fileDiags...)
			if fileDiags.HasErrors() {
				return nil
			}
			dir := filepath.Dir(path)
			m := modules[dir]
			if m == nil {
				m = &module{Files: []string{}, Blocks: []block{}}
				modules[dir] = m
			}
			m.Files = append(m.Files, filepath.Base(path))
			body := file.Body.(*hclsyntax.Body)
			for _, b := range body.Blocks {
				m.Blocks = append(m.Blocks, convertBlock(b, file.Bytes, filepath.Base(path)))
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "tfparse: %v\n", err)
			os.Exit(2)
		}
	}
	if len(diags) > 0 {
		writer := hcl.NewDiagnosticTextWriter(os.Stderr, parser.Files(), 100, false)
		_ = writer.WriteDiagnostics(diags)
	}
	if diags.HasErrors() {
		os.Exit(1)
	}
	if len(modules) == 0 {
		fmt.Fprintf(os.Stderr, "tfparse: no .tf files under %s\n", strings.Join(os.Args[1:], " "))
		os.Exit(1)
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", " ")
	if err := out.Encode(map[string]any{"modules": modules}); err != nil {
		fmt.Fprintf(os.Stderr, "tfparse: %v\n", err)
		os.Exit(2)
	}
}

func convertBlock(b *hclsyntax.Block, src []byte, file string) block {
	out := block{
		Type:   b.Type,
		Labels: append([]string{}, b.Labels...),
		File:   file,
		Line:   b.TypeRange.Start.Line,
		Attrs:  map[string]attribute{},
		Blocks: []block{},
	}
	for name, a := range b.Body.Attributes {
		out.Attrs[name] = convertAttribute(a, src)
	}
	for _, nested := range b.Body.Blocks {
		out.Blocks = append(out.Blocks, convertBlock(nested, src, file))
	}
	return out
}

func convertAttribute(a *hclsyntax.Attribute, src []byte) attribute {
	return convertExpr(a.Expr, src)
}

func convertExpr(expr hclsyntax.Expression, src []byte) attribute {
	r := expr.Range()
	out := attribute{
		Src:   string(r.SliceBytes(src)),
		Line:  r.Start.Line,
		Refs:  []string{},
		Funcs: []string{},
	}
	if tuple, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		out.Items = []attribute{}
		for _, e := range tuple.Exprs {
			out.Items = append(out.Items, convertExpr(e, src))
		}
	}
	seen := map[string]bool{}
	for _, t := range expr.Variables() {
		ref := traversalString(t)
		if !seen[ref] {
			seen[ref] = true
			out.Refs = append(out.Refs, ref)
		}
	}
	sort.Strings(out.Refs)
	funcs := map[string]bool{}
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok {
			funcs[call.Name] = true
		}
		return nil
	})
	for f := range funcs {
		out.Funcs = append(out.Funcs, f)
	}
	sort.Strings(out.Funcs)
	// Only constants get a value: evaluating anything else needs Terraform's whole scope.
	if len(out.Refs) == 0 && len(out.Funcs) == 0 {
		if v, diags := expr.Value(nil); !diags.HasErrors() && v.IsWhollyKnown() {
			out.Value = valueJSON(v)
		}
	}
	return out
}

func valueJSON(v cty.Value) json.RawMessage {
	if v.IsNull() {
		return json.RawMessage("null")
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil
	}
	return b
}

// traversalString writes a reference as Terraform does: aws_s3_bucket.this.arn, var.x,
// aws_subnet.private[0].id, local.m["k"].
func traversalString(t hcl.Traversal) string {
	var sb strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			sb.WriteString(s.Name)
		case hcl.TraverseAttr:
			sb.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			sb.WriteString("[" + string(valueJSON(s.Key)) + "]")
		case hcl.TraverseSplat:
			sb.WriteString("[*]")
		}
	}
	return sb.String()
}
