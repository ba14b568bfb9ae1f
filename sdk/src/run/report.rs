//! What a run's report may hold, and the last pass every report goes through before it leaves the
//! runtime: every secret redacted with everything the run learnt, and every part cut to its
//! limit, with the cut said in the text (`… [truncated N bytes]`) and in [`Truncation`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::redact::{Redactor, cut};
use super::{RunError, TraceEntry};

/// How much of a run its [`RunReport`](super::RunReport) keeps: what the debugger console and
/// `patchbay connector exec` show. Sizes are bytes of UTF-8 text, before any JSON encoding of
/// the answer.
///
/// With the defaults (and the default 20 requests per run) a report holds at most about 1.7 MiB
/// of text: [`ReportLimits::max_report_bytes`] gives the exact bound for a configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLimits {
    /// The output, as compact JSON [256 KiB]. A larger output is replaced by a JSON string: the
    /// start of its JSON text, ending in `… [truncated N bytes]`.
    pub max_output_bytes: usize,
    /// Log lines kept [200]; later ones are dropped and counted.
    pub max_log_lines: usize,
    /// Bytes of one log line [2 KiB]; longer lines are cut.
    pub max_log_line_bytes: usize,
    /// Bytes of each text of the error — its message, URL, quoted response body or reason
    /// [4 KiB]. An error has at most two such texts.
    pub max_error_bytes: usize,
    /// Bytes of each URL, request body, response body and error message in the trace [8 KiB].
    pub max_trace_text_bytes: usize,
    /// Bytes of header names and values kept per request and per response in the trace
    /// [8 KiB]; the headers past it are replaced by one `[truncated]` header that counts them.
    pub max_trace_header_bytes: usize,
}

impl Default for ReportLimits {
    fn default() -> Self {
        Self {
            max_output_bytes: 256 * 1024,
            max_log_lines: 200,
            max_log_line_bytes: 2 * 1024,
            max_error_bytes: 4 * 1024,
            max_trace_text_bytes: 8 * 1024,
            max_trace_header_bytes: 8 * 1024,
        }
    }
}

/// Room for a cut marker, `… [truncated 18446744073709551615 bytes]`.
const MARKER_BYTES: usize = 48;
/// Room for a trace entry's method, status, duration and the marker header.
const ENTRY_OVERHEAD_BYTES: usize = 256;
/// Room for the fixed words of an error message and its position.
const ERROR_OVERHEAD_BYTES: usize = 256;

impl ReportLimits {
    /// The most text a report can hold under these limits when a run may make `max_requests`
    /// requests (the trace holds at most one more entry: the refused one).
    pub fn max_report_bytes(&self, max_requests: usize) -> usize {
        let output = self.max_output_bytes + MARKER_BYTES;
        let logs = self.max_log_lines * (self.max_log_line_bytes + MARKER_BYTES);
        let error = 2 * (self.max_error_bytes + MARKER_BYTES) + ERROR_OVERHEAD_BYTES;
        let entry = 4 * (self.max_trace_text_bytes + MARKER_BYTES)
            + 2 * self.max_trace_header_bytes
            + ENTRY_OVERHEAD_BYTES;
        output + logs + error + (max_requests + 1) * entry
    }
}

/// What was cut from a report to fit its [`ReportLimits`]; all zero (or `None`, `false`) when
/// nothing was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truncation {
    /// The output's size as compact JSON, when it was over the limit and replaced by the start
    /// of its JSON text.
    pub output_bytes: Option<usize>,
    /// Log lines dropped after the first `max_log_lines`.
    pub log_lines_dropped: usize,
    /// Log lines cut to `max_log_line_bytes`.
    pub log_lines_cut: usize,
    /// Whether a text of the error was cut to `max_error_bytes`.
    pub error_cut: bool,
    /// URLs, bodies, error messages and header lists cut in the trace.
    pub trace_texts_cut: usize,
}

impl Truncation {
    /// Whether anything was cut.
    pub fn any(&self) -> bool {
        *self != Self::default()
    }
}

/// `text` cut to `limit`, counting the cut in `counter`.
pub(crate) fn cut_counted(text: String, limit: usize, counter: &mut usize) -> String {
    match cut(&text, limit) {
        Some(short) => {
            *counter += 1;
            short
        }
        None => text,
    }
}

/// Headers for the trace: redacted, and cut to `limit` bytes of names and values in all.
pub(crate) fn trace_headers(
    redactor: &Redactor,
    headers: &[(String, String)],
    limit: usize,
    counter: &mut usize,
) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    let mut used = 0;
    let mut dropped = 0;
    let mut dropped_bytes = 0;
    for (name, value) in redactor.headers(headers) {
        let size = name.len() + value.len();
        if dropped == 0 && used + size <= limit {
            used += size;
            kept.push((name, value));
        } else {
            dropped += 1;
            dropped_bytes += size;
        }
    }
    if dropped > 0 {
        *counter += 1;
        kept.push((
            "[truncated]".into(),
            format!("{dropped} more headers, {dropped_bytes} bytes"),
        ));
    }
    kept
}

/// The last pass over what a run produced, with the redactor that knows every secret of the run.
pub(crate) fn finish(
    outcome: Result<Value, RunError>,
    logs: Vec<String>,
    trace: Vec<TraceEntry>,
    redactor: &Redactor,
    limits: &ReportLimits,
    truncation: &mut Truncation,
) -> (Result<Value, RunError>, Vec<String>, Vec<TraceEntry>) {
    let outcome = match outcome {
        Ok(value) => Ok(output(redactor.value(value), limits, truncation)),
        Err(error) => Err(error.map_text(&mut |text| {
            let text = redactor.text(&text);
            match cut(&text, limits.max_error_bytes) {
                Some(short) => {
                    truncation.error_cut = true;
                    short
                }
                None => text,
            }
        })),
    };
    // Lines were redacted and cut when logged; a secret the authorization derived later is
    // hidden now.
    let logs = logs.iter().map(|line| redactor.text(line)).collect();
    let trace = trace
        .into_iter()
        .map(|entry| TraceEntry {
            url: redactor.text(&entry.url),
            request_headers: redactor.headers(&entry.request_headers),
            request_body: entry.request_body.map(|body| redactor.text(&body)),
            response_headers: redactor.headers(&entry.response_headers),
            response_body: entry.response_body.map(|body| redactor.text(&body)),
            error: entry.error.map(|error| redactor.text(&error)),
            ..entry
        })
        .collect();
    (outcome, logs, trace)
}

fn output(value: Value, limits: &ReportLimits, truncation: &mut Truncation) -> Value {
    let text = value.to_string();
    match cut(&text, limits.max_output_bytes) {
        Some(short) => {
            truncation.output_bytes = Some(text.len());
            Value::String(short)
        }
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_large_output_becomes_the_start_of_its_text() {
        let limits = ReportLimits {
            max_output_bytes: 10,
            ..ReportLimits::default()
        };
        let mut truncation = Truncation::default();
        let value = output(json!({ "a": "0123456789" }), &limits, &mut truncation);
        assert_eq!(value, json!("{\"a\":\"0123… [truncated 8 bytes]"));
        assert_eq!(truncation.output_bytes, Some(18));
        assert!(truncation.any());
        let mut truncation = Truncation::default();
        assert_eq!(output(json!([1]), &limits, &mut truncation), json!([1]));
        assert!(!truncation.any());
    }

    #[test]
    fn headers_past_the_budget_are_counted() {
        let redactor = Redactor::new(["tok-SECRET".to_string()]);
        let mut counter = 0;
        let headers = trace_headers(
            &redactor,
            &[
                ("A".into(), "tok-SECRET".into()),
                ("B".into(), "x".repeat(20)),
                ("C".into(), "y".into()),
            ],
            16,
            &mut counter,
        );
        assert_eq!(
            headers,
            [
                ("A".to_string(), "[REDACTED]".to_string()),
                (
                    "[truncated]".to_string(),
                    "2 more headers, 23 bytes".to_string()
                )
            ]
        );
        assert_eq!(counter, 1);
    }

    #[test]
    fn the_default_bound_is_about_1_7_mib() {
        let bound = ReportLimits::default().max_report_bytes(20);
        assert!((1_500_000..1_800_000).contains(&bound), "{bound}");
    }
}
