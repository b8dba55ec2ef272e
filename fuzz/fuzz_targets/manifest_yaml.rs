#![no_main]
//! The YAML reader under every onus file (catalog entries, manifests, templates): any text. Never panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (_, diags) = onus_core::yaml::parse_all("f.yaml", text);
        for d in &diags {
            assert!(d.line >= 1 && d.col >= 1);
        }
    }
});
