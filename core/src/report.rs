//! Plain, serializable results for front ends: documents and diagnostics
//! with line and column numbers. Byte spans become lines only here.

use serde::Serialize;

use crate::diagnostic::{LocatedDiagnostic, Severity};
use crate::source::LineIndex;
use crate::Parsed;

/// What a check found in one text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub documents: Vec<DocumentInfo>,
    pub diagnostics: Vec<LocatedDiagnostic>,
    pub summary: Summary,
}

/// One object of the input, for lists and outlines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentInfo {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `kind` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Whether netpolkit models this kind (otherwise it is kept as is).
    pub modelled: bool,
    /// Whether it is a network policy (as opposed to a workload or other object).
    pub policy: bool,
    /// `items[3]` for an item of a `List`, empty otherwise.
    pub path: String,
    /// Byte offsets in the whole input.
    pub start: usize,
    pub end: usize,
    /// The same range in UTF-16 units, for JavaScript strings and editors.
    pub start_utf16: usize,
    pub end_utf16: usize,
    pub line: usize,
    pub end_line: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub documents: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

/// The report of `parsed`, which was read from `text`.
pub fn report(text: &str, parsed: &Parsed) -> Report {
    let index = LineIndex::new(text);
    let documents = parsed
        .documents
        .iter()
        .map(|doc| {
            let kind = doc.model_kind();
            DocumentInfo {
                index: doc.index,
                api_version: doc.api_version.as_ref().map(|a| a.value.clone()),
                kind: doc.kind.as_ref().map(|k| k.value.clone()),
                name: doc.name().map(str::to_owned),
                namespace: doc.manifest.metadata().and_then(|m| m.namespace()).map(str::to_owned),
                modelled: kind.is_some(),
                policy: kind.is_some_and(|k| k.is_policy()),
                path: doc.path.clone(),
                start: doc.span.start,
                end: doc.span.end,
                start_utf16: index.utf16(text, doc.span.start),
                end_utf16: index.utf16(text, doc.span.end),
                line: index.line_col(text, doc.span.start).line,
                end_line: index.line_col(text, doc.span.end).line,
            }
        })
        .collect();
    let mut summary = Summary {
        documents: parsed.documents.len(),
        ..Summary::default()
    };
    for d in &parsed.diagnostics {
        match d.severity {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
            Severity::Info => summary.infos += 1,
        }
    }
    Report {
        documents,
        diagnostics: parsed.diagnostics.iter().map(|d| d.locate(text, &index)).collect(),
        summary,
    }
}
