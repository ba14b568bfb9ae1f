//! Where a connector's request may go: the host must be declared, every address it resolves to
//! is checked (no loopback, private or link-local address unless the sandbox allows them), and
//! the connection is made to exactly the addresses checked.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Instant;

use super::client::Session;
use super::http::Failure;
use super::url::{Host, Scheme, Url, forbidden_address, host_allowed};

pub(super) enum Refused {
    Denied(String),
    Failed(Failure),
}

/// Where to connect for `url`, and whether to speak TLS; or why not. Every address is checked
/// here, and the connection is made to exactly these addresses: no second lookup.
pub(super) fn destination(
    session: &Session,
    url: &Url,
) -> Result<(Vec<SocketAddr>, bool), Refused> {
    let config = &session.config;
    let private_ok = config.allow_private_networks;
    if let Host::Ip(ip) = &url.host
        && let Some(reason) = forbidden_address(*ip).filter(|_| !private_ok)
    {
        return Err(Refused::Denied(format!("{} is {reason}", url.host)));
    }
    if !host_allowed(url, &session.allowed_hosts) {
        return Err(Refused::Denied(format!(
            "{} is not among the connector's allowed_hosts",
            url.authority()
        )));
    }
    let (addresses, tls) = match &url.host {
        Host::Ip(ip) => (
            vec![SocketAddr::new(*ip, url.port)],
            url.scheme == Scheme::Https,
        ),
        Host::Name(name) => match config.host_overrides.get(name) {
            Some(address) => (vec![*address], false),
            None => (
                resolve(
                    name,
                    url.port,
                    session
                        .deadline
                        .min(Instant::now() + config.connect_timeout),
                )
                .map_err(Refused::Failed)?,
                url.scheme == Scheme::Https,
            ),
        },
    };
    if !private_ok {
        for address in &addresses {
            if let Some(reason) = forbidden_address(address.ip()) {
                return Err(Refused::Denied(format!(
                    "{} resolves to {}, {reason}",
                    url.host,
                    address.ip()
                )));
            }
        }
    }
    Ok((addresses, tls))
}

/// Looks a name up on a thread of its own, so a slow resolver cannot hold the run past `deadline`.
fn resolve(name: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, Failure> {
    let (sender, receiver) = mpsc::channel();
    let host = name.to_string();
    std::thread::Builder::new()
        .name("connector-dns".into())
        .spawn(move || {
            let result = (host.as_str(), port)
                .to_socket_addrs()
                .map(|addresses| addresses.collect::<Vec<_>>());
            let _ = sender.send(result);
        })
        .map_err(|error| Failure::Network(format!("could not start a DNS lookup: {error}")))?;
    let wait = deadline.saturating_duration_since(Instant::now());
    match receiver.recv_timeout(wait) {
        Ok(Ok(addresses)) if !addresses.is_empty() => Ok(addresses),
        Ok(Ok(_)) => Err(Failure::Network(format!("{name} has no addresses"))),
        Ok(Err(error)) => Err(Failure::Network(format!(
            "could not resolve {name}: {error}"
        ))),
        Err(_) => Err(Failure::TimedOut),
    }
}
