//! The run tests' one helper of their own: a runtime configuration that sends a connector's
//! declared hosts to the mock upstream (`testkit::Mock`).

use std::collections::HashMap;
use std::net::SocketAddr;

use testkit::Mock;

/// A configuration that sends every declared host to `mock`.
pub fn config_for(hosts: &[String], mock: &Mock) -> sdk::RuntimeConfig {
    let host_overrides: HashMap<String, SocketAddr> = hosts
        .iter()
        .map(|host| {
            (
                host.split(':').next().unwrap_or_default().to_string(),
                mock.addr,
            )
        })
        .collect();
    sdk::RuntimeConfig {
        allow_private_networks: true,
        host_overrides,
        ..sdk::RuntimeConfig::default()
    }
}
