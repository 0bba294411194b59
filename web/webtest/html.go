package webtest

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"golang.org/x/net/html"

	"podboard/templates"
)

// Doc is a page or a fragment parsed by goquery, for assertions on what a
// browser would see: elements found by data-testid, role and data-*
// attributes, never by the shape of the markup.
type Doc struct {
	tb   testing.TB
	root *goquery.Selection // the document node
	html string
}

// Parse parses a whole page or a fragment (the parser puts a fragment in
// the body of an otherwise empty page, as a browser does).
func Parse(tb testing.TB, source string) *Doc {
	tb.Helper()
	d, err := parse(source)
	if err != nil {
		tb.Fatalf("parse HTML: %v\n%s", err, source)
	}
	return &Doc{tb: tb, root: d.Selection, html: source}
}

// Render renders a component, as a handler or the hub would, and parses
// the HTML; it fails the test when the component fails.
func Render(tb testing.TB, c templ.Component) *Doc {
	tb.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		tb.Fatalf("render: %v", err)
	}
	return Parse(tb, b.String())
}

func parse(source string) (*goquery.Document, error) {
	return goquery.NewDocumentFromReader(strings.NewReader(source))
}

// HTML is the source that was parsed, for failure messages.
func (d *Doc) HTML() string { return d.html }

// Find selects with a CSS selector.
func (d *Doc) Find(selector string) *goquery.Selection { return d.root.Find(selector) }

// Has reports whether selector matches anything.
func (d *Doc) Has(selector string) bool { return d.Find(selector).Length() > 0 }

// TestID selects the elements of a data-testid.
func (d *Doc) TestID(id string) *goquery.Selection { return byTestID(d.root, id) }

// byTestID selects the elements under s whose data-testid is id, compared
// as an attribute so that no id needs quoting in a selector.
func byTestID(s *goquery.Selection, id string) *goquery.Selection {
	return s.Find("[data-testid]").FilterFunction(func(_ int, e *goquery.Selection) bool {
		v, _ := e.Attr("data-testid")
		return v == id
	})
}

// Text is the text of the elements of a data-testid, with runs of white
// space made one space, as a reader sees it; "" when there is none.
func (d *Doc) Text(testid string) string { return Text(d.TestID(testid)) }

// Flash is the text of the flash message, "" when the page has none.
func (d *Doc) Flash() string { return d.Text("flash") }

// IsPage reports whether the source was a whole page (it has a doctype),
// not a fragment.
func (d *Doc) IsPage() bool {
	for n := d.root.Nodes[0].FirstChild; n != nil; n = n.NextSibling {
		if n.Type == html.DoctypeNode {
			return true
		}
	}
	return false
}

// Top is a fragment's top-level elements (the children of the body the
// parser put them in).
func (d *Doc) Top() *goquery.Selection { return d.Find("body").Children() }

// Removes reports whether the document deletes name's row out of band, as
// the live feed does when a container is gone.
func (d *Doc) Removes(name string) bool {
	found := false
	d.Find(`[hx-swap-oob="delete"]`).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		found = s.AttrOr("id", "") == templates.RowID(name)
		return !found
	})
	return found
}

// Rows are the container rows, in document order.
func (d *Doc) Rows() []Row {
	var rows []Row
	d.Find(`[role=row][data-name]`).Each(func(_ int, s *goquery.Selection) {
		rows = append(rows, Row{Selection: s})
	})
	return rows
}

// RowNames are the names of the rows, in document order.
func (d *Doc) RowNames() []string {
	var names []string
	for _, r := range d.Rows() {
		names = append(names, r.Name())
	}
	return names
}

// FindRow returns name's row; ok is false when there is none. Names are
// compared as attributes, so a name no CSS selector could quote still works.
func (d *Doc) FindRow(name string) (Row, bool) {
	for _, r := range d.Rows() {
		if r.Name() == name {
			return r, true
		}
	}
	return Row{}, false
}

// Row returns name's row and fails the test unless there is exactly one.
func (d *Doc) Row(name string) Row {
	d.tb.Helper()
	var found []Row
	for _, r := range d.Rows() {
		if r.Name() == name {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		d.tb.Fatalf("%d rows of %s, want 1; rows %v in:\n%s", len(found), name, d.RowNames(), d.html)
	}
	return found[0]
}

// Row is one container's row ([role=row][data-name]).
// Its Selection is there for questions the methods do not cover.
type Row struct {
	*goquery.Selection
}

func (r Row) attr(name string) string {
	v, _ := r.Attr(name)
	return v
}

func (r Row) text(testid string) string { return Text(r.TestID(testid)) }

// TestID selects the row's elements of a data-testid.
func (r Row) TestID(id string) *goquery.Selection { return byTestID(r.Selection, id) }

// Name is the row's data-name.
func (r Row) Name() string { return r.attr("data-name") }

// Host is the row's data-host: its host on a dashboard of several, ""
// on one.
func (r Row) Host() string { return r.attr("data-host") }

// ID is the row's id, templates.RowID of its name.
func (r Row) ID() string { return r.attr("id") }

// State is the row's data-state: running, stopping…
func (r Row) State() string { return r.attr("data-state") }

// Label is the state as the row shows it ([data-testid=state]): "Stopping…".
func (r Row) Label() string { return r.text("state") }

// Status is Podman's status line ([data-testid=status]), "" while an
// operation runs.
func (r Row) Status() string { return r.text("status") }

// Notice is the reason a click was refused ([data-testid=notice]).
func (r Row) Notice() string { return r.text("notice") }

// Error is the failure shown on the row ([data-testid=error-full] when the
// row has one, else [data-testid=error-short]), "" when none.
func (r Row) Error() string {
	if full := byTestID(r.Selection, "error-full"); full.Length() > 0 {
		return full.Text() // as written: its line breaks matter
	}
	return r.text("error-short")
}

// HasError reports whether the row shows a failure: its error block
// ([data-testid=error]) and the row-error class.
func (r Row) HasError() bool {
	return byTestID(r.Selection, "error").Length() > 0 && r.HasClass("row-error")
}

// OOB is the row's hx-swap-oob, "" for a row that answers a request.
func (r Row) OOB() string { return r.attr("hx-swap-oob") }

// Swap is how a live event swaps the row in: its own hx-swap-oob ("true",
// in place), else that of the element that holds it ("beforebegin:#empty",
// inserted as new); "" for a row that answers a request.
func (r Row) Swap() string {
	if oob := r.OOB(); oob != "" {
		return oob
	}
	return r.Parent().Closest("[hx-swap-oob]").AttrOr("hx-swap-oob", "")
}

// Image is the row's data-image, the image as Podman names it.
func (r Row) Image() string { return r.attr("data-image") }

// HTML is the row's markup, for failure messages.
func (r Row) HTML() string {
	s, err := goquery.OuterHtml(r.Selection)
	if err != nil {
		return err.Error()
	}
	return s
}

// Button is one of a row's buttons.
type Button struct {
	Op       string // data-op: stop, start, restart, dismiss
	Label    string // its text
	ID       string
	Disabled bool
	// Action is where the button's form posts without JavaScript, "" when
	// it is in no form.
	Action string
}

// Buttons are the row's buttons, in document order.
func (r Row) Buttons() []Button {
	var out []Button
	r.Find("button").Each(func(_ int, s *goquery.Selection) {
		op, _ := s.Attr("data-op")
		id, _ := s.Attr("id")
		_, disabled := s.Attr("disabled")
		action, _ := s.Closest("form").Attr("action")
		out = append(out, Button{Op: op, Label: Text(s), ID: id, Disabled: disabled, Action: action})
	})
	return out
}

// Ops are the data-op of the row's buttons, in document order.
func (r Row) Ops() []string {
	var ops []string
	for _, b := range r.Buttons() {
		ops = append(ops, b.Op)
	}
	return ops
}

// Button returns the row's button of op; ok is false when it has none.
func (r Row) Button(op string) (Button, bool) {
	for _, b := range r.Buttons() {
		if b.Op == op {
			return b, true
		}
	}
	return Button{}, false
}

// Text is the text of s with runs of white space made one space.
func Text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// RowID is the id of name's row, as the templates write it.
func RowID(name string) string { return templates.RowID(name) }
