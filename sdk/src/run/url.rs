//! URLs as the runtime understands them, and the host checks every request passes before any
//! connection is made.
//!
//! Hosts are parsed the way a browser (WHATWG URL) or `inet_aton` would, so that an IP address
//! written in any notation — `127.1`, `0x7f.1`, `2130706433`, `017700000001`, `[::ffff:127.0.0.1]`
//! — is recognised as the address it is and cannot slip past the private-address check.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub(crate) fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// The host part of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Host {
    /// A lowercase DNS name, without a trailing dot.
    Name(String),
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(name) => f.write_str(name),
            Self::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Self::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

/// An absolute `http` or `https` URL, split into what a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    pub(crate) scheme: Scheme,
    pub(crate) host: Host,
    pub(crate) port: u16,
    /// Path and query, starting with `/`, percent-encoded where needed; no fragment.
    pub(crate) target: String,
}

impl Url {
    /// Parses an absolute URL. Anything unusual (user info, unknown schemes, odd characters in the
    /// host) is refused rather than guessed at.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => (Scheme::Https, rest),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => (Scheme::Http, rest),
            Some((scheme, _)) => return Err(format!("the scheme `{scheme}` is not supported")),
            None => return Err("not an absolute http or https URL".into()),
        };
        let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err("user names and passwords in URLs are not supported".into());
        }
        let (host, port) = split_port(authority)?;
        let host = parse_host(host)?;
        let port = match port {
            Some(port) => port,
            None => scheme.default_port(),
        };
        let tail = tail.split('#').next().unwrap_or_default();
        if tail.starts_with('\\') {
            return Err("backslashes are not allowed after the host".into());
        }
        let target = match tail {
            "" => "/".to_string(),
            tail if tail.starts_with('?') => format!("/{}", encode_target(tail)),
            tail => encode_target(tail),
        };
        Ok(Self {
            scheme,
            host,
            port,
            target,
        })
    }

    /// The `Host` header value: the host, and the port when it is not the scheme's default.
    pub(crate) fn authority(&self) -> String {
        if self.port == self.scheme.default_port() {
            self.host.to_string()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Resolves `location` (absolute, scheme-relative, absolute-path or relative) against this URL.
    pub(crate) fn join(&self, location: &str) -> Result<Self, String> {
        let location = location.trim();
        if location.contains("://") {
            return Self::parse(location);
        }
        if let Some(rest) = location.strip_prefix("//") {
            return Self::parse(&format!("{}://{rest}", self.scheme.as_str()));
        }
        let origin = format!("{}://{}", self.scheme.as_str(), self.authority());
        if location.starts_with('/') {
            return Self::parse(&format!("{origin}{location}"));
        }
        let path = self.target.split('?').next().unwrap_or("/");
        let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        Self::parse(&format!("{origin}{directory}{location}"))
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority(),
            self.target
        )
    }
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    let port_start = if authority.starts_with('[') {
        authority.find(']').map(|end| end + 1)
    } else {
        authority.rfind(':')
    };
    match port_start {
        Some(i) if authority[i..].starts_with(':') => {
            let digits = &authority[i + 1..];
            if digits.is_empty() {
                return Ok((&authority[..i], None));
            }
            let port = digits
                .parse::<u16>()
                .ok()
                .filter(|port| *port > 0 && digits.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| format!("`{digits}` is not a valid port"))?;
            Ok((&authority[..i], Some(port)))
        }
        Some(i) if i < authority.len() => Err(format!("`{authority}` is not a valid host")),
        _ => Ok((authority, None)),
    }
}

/// Parses a host as a browser would: a bracketed IPv6 address, an IPv4 address in any of the
/// notations `inet_aton` accepts, or a DNS name.
pub(crate) fn parse_host(host: &str) -> Result<Host, String> {
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| format!("`{host}` is not a valid host"))?;
        return inner
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| format!("`{host}` is not a valid IPv6 address"));
    }
    let lower = host.to_ascii_lowercase();
    let valid = lower.bytes().all(|b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.' || b == b'_'
    });
    if !valid {
        return Err(format!(
            "`{host}` is not a valid host name (use ASCII letters, digits, hyphens and dots; \
             internationalised names must be written in punycode)"
        ));
    }
    if ends_in_number(&lower) {
        return parse_ipv4(&lower)
            .map(|ip| Host::Ip(IpAddr::V4(ip)))
            .ok_or_else(|| format!("`{host}` is not a valid IPv4 address"));
    }
    let name = lower.strip_suffix('.').unwrap_or(&lower);
    if name.is_empty() || name.split('.').any(str::is_empty) || name.len() > 253 {
        return Err(format!("`{host}` is not a valid host name"));
    }
    Ok(Host::Name(name.to_string()))
}

/// Whether the host's last label is a number, which makes it an IPv4 address (WHATWG URL).
fn ends_in_number(host: &str) -> bool {
    let mut labels: Vec<&str> = host.split('.').collect();
    if labels.last() == Some(&"") && labels.len() > 1 {
        labels.pop();
    }
    let Some(last) = labels.last() else {
        return false;
    };
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    parse_ipv4_number(last).is_some()
}

/// IPv4 in `inet_aton` notation: one to four parts, each decimal, octal (leading `0`) or
/// hexadecimal (`0x`), the last part filling the remaining bytes.
pub(crate) fn parse_ipv4(host: &str) -> Option<Ipv4Addr> {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.last() == Some(&"") && parts.len() > 1 {
        parts.pop();
    }
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let numbers = parts
        .iter()
        .map(|part| parse_ipv4_number(part))
        .collect::<Option<Vec<u64>>>()?;
    let (last, init) = numbers.split_last()?;
    if init.iter().any(|n| *n > 255) {
        return None;
    }
    let remaining_bits = 8 * (4 - init.len() as u32);
    if *last >= 1u64 << remaining_bits {
        return None;
    }
    let mut address = *last;
    for (i, n) in init.iter().enumerate() {
        address |= n << (24 - 8 * i as u32);
    }
    u32::try_from(address).ok().map(Ipv4Addr::from)
}

fn parse_ipv4_number(part: &str) -> Option<u64> {
    if part.is_empty() {
        return None;
    }
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if digits.is_empty() {
        return Some(0);
    }
    if digits.len() > 32 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Why an address must not be connected to, or `None` when it is a public unicast address.
pub(crate) fn forbidden_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => forbidden_ipv4(ip),
        IpAddr::V6(ip) => forbidden_ipv6(ip),
    }
}

fn forbidden_ipv4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let reason = match (a, b, c) {
        (0, ..) => "an unspecified (0.0.0.0/8) address",
        (10, ..) => "a private (10.0.0.0/8) address",
        (100, 64..=127, _) => "a carrier-grade NAT (100.64.0.0/10) address",
        (127, ..) => "a loopback address",
        (169, 254, _) => "a link-local (169.254.0.0/16) address",
        (172, 16..=31, _) => "a private (172.16.0.0/12) address",
        (192, 0, 0) => "an IETF protocol (192.0.0.0/24) address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (192, 168, _) => "a private (192.168.0.0/16) address",
        (198, 18..=19, _) => "a benchmarking (198.18.0.0/15) address",
        (224..=239, ..) => "a multicast address",
        (240..=255, ..) => "a reserved or broadcast address",
        _ => return None,
    };
    Some(reason)
}

fn forbidden_ipv6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_ipv4(v4).map(|_| "an IPv4-mapped private, loopback or reserved address");
    }
    let embedded_v4 = |high: usize| {
        Ipv4Addr::new(
            (segments[high] >> 8) as u8,
            segments[high] as u8,
            (segments[high + 1] >> 8) as u8,
            segments[high + 1] as u8,
        )
    };
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    let reason = match segments[0] {
        // ::/96, the deprecated IPv4-compatible addresses, and anything else in ::/8.
        0 => "a reserved (::/8) address",
        0x0064 if segments[1] == 0xff9b => {
            return forbidden_ipv4(embedded_v4(6)).map(|_| "a NAT64 address of a private host");
        }
        0x2002 => {
            return forbidden_ipv4(embedded_v4(1)).map(|_| "a 6to4 address of a private host");
        }
        0x2001 if segments[1] == 0x0db8 => "a documentation address",
        s if s & 0xfe00 == 0xfc00 => "a unique local (fc00::/7) address",
        s if s & 0xffc0 == 0xfe80 => "a link-local (fe80::/10) address",
        s if s & 0xffc0 == 0xfec0 => "a site-local (fec0::/10) address",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        _ => return None,
    };
    Some(reason)
}

/// Percent-encodes what may not appear raw in a request target: spaces, control characters,
/// non-ASCII bytes and a few delimiters. Existing `%XX` escapes are kept.
fn encode_target(target: &str) -> String {
    let mut encoded = String::with_capacity(target.len());
    for byte in target.bytes() {
        match byte {
            b'!'..=b'~'
                if !matches!(
                    byte,
                    b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
                ) =>
            {
                encoded.push(char::from(byte))
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// Whether `host:port` is allowed by one of the connector's `allowed_hosts` patterns: a host
/// name (or IP address), optionally `*.`-prefixed to allow its subdomains, optionally with a port.
/// A pattern without a port allows the scheme's default port only.
pub(crate) fn host_allowed(url: &Url, patterns: &[String]) -> bool {
    let host = url.host.to_string();
    patterns.iter().any(|pattern| {
        let (name, port) = match pattern.rsplit_once(':') {
            Some((name, port)) => (name, port.parse::<u16>().ok()),
            None => (pattern.as_str(), None),
        };
        let port_ok = port.unwrap_or(url.scheme.default_port()) == url.port;
        let name_ok = match name.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => match parse_host(name) {
                Ok(declared) => declared.to_string() == host,
                Err(_) => false,
            },
        };
        port_ok && name_ok
    })
}

#[cfg(test)]
mod tests;
