//! How commands report: human text on a terminal, or one JSON document for scripts.

use std::io::Write;

use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use serde::Serialize;

/// The global `--output` choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Tables and sentences for people.
    #[default]
    Text,
    /// One JSON document on stdout, nothing else.
    Json,
}

impl OutputFormat {
    pub fn is_json(self) -> bool {
        self == OutputFormat::Json
    }
}

/// Print a report: its `Display` form as text, or its `Serialize` form as pretty JSON. A reader
/// that stopped reading (`| head`) is not an error.
pub fn emit<T: Serialize + std::fmt::Display>(
    format: OutputFormat,
    report: &T,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let written = match format {
        OutputFormat::Text => writeln!(out, "{report}"),
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(report)?),
    };
    match written {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A table in the style every report uses, with its header.
pub fn table<'a>(header: impl IntoIterator<Item = &'a str>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(header.into_iter().collect::<Vec<_>>());
    table
}
