package templates

import "embed"

// Email holds the templates of the emails Herald sends: NAME.txt
// (text/template) and NAME.html (html/template) for each kind.
//
//go:embed email/*
var Email embed.FS
