/** @type {import('tailwindcss').Config} */
module.exports = {
  // Paths are relative to the working directory: run the build from the repo root.
  // Keep this to the template globs; a ./**/* glob would scan node_modules.
  // Class names assembled at run time in Go strings are not seen here.
  content: ['./templates/**/*.templ', './templates/**/*.go', '!./templates/**/*_test.go', './static/js/**/*.js'],
  darkMode: 'media',
  // Component classes from static/css/input.css, always emitted even when no
  // template uses them yet (or only builds them dynamically).
  safelist: [
    'btn',
    'btn-stop',
    'btn-start',
    'btn-restart',
    'badge',
    'badge-running',
    'badge-stopped',
    'badge-paused',
    'badge-transition',
    'badge-error',
    'spinner',
    'row-error',
  ],
  theme: {
    extend: {},
  },
  plugins: [],
};
