//! `serve --tls-cert --tls-key`: HTTPS with the operator's certificate (made here by openssl,
//! for 127.0.0.1), so tokens never cross a network in clear; plain HTTP is not answered on
//! that port, and a key that is not the certificate's is refused before anything starts.

mod common;

use std::path::Path;
use std::process::Command;

use common::serve::serve_with_args;
use common::{Sandbox, text};

/// A self-signed certificate for 127.0.0.1 and its key, as PEM files in `dir`.
fn certificate(dir: &Path, name: &str) -> (String, String) {
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}-key.pem")),
    );
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is not installed: run scripts/test (it installs it)");
    assert!(made.status.success(), "{}", text(&made.stderr));
    (cert.display().to_string(), key.display().to_string())
}

/// The HTTP status curl gets for `url` trusting `ca` ("000" when it got no answer).
fn curl(url: &str, ca: &str) -> String {
    let answered = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
        ])
        .args(["--cacert", ca, url])
        .output()
        .expect("curl is not installed: run scripts/test (it installs it)");
    text(&answered.stdout)
}

#[test]
fn serve_speaks_https_with_the_operators_certificate_and_only_https() {
    let sandbox = Sandbox::new();
    let (cert, key) = certificate(sandbox.path(), "server");
    let server = serve_with_args(&sandbox, &["--tls-cert", &cert, "--tls-key", &key], &[]);
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    assert_eq!(curl(&format!("{}/health", server.url), &cert), "200");
    // The same port does not answer plain HTTP: a token sent in clear gets nowhere.
    let plain = server.url.replacen("https://", "http://", 1);
    assert_ne!(curl(&format!("{plain}/health"), &cert), "200");
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_before_anything_starts() {
    let sandbox = Sandbox::new();
    let (cert, _) = certificate(sandbox.path(), "server");
    let (_, other_key) = certificate(sandbox.path(), "other");
    let output = sandbox.run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        &cert,
        "--tls-key",
        &other_key,
    ]);
    assert!(!output.status.success());
    let said = text(&output.stderr);
    assert!(
        said.contains("the TLS certificate and key do not go together"),
        "{said}"
    );
    let missing = sandbox.run(&["serve", "--tls-cert", &cert]);
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("--tls-key"),
        "{}",
        text(&missing.stderr)
    );
}
