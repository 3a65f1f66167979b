//! Logging: human-readable text by default, one JSON object per line on
//! request (`log_format = "json"`), filtered by `log_level`.

use crate::config::LogFormat;
use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber. Fails on an invalid filter.
pub fn init(format: LogFormat, level: &str) -> Result<(), String> {
    let filter =
        EnvFilter::try_new(level).map_err(|e| format!("invalid log_level {level:?}: {e}"))?;
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    result.map_err(|e| e.to_string())
}
