//! The migration report: verdict, findings, rewrites as unified diffs, and
//! the flows that change, as Markdown, JSON, SARIF or HTML.
