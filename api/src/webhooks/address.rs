//! Where a webhook may be sent. An endpoint's URL is checked when it is
//! registered, and every address its host resolves to is checked again when a
//! delivery connects (a name that resolved to a public address yesterday may
//! point inside the network today). Loopback, private, link-local and other
//! non-public addresses are refused unless `CHORUS_WEBHOOK_ALLOW_PRIVATE` is on
//! (tests and self-hosting); with it off, only `https` is accepted too.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use crate::error::{Error, Result};

/// The longest URL accepted.
pub const MAX_URL_CHARS: usize = 2048;

/// Checks an endpoint URL as given by an admin; returns it normalised.
pub fn check_url(field: &'static str, text: &str, allow_private: bool) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > MAX_URL_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    let url = url::Url::parse(text)
        .map_err(|_| Error::invalid(field, "expected an absolute http(s) URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => {
            return Err(Error::invalid(
                field,
                "must use https (plain http only with CHORUS_WEBHOOK_ALLOW_PRIVATE)",
            ));
        }
        _ => return Err(Error::invalid(field, "expected an http(s) URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            field,
            "must not carry a user name or password; the signature authenticates Chorus",
        ));
    }
    if url.fragment().is_some() {
        return Err(Error::invalid(field, "must not have a fragment (`#…`)"));
    }
    let private = match url.host() {
        None => return Err(Error::invalid(field, "expected a host name")),
        Some(url::Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => is_local_name(name),
    };
    if private && !allow_private {
        return Err(Error::invalid(
            field,
            "points to a loopback, private or link-local address, which webhooks may not reach",
        ));
    }
    Ok(url.to_string())
}

/// Names that never leave the machine or the local network.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.ends_with(".local")
        || name.ends_with(".internal")
        || !name.contains('.')
}

/// True for addresses on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT).
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking.
        || (a == 198 && (b == 18 || b == 19))
        // Reserved.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local (fc00::/7).
        || (s[0] & 0xfe00) == 0xfc00
        // Link-local (fe80::/10) and the old site-local (fec0::/10).
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        // Documentation.
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        // NAT64 and IPv4-compatible forms: judged by the IPv4 address inside.
        || ((s[0] == 0x64 && s[1] == 0xff9b || s[..6].iter().all(|x| *x == 0))
            && !is_public_v4(Ipv4Addr::new(
                (s[6] >> 8) as u8,
                s[6] as u8,
                (s[7] >> 8) as u8,
                s[7] as u8,
            ))))
}

/// Resolves host names for the webhook client, keeping only addresses it may
/// connect to; a name with none left fails to resolve.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| allow_private || is_public(addr.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!(
                    "{host} resolves to no address webhooks may reach (loopback, private or link-local)"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client deliveries are sent with: the guarded resolver, no proxy
/// from the environment, no redirects (a redirect could lead anywhere), and
/// the configured timeout.
pub fn client(allow_private: bool, timeout: std::time::Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("Chorus-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(Error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_told_apart_from_public_ones() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_refused_for_private_hosts_schemes_and_credentials_unless_allowed() {
        for refused in [
            "http://example.org/hook",
            "https://127.0.0.1/hook",
            "https://[::1]/hook",
            "https://10.0.0.5/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://localhost/hook",
            "https://intranet/hook",
            "https://user:pw@example.org/hook",
            "ftp://example.org/hook",
            "not a url",
        ] {
            assert!(check_url("url", refused, false).is_err(), "{refused}");
        }
        assert_eq!(
            check_url("url", " https://hooks.example.org/chorus ", false).unwrap(),
            "https://hooks.example.org/chorus"
        );
        assert!(check_url("url", "http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url("url", "https://user:pw@127.0.0.1/hook", true).is_err());
    }
}
