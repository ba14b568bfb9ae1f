//! The URL parser and the host checks, notation by notation and range by range.

use super::*;

fn host(text: &str) -> Host {
    Url::parse(&format!("http://{text}/"))
        .map(|url| url.host)
        .unwrap_or_else(|error| panic!("{text}: {error}"))
}

#[test]
fn recognises_loopback_in_every_notation() {
    let loopback = Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    for text in [
        "127.0.0.1",
        "127.1",
        "127.0.1",
        "0x7f.1",
        "0x7F.0.0.1",
        "2130706433",
        "017700000001",
        "0177.0.0.1",
        "0x7f000001",
        "127.0.0.1.",
        "127.000.000.001",
    ] {
        assert_eq!(host(text), loopback, "{text}");
    }
    assert_eq!(
        host("[::ffff:127.0.0.1]"),
        Host::Ip("::ffff:127.0.0.1".parse().expect("ip"))
    );
}

#[test]
fn refuses_malformed_numeric_hosts() {
    for text in [
        "256.0.0.1",
        "1.2.3.4.5",
        "0x100.1",
        "1.2.3.09",
        "4294967296",
    ] {
        assert!(Url::parse(&format!("http://{text}/")).is_err(), "{text}");
    }
}

#[test]
fn classifies_private_and_public_addresses() {
    assert_all_refused(&[
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
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
        "2002:7f00:1::",
        "ff02::1",
    ]);
    assert_all_public(&["8.8.8.8", "172.32.0.1", "140.82.112.3", "2606:4700::1111"]);
}

#[test]
fn parses_and_joins_urls() {
    let url = Url::parse("https://API.Example.com/v1/x y?q=a b#frag").expect("url");
    assert_eq!(url.to_string(), "https://api.example.com/v1/x%20y?q=a%20b");
    assert_eq!(url.port, 443);
    let url = Url::parse("http://example.com:8080").expect("url");
    assert_eq!(url.to_string(), "http://example.com:8080/");
    assert_eq!(
        url.join("/a?b").expect("join").to_string(),
        "http://example.com:8080/a?b"
    );
    assert_eq!(
        Url::parse("http://e.com/a/b")
            .and_then(|u| u.join("c"))
            .expect("join")
            .to_string(),
        "http://e.com/a/c"
    );
    for bad in [
        "ftp://e.com/",
        "http://user@e.com/",
        "http:///x",
        "http://e.com:0/",
        "http://e.com:99999/",
        "http://e%2ecom/",
        "/relative",
    ] {
        assert!(Url::parse(bad).is_err(), "{bad}");
    }
}

/// Whether a URL is allowed by `patterns`, as `allowed_hosts`.
fn allowed_by(patterns: &[&str]) -> impl Fn(&str) -> bool {
    let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
    move |url| host_allowed(&Url::parse(url).expect("url"), &patterns)
}

#[test]
fn matches_allowed_hosts() {
    let allowed = allowed_by(&["api.example.com", "*.files.example.com", "local.test:8080"]);
    assert!(allowed("https://api.example.com/x"));
    assert!(allowed("https://a.b.files.example.com/x"));
    assert!(allowed("http://local.test:8080/"));
    assert!(!allowed("https://files.example.com/"));
    assert!(!allowed("https://api.example.com:8443/"));
    assert!(!allowed("http://local.test/"));
    assert!(!allowed("https://evil.com/api.example.com"));
    assert!(!allowed("https://api.example.com.evil.com/"));
}

/// Every address of `ips` is refused, with a reason.
fn assert_all_refused(ips: &[&str]) {
    for ip in ips {
        let ip: IpAddr = ip.parse().expect("ip");
        assert!(forbidden_address(ip).is_some(), "{ip}");
    }
}

/// Every address of `ips` is a public one.
fn assert_all_public(ips: &[&str]) {
    for ip in ips {
        let ip: IpAddr = ip.parse().expect("ip");
        assert_eq!(forbidden_address(ip), None, "{ip}");
    }
}

fn ipv4(text: &str) -> Host {
    Host::Ip(IpAddr::V4(text.parse().expect("ipv4")))
}

fn refused(text: &str) -> bool {
    Url::parse(&format!("http://{text}/")).is_err()
}

#[test]
fn each_ipv4_part_holds_exactly_the_bytes_left_for_it() {
    for (text, address) in [
        ("255.255.255.255", "255.255.255.255"),
        ("255.1", "255.0.0.1"),
        ("1.16777215", "1.255.255.255"),
        ("1.2.65535", "1.2.255.255"),
        ("1.2.3.255", "1.2.3.255"),
        ("4294967295", "255.255.255.255"),
        ("0x0", "0.0.0.0"),
        ("0", "0.0.0.0"),
    ] {
        assert_eq!(host(text), ipv4(address), "{text}");
    }
    for text in ["256.1", "1.16777216", "1.2.65536", "1.2.3.256"] {
        assert!(refused(text), "{text}");
    }
}

#[test]
fn an_ipv4_part_has_at_most_32_digits_after_its_prefix() {
    let octal = |digits: usize| format!("0{}1", "0".repeat(digits - 1));
    assert_eq!(host(&octal(32)), ipv4("0.0.0.1"));
    assert!(refused(&octal(33)));
}

#[test]
fn only_a_trailing_dot_is_dropped_from_a_numeric_host() {
    assert_eq!(host("1.2.3.4."), ipv4("1.2.3.4"));
    assert_eq!(host("1.2.3.4"), ipv4("1.2.3.4"));
    assert!(refused("1.2.3.4.."));
    assert!(refused("."));
}

#[test]
fn a_host_name_has_at_most_253_characters() {
    let name = |length: usize| format!("{}.{}", "a".repeat(63), "b".repeat(length - 64));
    assert_eq!(host(&name(253)), Host::Name(name(253)));
    assert!(refused(&name(254)));
    assert_eq!(host("Example.COM."), Host::Name("example.com".into()));
}

#[test]
fn ports_are_one_to_65535_written_in_digits() {
    let port = |text: &str| Url::parse(text).map(|url| url.port);
    assert_eq!(port("http://e.com:/"), Ok(80));
    assert_eq!(port("https://e.com:65535/"), Ok(65535));
    assert_eq!(port("http://e.com:1/"), Ok(1));
    assert_eq!(port("http://[::1]/"), Ok(80));
    assert_eq!(port("http://[::1]:8080/"), Ok(8080));
    for bad in [
        "http://e.com:+80/",
        "http://e.com:65536/",
        "http://[::1]x/",
        "http://[::1/",
        "http://[1.2.3.4]/",
    ] {
        assert!(port(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_request_target_escapes_what_may_not_go_raw() {
    for (url, target) in [
        (
            "http://e.com/a\"<>^`{|}\u{7f}é%41",
            "/a%22%3C%3E%5E%60%7B%7C%7D%7F%C3%A9%41",
        ),
        ("http://e.com/a\\b", "/a%5Cb"),
        ("http://e.com?q=1", "/?q=1"),
        ("http://e.com#top", "/"),
    ] {
        assert_eq!(
            Url::parse(url).map(|url| url.target),
            Ok(target.into()),
            "{url}"
        );
    }
    assert!(Url::parse("http://e.com\\@evil.com/").is_err());
}

#[test]
fn redirects_join_like_a_browser() {
    let base = Url::parse("https://e.com:8443/a/b?x=1").expect("url");
    for (location, joined) in [
        ("http://other.com/x", "http://other.com/x"),
        ("//other.com/x", "https://other.com/x"),
        ("/c", "https://e.com:8443/c"),
        (" c?y=2 ", "https://e.com:8443/a/c?y=2"),
    ] {
        let url = base.join(location).map(|url| url.to_string());
        assert_eq!(url, Ok(joined.into()), "{location}");
    }
    assert_eq!(
        Url::parse("http://e.com").and_then(|url| url.join("c")),
        Url::parse("http://e.com/c")
    );
}

#[test]
fn every_reserved_ipv4_range_is_refused_and_its_neighbours_are_not() {
    assert_all_refused(&[
        "0.255.255.255",
        "10.255.255.255",
        "100.64.0.0",
        "100.127.255.255",
        "127.255.255.255",
        "169.254.0.0",
        "172.16.0.0",
        "192.0.0.1",
        "192.0.2.1",
        "198.51.100.1",
        "203.0.113.1",
        "192.168.255.255",
        "198.18.0.0",
        "198.19.255.255",
        "239.255.255.255",
        "240.0.0.1",
    ]);
    assert_all_public(&[
        "1.0.0.0",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "192.0.1.1",
        "192.0.3.1",
        "198.51.99.1",
        "203.0.112.1",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
    ]);
}

#[test]
fn ipv6_addresses_of_private_hosts_are_refused_and_of_public_ones_are_not() {
    assert_all_refused(&[
        "::2",
        "::1.2.3.4",
        "2001:db8::1",
        "fec0::1",
        "fc00::1",
        "febf::1",
        "64:ff9b::c000:201",
        "2002:c000:201::",
        "::ffff:192.0.2.1",
    ]);
    assert_all_public(&[
        "2001:db9::1",
        "2001:4860:4860::8888",
        "fe00::1",
        "fbff::1",
        "64:ff9b::c000:301",
        "64:ff9c::a00:1",
        "65:ff9b::a00:1",
        "2002:c000:301::",
        "2003:a00:1::",
        "::ffff:192.0.3.1",
    ]);
}

#[test]
fn an_allowed_host_pattern_matches_its_port_and_names_exactly() {
    let allowed = allowed_by(&["127.1:3000", "*.example.com:8443", "bad host"]);
    assert!(allowed("http://127.0.0.1:3000/"));
    // Neither the port-less "bad host", which parses as no host, nor 127.1 without its port.
    assert!(!allowed("http://127.0.0.1/"));
    assert!(allowed("https://a.example.com:8443/"));
    assert!(!allowed("https://a.example.com/"));
    assert!(!allowed("https://example.com:8443/"));
    assert!(!allowed("https://aexample.com:8443/"));
}

#[test]
fn a_host_whose_last_label_is_a_number_must_be_an_ipv4_address() {
    for text in ["a.1", "example.123", "a.0x7f", "1.a.2", "a.1."] {
        assert!(refused(text), "{text}");
    }
    assert_eq!(host("a1.b2"), Host::Name("a1.b2".into()));
}

#[test]
fn an_ipv4_address_has_at_most_four_parts_even_when_the_fifth_is_zero() {
    for text in ["1.2.3.4.0", "0.0.0.0.0", "1.2.3.4.0."] {
        assert!(refused(text), "{text}");
    }
}
