// Package static holds the browser assets that podboard serves.
package static

import "embed"

// FS holds the built stylesheet, the vendored htmx files and the page
// scripts, under the paths css/app.css, vendor/*.js and js/*.js.
//
// They are embedded so that podboard ships as a single binary: nothing is
// read from disk at run time, and Node/npm are only needed to rebuild
// css/app.css or refresh vendor/ (make css, make vendor), never to run it.
// The CSS build inputs (input.css, inputs.sh, app.css.sum) are left out.
//
//go:embed css/app.css vendor/*.js js
var FS embed.FS
