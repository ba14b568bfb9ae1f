//! The one rule for a declared host: what `allowed_hosts` may list.

/// A lowercase host name, optionally `*.`-prefixed to allow its subdomains and `:port`-suffixed.
pub(super) fn check_host(host: &str) -> std::result::Result<(), &'static str> {
    if host.contains("://") || host.contains('/') {
        return Err("write the host name alone, without a scheme or path");
    }
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    if let Some(port) = port {
        let valid = port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|port| port > 0);
        if !valid {
            return Err("the port must be a number from 1 to 65535");
        }
    }
    let (wildcard, name) = match name.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("host names must be lowercase");
    }
    let labels: Vec<&str> = name.split('.').collect();
    if name.len() > 253 || !labels.iter().all(|label| is_host_label(label)) {
        return Err("use letters, digits, hyphens and dots only");
    }
    if wildcard && labels.len() < 2 {
        return Err("a wildcard must stand for subdomains of a domain, like `*.example.com`");
    }
    Ok(())
}

fn is_host_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_host_names_with_wildcards_and_ports() {
        for host in [
            "api.github.com",
            "*.example.com",
            "localhost",
            "localhost:8080",
            "127.0.0.1:3000",
            "my-api.example.co.uk",
        ] {
            assert_eq!(check_host(host), Ok(()), "{host}");
        }
    }

    #[test]
    fn refuses_schemes_paths_case_bad_ports_and_bare_wildcards() {
        for host in [
            "https://api.github.com",
            "api.github.com/v3",
            "API.github.com",
            "api.github.com:0",
            "api.github.com:99999",
            "api.github.com:",
            "api.github.com:+80",
            "*.com",
            "*",
            "a..b",
            "-a.com",
            "a_b.com",
            "",
            "exa mple.com",
        ] {
            assert!(check_host(host).is_err(), "{host}");
        }
    }

    #[test]
    fn each_refusal_says_which_rule_the_host_breaks() {
        let scheme = Err("write the host name alone, without a scheme or path");
        let port = Err("the port must be a number from 1 to 65535");
        let characters = Err("use letters, digits, hyphens and dots only");
        for (host, expected) in [
            ("https://api.github.com", scheme),
            ("api.github.com/v3", scheme),
            ("api.github.com:0", port),
            ("api.github.com:+80", port),
            ("api.github.com:", port),
            ("API.github.com", Err("host names must be lowercase")),
            ("*.API.com", Err("host names must be lowercase")),
            ("a_b.com", characters),
            ("a-.com", characters),
            (
                "*.com",
                Err("a wildcard must stand for subdomains of a domain, like `*.example.com`"),
            ),
        ] {
            assert_eq!(check_host(host), expected, "{host}");
        }
        assert_eq!(check_host("api.github.com:65535"), Ok(()));
        assert_eq!(check_host("api.github.com:1"), Ok(()));
        assert_eq!(check_host("api.github.com:65536"), port);
    }

    #[test]
    fn a_label_has_at_most_63_characters_and_a_name_at_most_253() {
        let label = |length: usize| format!("{}.com", "a".repeat(length));
        assert_eq!(check_host(&label(63)), Ok(()));
        assert!(check_host(&label(64)).is_err());
        let name = |length: usize| {
            let rest = length - 3 * 64;
            format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(rest))
        };
        assert_eq!(name(253).len(), 253);
        assert_eq!(check_host(&name(253)), Ok(()));
        assert_eq!(check_host(&format!("*.{}", name(253))), Ok(()));
        assert!(check_host(&name(254)).is_err());
    }
}
