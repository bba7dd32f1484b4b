//! The caller's TLS client certificate, as the log and the audit trail name it: its subject,
//! as an RFC 4514 distinguished name. (Who the key belongs to is the bearer token's business;
//! the certificate says which gateway presented it.)

use std::fmt::Write as _;

use x509_parser::objects::{oid_registry, oid2abbrev};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// Longest subject recorded, in characters; a longer one is cut and ends in `...`.
pub const MAX_SUBJECT_CHARS: usize = 512;

/// The subject of the DER certificate `der` (the client's end-entity certificate), e.g.
/// `CN=gateway.kent.police.uk,O=Kent Police,C=GB`: RFC 4514 (the last RDN first, special
/// characters escaped), with control characters escaped as well so that a subject cannot forge
/// a log line. A certificate that does not parse (rustls verified it, so it should) is named by
/// its SHA-256 fingerprint instead.
pub fn certificate_subject(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => rfc4514(cert.subject()),
        Err(_) => {
            use sha2::Digest as _;
            format!(
                "unparsed certificate sha256:{}",
                hex::encode(sha2::Sha256::digest(der))
            )
        }
    }
}

/// `name` in RFC 4514's string form, at most [`MAX_SUBJECT_CHARS`] characters.
pub fn rfc4514(name: &X509Name<'_>) -> String {
    let mut out = String::new();
    for (i, rdn) in name
        .iter_rdn()
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            attribute(&mut out, atv);
        }
    }
    if out.chars().count() > MAX_SUBJECT_CHARS {
        out = out.chars().take(MAX_SUBJECT_CHARS).collect();
        out.push_str("...");
    }
    out
}

fn attribute(out: &mut String, atv: &AttributeTypeAndValue<'_>) {
    match oid2abbrev(atv.attr_type(), oid_registry()) {
        Ok(short) => out.push_str(short),
        Err(_) => out.push_str(&atv.attr_type().to_id_string()),
    }
    out.push('=');
    match atv.as_str() {
        Ok(value) => escape(out, value),
        // Not a string type: RFC 4514 writes `#` and hex. (These are the value's content
        // octets; the DER tag and length are left out.)
        Err(_) => {
            out.push('#');
            out.push_str(&hex::encode(atv.as_slice()));
        }
    }
}

/// RFC 4514 section 2.4 escaping, and control characters as `\XX` for each of their bytes.
fn escape(out: &mut String, value: &str) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\{b:02X}");
                }
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_with(dn: &[(rcgen::DnType, &str)]) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::new(vec!["gateway.test".to_owned()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        for (t, v) in dn {
            params.distinguished_name.push(t.clone(), *v);
        }
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn subject_is_rfc4514_last_rdn_first() {
        let der = cert_with(&[
            (rcgen::DnType::CountryName, "GB"),
            (rcgen::DnType::OrganizationName, "Kent Police"),
            (rcgen::DnType::CommonName, "gateway.kent.police.uk"),
        ]);
        assert_eq!(
            certificate_subject(&der),
            "CN=gateway.kent.police.uk,O=Kent Police,C=GB"
        );
    }

    #[test]
    fn special_and_control_characters_are_escaped() {
        let der = cert_with(&[
            (rcgen::DnType::OrganizationName, "Avon, Somerset+Co"),
            (rcgen::DnType::CommonName, "#gw\nlevel=ERROR forged "),
        ]);
        assert_eq!(
            certificate_subject(&der),
            "CN=\\#gw\\0Alevel=ERROR forged\\ ,O=Avon\\, Somerset\\+Co"
        );
    }

    #[test]
    fn an_unparseable_certificate_is_named_by_its_fingerprint() {
        let s = certificate_subject(b"not a certificate");
        assert!(s.starts_with("unparsed certificate sha256:"), "{s}");
        assert_eq!(s.len(), "unparsed certificate sha256:".len() + 64);
    }

    #[test]
    fn a_long_subject_is_cut() {
        let long = "x".repeat(2 * MAX_SUBJECT_CHARS);
        let der = cert_with(&[(rcgen::DnType::CommonName, &long)]);
        let s = certificate_subject(&der);
        assert_eq!(s.chars().count(), MAX_SUBJECT_CHARS + 3);
        assert!(s.starts_with("CN=xxx") && s.ends_with("..."));
    }
}
