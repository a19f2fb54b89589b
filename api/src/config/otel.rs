//! The standard OpenTelemetry variables (`OTEL_*`) that turn trace export on and
//! say where it goes. Read here, beside every other setting, and validated with
//! them: a value Chorus cannot honour (gRPC, an unknown sampler) stops start-up.

use std::{fmt, time::Duration};

use super::{ConfigError, Vars};

/// How spans travel to the collector: OTLP over HTTP, never gRPC (not built).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    HttpProtobuf,
    HttpJson,
}

/// Which traces are kept (the SDK samplers `OTEL_TRACES_SAMPLER` names).
#[derive(Debug, Clone, PartialEq)]
pub enum TraceSampler {
    AlwaysOn,
    AlwaysOff,
    TraceIdRatio(f64),
    /// Follows the caller's decision when a `traceparent` carries one.
    ParentBased(Box<TraceSampler>),
}

/// Trace export, present only when an OTLP endpoint is configured.
#[derive(Clone)]
pub struct TracesConfig {
    /// The full URL spans are POSTed to (`…/v1/traces`).
    pub endpoint: String,
    pub protocol: OtlpProtocol,
    /// Sent with every export (often a collector's API key: never printed).
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub gzip: bool,
    pub service_name: String,
    /// `OTEL_RESOURCE_ATTRIBUTES`, besides the service name.
    pub resource_attributes: Vec<(String, String)>,
    pub sampler: TraceSampler,
}

impl fmt::Debug for TracesConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracesConfig")
            .field("endpoint", &self.endpoint)
            .field("protocol", &self.protocol)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("gzip", &self.gzip)
            .field("service_name", &self.service_name)
            .field("resource_attributes", &self.resource_attributes)
            .field("sampler", &self.sampler)
            .finish()
    }
}

/// The trace settings, or `None` when no endpoint is set (or the SDK is disabled).
pub(super) fn traces(vars: &Vars<'_>) -> Result<Option<TracesConfig>, ConfigError> {
    if vars.bool("OTEL_SDK_DISABLED", false)? {
        return Ok(None);
    }
    match vars.get("OTEL_TRACES_EXPORTER").as_deref() {
        None | Some("otlp") => {}
        Some("none") => return Ok(None),
        Some(other) => {
            return Err(ConfigError::new(
                "OTEL_TRACES_EXPORTER",
                format!("expected `otlp` or `none`, got `{other}`"),
            ));
        }
    }
    let (endpoint, endpoint_var) = match (
        vars.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        vars.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
    ) {
        // The signal's own endpoint is used as given; the general one is a base.
        (Some(url), _) => (url, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        (None, Some(base)) => (
            format!("{}/v1/traces", base.trim_end_matches('/')),
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ),
        (None, None) => return Ok(None),
    };
    if url::Url::parse(&endpoint)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .is_none()
    {
        return Err(ConfigError::new(
            endpoint_var,
            format!("expected an http:// or https:// URL, got `{endpoint}`"),
        ));
    }
    let (protocol_var, protocol) = signal_or_general(vars, "PROTOCOL");
    let protocol = match protocol.as_deref() {
        None | Some("http/protobuf") => OtlpProtocol::HttpProtobuf,
        Some("http/json") => OtlpProtocol::HttpJson,
        Some("grpc") => {
            return Err(ConfigError::new(
                protocol_var,
                "grpc is not supported: Chorus exports traces over HTTP; use `http/protobuf` \
                 (a collector's OTLP/HTTP port, usually 4318)",
            ));
        }
        Some(other) => {
            return Err(ConfigError::new(
                protocol_var,
                format!("expected `http/protobuf` or `http/json`, got `{other}`"),
            ));
        }
    };
    let mut headers = pairs(vars, "OTEL_EXPORTER_OTLP_HEADERS")?;
    for (key, value) in pairs(vars, "OTEL_EXPORTER_OTLP_TRACES_HEADERS")? {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&key));
        headers.push((key, value));
    }
    let (timeout_var, timeout) = signal_or_general(vars, "TIMEOUT");
    let timeout = match timeout {
        None => Duration::from_secs(10),
        Some(ms) => ms
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
            .ok_or_else(|| {
                ConfigError::new(
                    timeout_var,
                    format!("expected a whole number of milliseconds, got `{ms}`"),
                )
            })?,
    };
    let (compression_var, compression) = signal_or_general(vars, "COMPRESSION");
    let gzip = match compression.as_deref() {
        None | Some("none") => false,
        Some("gzip") => true,
        Some(other) => {
            return Err(ConfigError::new(
                compression_var,
                format!("expected `gzip` or `none`, got `{other}`"),
            ));
        }
    };
    let mut resource_attributes = pairs(vars, "OTEL_RESOURCE_ATTRIBUTES")?;
    let named = resource_attributes
        .iter()
        .position(|(k, _)| k == "service.name")
        .map(|i| resource_attributes.remove(i).1);
    let service_name = vars
        .get("OTEL_SERVICE_NAME")
        .or(named)
        .unwrap_or_else(|| "chorus".into());
    Ok(Some(TracesConfig {
        endpoint,
        protocol,
        headers,
        timeout,
        gzip,
        service_name,
        resource_attributes,
        sampler: sampler(vars)?,
    }))
}

/// `OTEL_EXPORTER_OTLP_TRACES_<what>`, else `OTEL_EXPORTER_OTLP_<what>`, with
/// the name of the one that was read (for its error).
fn signal_or_general(vars: &Vars<'_>, what: &str) -> (&'static str, Option<String>) {
    let (signal, general) = match what {
        "PROTOCOL" => (
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
        "TIMEOUT" => (
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            "OTEL_EXPORTER_OTLP_TIMEOUT",
        ),
        _ => (
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
            "OTEL_EXPORTER_OTLP_COMPRESSION",
        ),
    };
    match vars.get(signal) {
        Some(value) => (signal, Some(value)),
        None => (general, vars.get(general)),
    }
}

/// A `key=value,key=value` list (the W3C baggage form the OTel spec uses for
/// headers and resource attributes), values percent-decoded.
fn pairs(vars: &Vars<'_>, name: &'static str) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(list) = vars.get(name) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let decoded = item.split_once('=').and_then(|(key, value)| {
            let value = percent_encoding::percent_decode_str(value.trim())
                .decode_utf8()
                .ok()?;
            let key = key.trim();
            (!key.is_empty()).then(|| (key.to_owned(), value.into_owned()))
        });
        match decoded {
            Some(pair) => out.push(pair),
            // The value may be a secret: name the key only.
            None => {
                let key = item.split('=').next().unwrap_or_default();
                return Err(ConfigError::new(
                    name,
                    format!("expected `key=value` pairs separated by commas, near `{key}`"),
                ));
            }
        }
    }
    Ok(out)
}

fn sampler(vars: &Vars<'_>) -> Result<TraceSampler, ConfigError> {
    let ratio = || -> Result<f64, ConfigError> {
        match vars.get("OTEL_TRACES_SAMPLER_ARG") {
            None => Ok(1.0),
            Some(arg) => arg
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| {
                    ConfigError::new(
                        "OTEL_TRACES_SAMPLER_ARG",
                        format!("expected a ratio from 0 to 1, got `{arg}`"),
                    )
                }),
        }
    };
    let parent_based = |s| TraceSampler::ParentBased(Box::new(s));
    Ok(match vars.get("OTEL_TRACES_SAMPLER").as_deref() {
        None | Some("parentbased_always_on") => parent_based(TraceSampler::AlwaysOn),
        Some("always_on") => TraceSampler::AlwaysOn,
        Some("always_off") => TraceSampler::AlwaysOff,
        Some("traceidratio") => TraceSampler::TraceIdRatio(ratio()?),
        Some("parentbased_always_off") => parent_based(TraceSampler::AlwaysOff),
        Some("parentbased_traceidratio") => parent_based(TraceSampler::TraceIdRatio(ratio()?)),
        Some(other) => {
            return Err(ConfigError::new(
                "OTEL_TRACES_SAMPLER",
                format!(
                    "expected always_on, always_off, traceidratio, parentbased_always_on, \
                     parentbased_always_off or parentbased_traceidratio, got `{other}`"
                ),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Option<TracesConfig>, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        traces(&Vars(&|name| map.get(name).cloned()))
    }

    #[test]
    fn traces_are_off_without_an_endpoint_or_when_disabled() {
        assert!(read(&[]).unwrap().is_none());
        assert!(read(&[("OTEL_SERVICE_NAME", "x")]).unwrap().is_none());
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        assert!(
            read(&[endpoint, ("OTEL_SDK_DISABLED", "true")])
                .unwrap()
                .is_none()
        );
        assert!(
            read(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")])
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn the_general_endpoint_is_a_base_and_the_signal_endpoint_is_used_as_given() {
        let c = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")])
            .unwrap()
            .unwrap();
        assert_eq!(c.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(c.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(c.service_name, "chorus");
        assert_eq!(
            c.sampler,
            TraceSampler::ParentBased(Box::new(TraceSampler::AlwaysOn))
        );
        let c = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://tempo/otlp/t"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.endpoint, "https://tempo/otlp/t");
    }

    #[test]
    fn grpc_and_unknown_values_are_refused_naming_the_variable() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        for (vars, named) in [
            (
                vec![endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
                "OTEL_EXPORTER_OTLP_PROTOCOL",
            ),
            (
                vec![endpoint, ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")],
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            ),
            (
                vec![("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")],
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ),
            (
                vec![endpoint, ("OTEL_TRACES_SAMPLER", "jaeger_remote")],
                "OTEL_TRACES_SAMPLER",
            ),
            (
                vec![
                    endpoint,
                    ("OTEL_TRACES_SAMPLER", "traceidratio"),
                    ("OTEL_TRACES_SAMPLER_ARG", "2"),
                ],
                "OTEL_TRACES_SAMPLER_ARG",
            ),
            (
                vec![
                    endpoint,
                    ("OTEL_EXPORTER_OTLP_HEADERS", "secret-without-key"),
                ],
                "OTEL_EXPORTER_OTLP_HEADERS",
            ),
        ] {
            let err = read(&vars).unwrap_err();
            assert_eq!(err.var, named, "{vars:?}: {err}");
        }
        let err = read(&[endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]).unwrap_err();
        assert!(err.to_string().contains("http/protobuf"), "{err}");
    }

    #[test]
    fn headers_and_resource_attributes_are_decoded_and_headers_never_printed() {
        let c = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcret, x-tenant=a"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-Tenant=b"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=from-attrs,deployment.environment=prod",
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            c.headers,
            vec![
                ("api-key".to_owned(), "s=cret".to_owned()),
                ("X-Tenant".to_owned(), "b".to_owned())
            ]
        );
        assert_eq!(c.service_name, "from-attrs");
        assert_eq!(
            c.resource_attributes,
            vec![("deployment.environment".to_owned(), "prod".to_owned())]
        );
        assert_eq!(c.protocol, OtlpProtocol::HttpJson);
        assert_eq!(
            c.sampler,
            TraceSampler::ParentBased(Box::new(TraceSampler::TraceIdRatio(0.25)))
        );
        assert!(!format!("{c:?}").contains("cret"));
    }
}
