#![no_main]
//! Terraform HCL: any text, as one file of a root module. Never panics; diagnostics carry positions.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let files = vec![("m/main.tf".to_string(), text.to_string())];
        let p = onus_discover::terraform::parse_dir(&files, &[]);
        for d in &p.diagnostics {
            assert!(d.line >= 1 && d.col >= 1);
        }
    }
});
